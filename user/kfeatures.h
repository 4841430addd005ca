/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the kernel allows that its BTF does not tell, learned by loading a
 * small probe program (bpf/probe.bpf.c): the request tracer's plan
 * (core/tracer_plan.h) and 'latgov check' ask the same question here.
 */
#ifndef LATGOV_KFEATURES_H
#define LATGOV_KFEATURES_H

/* 1 if a tp_btf program may read an skb through bpf_dynptr_from_skb (6.15+), else 0. */
int kfeatures_skb_dynptr(void);

#endif
