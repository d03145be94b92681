/* SPDX-License-Identifier: MIT
 *
 * Putting a child into IPC namespaces through each kernel entry point.
 *
 * Every entry runs the same two-way pipe checkpoint (the seed's pattern,
 * both ways): the child says 'e' once it is in its namespaces; the parent
 * maps its user ids (for --user), checks that each namespace really is new
 * (or really is the target's, for a join) and says 'g'; the child mounts
 * what it was asked to, says 'r' and runs its function. No sleeps anywhere:
 * every wait is a bounded poll on a pipe. (ns-start.c; the join itself is
 * target_join's, target.c; the rest, ns.c.)
 */
#ifndef IPCNS_NS_H
#define IPCNS_NS_H

#include <stdbool.h>
#include <sys/types.h>

enum ns_entry {
	NS_ENTRY_FORK,    /* no new namespace: the positive control */
	NS_ENTRY_CLONE,   /* clone(2) with CLONE_NEW* flags */
	NS_ENTRY_CLONE3,  /* clone3(2); ENOSYS means unsupported */
	NS_ENTRY_UNSHARE, /* fork(2), then unshare(2) in the child */
	NS_ENTRY_SETNS,   /* join: setns(2) on /proc/PID/ns/TYPE fds */
	NS_ENTRY_PIDFD,   /* join: setns(2) on a pidfd (Linux 5.8+) */
};

#define NS_WANT_MNT 1u  /* + mount namespace, fresh /dev/shm and /dev/mqueue */
#define NS_WANT_NET 2u  /* + network namespace */
#define NS_WANT_USER 4u /* + user namespace mapping root to the caller */

struct ns_spec {
	enum ns_entry entry;
	unsigned want;  /* NS_WANT_* for a new namespace */
	pid_t target;   /* for a join: whose namespaces to enter */
	/* When the kernel says yes but the IPC namespace is not new, go on with
	 * a warning instead of failing: only for callers that merely observe
	 * (writing nothing, mounting nothing), so that such a kernel shows up as
	 * "shared" cells. Mounts are refused regardless. */
	bool observe_same_ipc;
};

typedef int (*ns_child_fn)(void *arg);

/* The types a new or joined namespace involves, the user namespace first,
 * each with its CLONE_NEW* flag and the kernel option without which it does
 * not exist (NULL: always there). */
struct ns_type {
	const char *type;
	int flag;
	const char *kconfig;
};
#define NS_TYPES 4
extern const struct ns_type ns_types[NS_TYPES];

bool ns_parse_entry(const char *s, enum ns_entry *out);
const char *ns_entry_name(enum ns_entry e);
bool ns_is_join(enum ns_entry e);

/* Parses one option of the shared namespace syntax at argv[*i] (--entry E,
 * --mnt, --net, --user, --join PID), advancing *i. Returns 1 when it took
 * the option, 0 when argv[*i] is not one of them, PROBE_USAGE (printed)
 * when the option is malformed. */
int ns_parse_option(int argc, char **argv, int *i, struct ns_spec *spec);
/* Checks the combination; PROBE_USAGE (printed) when it makes no sense. */
int ns_check_spec(const struct ns_spec *spec);
extern const char ns_options_usage[];

/* Starts FN(ARG) in a child placed as SPEC says and returns 0 with *PID set
 * once the child is in place and its mounts are done; else an exit code of
 * the probe contract, with a diagnostic printed. */
int ns_start(const struct ns_spec *spec, ns_child_fn fn, void *arg, pid_t *pid);

/* Waits at most SECONDS for PID; its exit code, or PROBE_TIMEOUT after
 * killing it, or PROBE_ERROR when a signal ended it. */
int ns_wait(pid_t pid, unsigned seconds, const char *what);

/* When ERR from making namespaces FLAGS (CLONE_NEW*) means that this kernel
 * or privilege does not offer them, that in words naming what would: the
 * kernel option ("CONFIG_IPC_NS is off": that type has no /proc/self/ns
 * entry), the capability, the sysctl keeping user namespaces from ordinary
 * users. NULL when ERR means something broke. */
const char *ns_refusal(int flags, int err);

/* The inode of /proc/PID/ns/TYPE (PID 0: self), or 0 with errno set. */
unsigned long ns_inode(pid_t pid, const char *type);

/* The inode of the namespace an nsfs fd refers to, or 0. */
unsigned long ns_fd_inode(int fd);

/* A new IPC namespace (with NS_WANT_USER: owned by a new user namespace)
 * held only through an nsfs fd, *IPC (and the user namespace's, *USER, when
 * USER is not NULL); its maker, proved to be in new namespaces by ns_start,
 * has exited. 0, or an exit code of the probe contract (PROBE_UNSUPPORTED
 * where this kernel or privilege does not offer it) with the reason in
 * probe_last_message() and the fds -1. */
int ns_hold(unsigned want, int *ipc, int *user);

/* /proc/PID/ns/TYPE opened (O_RDONLY|O_CLOEXEC): a reference that keeps the
 * namespace alive, and a way into it with setns. The fd, or -1 with errno. */
int ns_open(pid_t pid, const char *type);

/* Detaches a daemon: stdio to /dev/null, every other fd but KEEP closed. */
void ns_detach(int keep);

#endif
