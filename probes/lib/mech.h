/* SPDX-License-Identifier: MIT
 *
 * The named mechanisms, by family: SysV msg/sem/shm (mech-sysv.c), POSIX
 * mq/sem/shm (mech-posix.c), FIFOs and AF_UNIX sockets (mech-endpoint.c).
 * Each is a table of verbs (struct probe_mech, probe.h) that the command-line
 * probes (probe-sysv, probe-posix, probe-endpoint) and the matrix engine
 * (probe-named) share.
 */
#ifndef IPCNS_MECH_H
#define IPCNS_MECH_H

#include "probe.h"

extern const struct probe_family probe_sysv_family, probe_posix_family,
	probe_endpoint_family;

/* The mechanism named as the record names it ("sysv-msg", "posix-mq",
 * "fifo", "unix-abstract"), and its family; NULL when there is none. */
const struct probe_mech *probe_find_mech(const char *id, const struct probe_family **fam);

#endif
