/* SPDX-License-Identifier: MIT
 *
 * A user namespace of the caller's own, for what the kernel counts per user
 * namespace and user (max_ipc_namespaces, the RLIMIT_MSGQUEUE budget): there
 * nothing else running is counted with the caller's, and max_ipc_namespaces
 * is written without touching the host's. Root first becomes uid 65534, whom
 * a user namespace maps to 0 without the host's privileges.
 *
 * Inside, the children in new IPC namespaces come from clone(2) directly
 * (peer_clone): ENOSPC, the answer to a limit, must be told apart, and
 * ns_start reports a failure as an exit code only. Each is proved new by the
 * inode of its namespace. Used by probe-limits and the stress tool's churn.
 */
#ifndef IPCNS_SANDBOX_H
#define IPCNS_SANDBOX_H

#include "ns.h"
#include "peer.h"

#define SANDBOX_LIMIT_FILE "/proc/sys/user/max_ipc_namespaces"

/* Notes the host's user namespace and max_ipc_namespaces, for the checks
 * below. */
void sandbox_init(void);

/* Forks a child that runs FN(ARG) in a new user namespace (and a new IPC
 * namespace: ns_start makes one), bounded by BOUND s, and exits with its exit
 * code. It closes CLOSE_FD (unless -1), its copy of a pipe end whose EOF must
 * mean that FN is done. Its pid, or -1 (said why). */
pid_t sandbox_start(ns_child_fn fn, void *arg, unsigned bound, int close_fd);

/* Why no sandbox can be made here: the kernel's errno for the same clone,
 * asked again in a child as the same user, and what would allow it. */
const char *sandbox_refusal(void);

/* Sets max_ipc_namespaces in the sandbox, and refuses anywhere else. 0;
 * PROBE_UNSUPPORTED when the file is missing (before Linux 4.9); else
 * PROBE_ERROR. Said why. */
int sandbox_set_limit(long limit);

/* The host's max_ipc_namespaces must be as sandbox_init found it: 0, or
 * PROBE_ERROR with a SAFETY diagnostic (root puts it back). */
int sandbox_check_host(void);

/* A kid: a child in a new IPC namespace that runs FN(ARG), tells its result
 * and stays (its namespace with it) until released by peer_end. 0, or the
 * errno of clone (said why, unless it is ENOSPC). */
typedef int (*sandbox_fn)(void *arg);
int sandbox_kid(struct peer *k, sandbox_fn fn, void *arg);

/* The kid's result once its namespace is proved new (not PARENT_IPC); else
 * -1, the kid ended, said why. */
int sandbox_kid_result(struct peer *k, unsigned long parent_ipc);

/* One more IPC namespace, kept by an nsfs fd in *FD once its process has
 * gone. 0; the errno of clone (ENOSPC: over max_ipc_namespaces); or -1 when
 * something else failed. Said why, unless ENOSPC. */
int sandbox_hold_one(int *fd);

#endif
