/* SPDX-License-Identifier: MIT
 *
 * The harness of every probe that measures cells (lib/cells.h), in the
 * spirit of LTP's tst_test, and the one place where a probe's measurement
 * gets its namespaces:
 *
 * - harness_main: the command line "PROBE [-t SECONDS] [ARGS]", the cells
 *   declared before anything is measured, the sandbox (an IPC namespace of
 *   the probe's own, owned by a new user namespace when the caller is not
 *   root, so that what it makes dies with it) or, for a probe that makes its
 *   own namespaces, the host; then every cell printed, and the host's net.
 * - harness_start, harness_run: a step in new namespaces, bounded; should it
 *   not start or end badly, the open cells say why ("skip" when this kernel
 *   or privilege does not offer it: the reason names what would).
 * - harness_userns_*: a user namespace of the probe's own, for what the
 *   kernel counts per user namespace and user (max_ipc_namespaces, the
 *   RLIMIT_MSGQUEUE budget); root first becomes uid 65534, whom a user
 *   namespace maps to 0 without the host's privileges.
 *
 * exit of harness_main: 0 measured (whatever was observed), 2 usage (on
 * stderr), 3 the probe broke (the cells it left say so) or a host value it
 * watches changed.
 */
#ifndef IPCNS_HARNESS_H
#define IPCNS_HARNESS_H

#include "ns.h"
#include "peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What a kernel built without an option says (ENOSYS), in a skip's words:
 * suites/lib.sh confirm_skip checks "CONFIG_X is off" against its config. */
#define LACKS_SYSVIPC "this kernel lacks SysV IPC (CONFIG_SYSVIPC is off)"
#define LACKS_MQUEUE "this kernel lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"

#define HARNESS_LIMIT_FILE "/proc/sys/user/max_ipc_namespaces"

struct harness {
	/* "usage: PROBE [-t SECONDS] ...\n" and what it measures; the harness
	 * adds the output format, -t and the exit codes */
	const char *usage;
	/* Every cell, in order (the index measure answers), "MECH SCEN ENTRY"
	 * and ";" between them; a fourth word for other namespaces than the
	 * sandbox's (harness_ns). NULL: args or prepare declares them. */
	const char *cells;
	/* The probe's own arguments, after -t: ARGV[0..ARGC-1]; may declare
	 * cells. 0, or an exit code (harness_usage_error). NULL: none taken. */
	int (*args)(int argc, char **argv);
	int (*prepare)(void); /* on the host, once the cells are declared: 0 or
			       * an exit code; may be NULL */
	/* Answers the cells, by their index: in the sandbox, made through
	 * ENTRY, or on the host when ON_HOST (the probe makes its own
	 * namespaces). Not 0: in the sandbox, it stopped early; on the host,
	 * the exit code, once the cells are printed. */
	int (*measure)(void);
	enum ns_entry entry;
	bool on_host;
	int (*finish)(void); /* on the host, afterwards: 0 or an exit code; may
			      * be NULL */
};

int harness_main(const struct harness *h, int argc, char **argv);

/* WHAT and ARG (up to 64 bytes of it), then the usage, on stderr:
 * PROBE_USAGE. */
int harness_usage_error(const char *what, const char *arg);

/* The namespaces of the cells measured in the sandbox: "ipc", or
 * "ipc+user" when it comes with a user namespace (anyone but root). */
const char *harness_ns(void);
bool harness_rootless(void);

/* The inode of the IPC namespace the probe started in: never the sandbox's. */
unsigned long harness_host_ipc(void);

/* FN(ARG) in a child in new namespaces (IPC, and WANT's), made through
 * ENTRY, proved new by ns_start; *PID is its pid. 0; else ns_start's exit
 * code, its reason the note (cells_why()). */
int harness_start(enum ns_entry entry, unsigned want, ns_child_fn fn, void *arg, pid_t *pid);

/* The same, waited for LEVELS bounds (a process that waits for others gets
 * more). Should it not start, every open cell says "cannot make WHO here"
 * and why (a skip where the kernel or privilege does not offer it); should
 * it end badly, "WHO stopped early". 0 when WHO ran to its end or could not
 * be made (the cells say why); else its exit code. */
int harness_run(enum ns_entry entry, unsigned want, ns_child_fn fn, void *arg, unsigned levels,
		const char *who);

/* A child's errno as a message (0 when RC, a call's return, is not < 0),
 * and its name ("ok" for 0). */
long errno_of(int rc);
const char *errno_word(long err);

/* Answers cell I after CALL failed with ERR: "skip" with LACKS (the words
 * above) when ERR is ENOSYS, else "" with the errno. */
void cell_lacks(size_t i, long err, const char *call, const char *lacks);

/* ns_hold, answering the N cells CELLS with its reason when it fails. 0, or
 * its exit code. */
int hold_or_answer(unsigned want, int *ipc, int *user, const size_t *cells, size_t n);

/* ---- a user namespace of the probe's own --------------------------------
 * Inside, the children in new IPC namespaces come from clone(2) directly
 * (peer_clone): ENOSPC, the answer to a limit, must be told apart, and
 * ns_start reports a failure as an exit code only. Each is proved new by the
 * inode of its namespace. Used by probe-limits and the stress tool's churn. */

/* Notes the host's user namespace and max_ipc_namespaces (harness_main
 * does, for every probe), for the checks below. */
void harness_net_init(void);

/* The host's max_ipc_namespaces must be as harness_net_init found it: 0,
 * or PROBE_ERROR with a SAFETY diagnostic (root puts it back). */
int harness_net_check(void);

/* Forks a child that becomes uid 65534 if root and runs FN(ARG) in a new
 * user and IPC namespace, bounded by BOUND s, and exits with its exit code.
 * It closes CLOSE_FD (unless -1), its copy of a pipe end whose EOF must mean
 * that FN is done. Its pid, or -1 (said why). */
pid_t harness_userns_start(ns_child_fn fn, void *arg, unsigned bound, int close_fd);

/* FN(ARG) there (harness_userns_start), bounded by LEVELS bounds; then
 * cell CELL (every cell: HARNESS_ALL_CELLS), if still open, says why not:
 * a skip naming what would allow the user namespace, or the note
 * (cells_why()) and the exit code. 0, or the exit code. */
#define HARNESS_ALL_CELLS ((size_t)-1)
int harness_userns_run(ns_child_fn fn, void *arg, unsigned levels, size_t cell);

/* Why no such user namespace can be made here: the kernel's errno for the
 * same clone, asked again in a child as the same user, and what would
 * allow it. */
const char *harness_userns_refusal(void);

/* Sets max_ipc_namespaces in the probe's user namespace, and refuses
 * anywhere else. 0; PROBE_UNSUPPORTED when the file is missing (before
 * Linux 4.9); else PROBE_ERROR. Said why. */
int harness_set_limit(long limit);

/* A kid: a child in a new IPC namespace that runs FN(ARG), tells its result
 * and stays (its namespace with it) until released by peer_end. 0, or the
 * errno of clone (said why, unless it is ENOSPC). */
typedef int (*harness_kid_fn)(void *arg);
int harness_kid(struct peer *k, harness_kid_fn fn, void *arg);

/* The kid's result once its namespace is proved new (not PARENT_IPC); else
 * -1, the kid ended, said why. */
int harness_kid_result(struct peer *k, unsigned long parent_ipc);

/* One more IPC namespace, kept by an nsfs fd in *FD once its process has
 * gone. 0; the errno of clone (ENOSPC: over max_ipc_namespaces); or -1 when
 * something else failed. Said why, unless ENOSPC. */
int harness_hold_one(int *fd);

#endif
