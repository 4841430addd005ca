// SPDX-License-Identifier: GPL-2.0-only
#include "kfeatures.h"

#include <stdbool.h>

#include <bpf/libbpf.h>

#include "bpf_log.h"
#include "probe.skel.h"

int kfeatures_skb_dynptr(void)
{
	struct bpf_program *p;
	struct probe_bpf *skel;
	int ok;

	skel = probe_bpf__open();
	if (!skel)
		return 0;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.probe_skb_dynptr);
	/* A refusal is the answer, not an error. */
	bpf_log_quiet(1);
	ok = probe_bpf__load(skel) == 0;
	bpf_log_quiet(0);
	probe_bpf__destroy(skel);
	return ok;
}
