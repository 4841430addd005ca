/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Redis's protocol (RESP): its row of the protocol table (core/proto.h).
 * A command is an endpoint, named by its name upper-cased ("GET"), with its
 * subcommand for the commands that group them ("CONFIG GET"); an error
 * reply ("-ERR ...") is an error. The bytes are found by the same code the
 * kernel side runs (include/latgov/proto_resp.h). Pure: no allocation, no
 * I/O.
 */
#ifndef LATGOV_CORE_RESP_H
#define LATGOV_CORE_RESP_H

#include <stddef.h>

struct lg_request;

/* Longest command or subcommand name kept in an endpoint name. */
#define RESP_NAME_MAX 24

/*
 * The endpoint name of a record whose req_prefix is a RESP request, into
 * out (NUL-terminated). Returns its length, or 0 if the bytes do not hold a
 * whole command name made of letters, digits and "_-|.:" (anything else
 * would make an endpoint of arbitrary bytes), or it does not fit in size.
 */
size_t resp_endpoint_name(const struct lg_request *r, char *out, size_t size);

/* 1 if a record's answer is an error reply, else 0. */
int resp_is_error(const struct lg_request *r);

#endif
