/* SPDX-License-Identifier: MIT
 *
 * A peer: a forked child and two pipes, one each way, carrying one long a
 * message. The checkpoint pattern of clone(2)'s examples, for probes whose
 * parent and child take turns (one acts, tells the other, which looks). No
 * sleeps: every wait is a bounded poll; EOF means the other side is gone.
 */
#ifndef IPCNS_PEER_H
#define IPCNS_PEER_H

#include "ns.h"

#include <sys/types.h>

struct peer {
	pid_t pid; /* in the parent: the child's; in the child: 0 */
	int to, from;
};

typedef int (*peer_fn)(struct peer *self, void *arg);

/* Forks a child that runs FN(its end, ARG) and exits with its return. 0, or
 * -1 with the reason in probe_last_message(). */
int peer_start(struct peer *p, peer_fn fn, void *arg);

/* The same, the child placed by ns_start as SPEC says (proved to be in new
 * namespaces before FN runs): 0, or ns_start's exit code (PROBE_UNSUPPORTED:
 * the kernel or privilege does not offer them), with the reason in
 * probe_last_message(). */
int peer_start_ns(struct peer *p, const struct ns_spec *spec, peer_fn fn, void *arg);

/* The same, the child made by clone(2) with FLAGS (CLONE_NEW*) instead: for
 * callers that must tell the kernel's errno apart (ENOSPC: over a limit on
 * namespaces), which ns_start reports as an exit code only. 0, or -1 with
 * errno set (and the reason in probe_last_message(), unless it is ENOSPC). */
int peer_clone(struct peer *p, int flags, peer_fn fn, void *arg);

/* One message each way. peer_hear waits at most probe_timeout(); -1 on
 * timeout or EOF, with the reason in probe_last_message(). */
int peer_tell(struct peer *p, long v);
int peer_hear(struct peer *p, long *v);

/* Closes our ends (EOF lets a waiting child go) and reaps the child, bounded:
 * its exit code, as ns_wait gives it. */
int peer_end(struct peer *p);

/* CHILD(its end, ARG) in a forked child while STEPS(our end, ARG) runs
 * here; then the child is reaped. STEPS's return (not 0: the reason in
 * probe_last_message()), or -1 when the child could not be started. */
int peer_run(peer_fn child, peer_fn steps, void *arg);

#endif
