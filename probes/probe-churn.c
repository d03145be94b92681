/* SPDX-License-Identifier: MIT
 *
 * probe-churn: IPC namespaces in numbers.
 *
 * "churn N [SECONDS]" makes and destroys N IPC namespaces one after another,
 * each with a SysV message queue, semaphore set and shared memory segment
 * (pages touched) and a POSIX message queue, made and read back inside while
 * the host is checked not to see them; then the count of IPC namespaces must
 * be back where it was (the headroom under max_ipc_namespaces).
 * "limits" measures two cells (OBSERVE lines): max_ipc_namespaces gives
 * ENOSPC, and RLIMIT_MSGQUEUE is one budget across IPC namespaces.
 *
 * Both work in a user namespace the probe makes (root first becomes uid
 * 65534, whom a user namespace maps to 0 without the host's privileges):
 * max_ipc_namespaces and the RLIMIT_MSGQUEUE budget are counted per user
 * namespace and user, so there nothing else running is counted with us, and
 * the sysctl is written only there. The host's value is compared before and
 * after as a net.
 */
#include "lib/ns.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define MAX_NS_FILE "/proc/sys/user/max_ipc_namespaces"
#define HEADROOM_LIMIT 8        /* max_ipc_namespaces for the check after the churn */
#define LOW_LIMIT 3             /* for the max-ipc-namespaces cell */
#define SHM_PAGES 4
#define MQ_MAXMSG 8             /* the rlimit cell's queues: 8 x 4 KiB, some 33 KiB */
#define MQ_MSGSIZE 4096         /* with the kernel's bookkeeping */
#define MQ_BUDGET (48 * 1024)   /* RLIMIT_MSGQUEUE: one such queue fits, two do not */
#define STACK_SIZE (1024 * 1024)
#define CHURN_MAX 1000000u
#define LIMIT_MAX 4096u

static const char usage_text[] =
	"usage: probe-churn [-t SECONDS] churn N [SECONDS [LIMIT]]\n"
	"       probe-churn [-t SECONDS] limits\n"
	"Makes IPC namespaces in a user namespace it makes (root first becomes uid\n"
	"65534), where max_ipc_namespaces and RLIMIT_MSGQUEUE count only its own.\n"
	"  churn N [SECONDS [LIMIT]]  makes and destroys N IPC namespaces (1..1000000)\n"
	"           one after another, for at most SECONDS (1..3600, default 60), each\n"
	"           with a SysV msg queue, sem set and shm segment and a POSIX mq, read\n"
	"           back inside and looked for on the host; ENOSPC is retried and counted.\n"
	"           LIMIT (2..4096): max_ipc_namespaces during the churn (default: not\n"
	"           lowered). Then checks that the count of IPC namespaces is back.\n"
	"           Prints lines of words KEY=VALUE:\n"
	"             CHURN made asked seconds per_second enospc retries limit mq stopped\n"
	"             HEADROOM held limit extra waited_ms retries\n"
	"             HOST checked visible key name\n"
	"  limits   two cells, a line each, tab-separated:\n"
	"           OBSERVE mechanism scenario entry namespaces observed detail\n"
	"             ipc-ns max-ipc-namespaces: what the clone over the limit got\n"
	"               (enospc), or exceeded when it worked\n"
	"             posix-mq rlimit-msgqueue-shared: shared | isolated\n"
	"  -t       bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 done (limits: measured, whatever was observed), 2 usage,\n"
	"      3 failure (what failed, on stderr), 4 unsupported here (churn), 5 timeout\n";

static unsigned long host_user_ns; /* inode of the host's user namespace */
static char *clone_stack;          /* one stack for every clone: each child copies it */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The kernel gives no signal when its queued namespace frees are done
 * (ipc/namespace.c free_ipc_work): a retry after ENOSPC waits 1 ms. */
static void pause_1ms(void)
{
	poll(NULL, 0, 1);
}

static int read_long(const char *path, long *out)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? errno : 0;
	close(fd);
	if (n <= 0)
		return n < 0 ? err : EINVAL;
	buf[n] = '\0';
	*out = strtol(buf, NULL, 10);
	return 0;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0, len;

	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, (size_t)len) != len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

/* ---- a child in a new IPC namespace, made by clone(2) ---------------------
 * ns_start reports a failure as an exit code, its errno only on stderr; here
 * ENOSPC must be told apart (it is the answer, or a retry), so these children
 * come from clone(2) directly, and ns_inode proves each namespace new. The
 * child runs FN, sends its int result up a pipe, and waits for EOF (bounded)
 * before it exits: its namespace lives until then. */

typedef int (*kid_fn)(void *arg);

struct kid {
	pid_t pid;
	int to, from; /* our ends: EOF on "to" lets it go; its result on "from" */
};

struct kid_start_args {
	kid_fn fn;
	void *arg;
	int up, down;     /* the child's ends */
	int ours[2];      /* the parent's ends: the child's copies must go for EOF */
};

static int kid_main(void *p)
{
	const struct kid_start_args *a = p;
	int result;

	close(a->ours[0]);
	close(a->ours[1]);
	result = a->fn(a->arg);
	if (write(a->up, &result, sizeof(result)) != (ssize_t)sizeof(result))
		return PROBE_ERROR;
	return probe_checkpoint_read(a->down, '-', probe_timeout(), "the parent's release") == 1
		       ? PROBE_REACHED : PROBE_TIMEOUT;
}

static int nothing(void *arg)
{
	(void)arg;
	return PROBE_REACHED;
}

/* 0 with K started, or clone's errno (diagnosed unless it is ENOSPC). */
static int kid_start(struct kid *k, kid_fn fn, void *arg)
{
	int up[2], down[2], err = 0;
	struct kid_start_args a = { fn, arg, -1, -1, { -1, -1 } };

	if (pipe2(up, O_CLOEXEC) || (pipe2(down, O_CLOEXEC) && (close(up[0]), close(up[1]), 1))) {
		err = errno;
		probe_fail_errno(PROBE_ERROR, err, "pipe");
		return err;
	}
	a.up = up[1];
	a.down = down[0];
	a.ours[0] = up[0];
	a.ours[1] = down[1];
	fflush(NULL); /* nothing buffered may be written twice */
	k->pid = clone(kid_main, clone_stack + STACK_SIZE, CLONE_NEWIPC | SIGCHLD, &a);
	if (k->pid < 0)
		err = errno;
	close(up[1]);
	close(down[0]);
	k->from = up[0];
	k->to = down[1];
	if (err) {
		close(k->from);
		close(k->to);
		if (err != ENOSPC)
			probe_fail_errno(PROBE_ERROR, err, "clone(CLONE_NEWIPC)");
	}
	return err;
}

/* Lets K go and reaps it: its exit code (0 when all went well). */
static int kid_end(struct kid *k)
{
	close(k->to);
	close(k->from);
	return ns_wait(k->pid, probe_timeout(), "the process in a new IPC namespace");
}

/* FN's result, once the namespace is proved new; else -1, K ended, said why. */
static int kid_result(struct kid *k, unsigned long parent_ipc)
{
	int result, rc;
	unsigned long ipc;
	ssize_t n = -1;

	rc = probe_wait_fd(k->from, POLLIN, probe_timeout(), "the new namespace's result");
	if (!rc)
		do
			n = read(k->from, &result, sizeof(result));
		while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(result)) {
		rc = kid_end(k);
		probe_fail(PROBE_ERROR, "the process in a new IPC namespace stopped early "
			   "(exit %d)", rc);
		return -1;
	}
	ipc = ns_inode(k->pid, "ipc");
	if (!ipc || ipc == parent_ipc) {
		kid_end(k);
		probe_fail(PROBE_ERROR, "clone(CLONE_NEWIPC) said yes but the IPC namespace "
			   "is not new (inode %lu)", ipc);
		return -1;
	}
	return result;
}

/* ---- objects in each churned namespace ---------------------------------- */

struct objects {
	int key;           /* SysV key, the same in every namespace */
	char mq_name[96];  /* POSIX name, likewise */
	bool mq;           /* POSIX message queues exist on this kernel */
	unsigned value;    /* what this namespace's objects carry */
	long page;
};

struct msgbuf_value {
	long mtype;
	unsigned value;
};

/* In a new IPC namespace: each object made exclusively (EEXIST would mean the
 * namespace is not fresh), given VALUE, then found by its name and read back. */
static int make_objects(void *p)
{
	const struct objects *o = p;
	struct msgbuf_value m = { 1, o->value }, back = { 0, 0 };
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = sizeof(unsigned) };
	unsigned got = 0;
	size_t bytes = SHM_PAGES * (size_t)o->page;
	unsigned char *seg;
	int id;
	mqd_t q;

	if ((id = msgget(o->key, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "msgget(create)");
	if (msgsnd(id, &m, sizeof(m.value), IPC_NOWAIT) ||
	    (id = msgget(o->key, 0)) < 0 ||
	    msgrcv(id, &back, sizeof(back.value), 0, IPC_NOWAIT) != (ssize_t)sizeof(back.value))
		return probe_fail_errno(PROBE_ERROR, errno, "message queue: send, find, receive");
	if (back.value != o->value)
		return probe_fail(PROBE_ERROR, "message queue: read %u back, sent %u",
				  back.value, o->value);

	if ((id = semget(o->key, 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "semget(create)");
	if (semctl(id, 0, SETVAL, (int)o->value) || (id = semget(o->key, 1, 0)) < 0 ||
	    semctl(id, 0, GETVAL) != (int)o->value)
		return probe_fail_errno(PROBE_ERROR, errno, "semaphore: set, find, read back");

	if ((id = shmget(o->key, bytes, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "shmget(create)");
	if ((seg = shmat(id, NULL, 0)) == (void *)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "shmat");
	for (size_t off = 0; off < bytes; off += (size_t)o->page)
		seg[off] = (unsigned char)o->value; /* every page made resident */
	shmdt(seg);
	if ((id = shmget(o->key, 0, 0)) < 0 || (seg = shmat(id, NULL, SHM_RDONLY)) == (void *)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "shared memory: find, attach");
	for (size_t off = 0; off < bytes; off += (size_t)o->page)
		if (seg[off] != (unsigned char)o->value)
			return probe_fail(PROBE_ERROR, "shared memory: page %zu lost its byte",
					  off / (size_t)o->page);
	shmdt(seg);

	if (!o->mq)
		return PROBE_REACHED;
	q = mq_open(o->mq_name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "mq_open(create)");
	if (mq_send(q, (const char *)&o->value, sizeof(o->value), 0))
		return probe_fail_errno(PROBE_ERROR, errno, "mq_send");
	mq_close(q);
	q = mq_open(o->mq_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t)-1 || mq_receive(q, (char *)&got, sizeof(got), NULL) != sizeof(got))
		return probe_fail_errno(PROBE_ERROR, errno, "POSIX queue: find, receive");
	mq_close(q);
	if (got != o->value)
		return probe_fail(PROBE_ERROR, "POSIX queue: read %u back, sent %u", got, o->value);
	return PROBE_REACHED; /* the objects die with the namespace */
}

/* On the host: is any object of that key or name there? 0 no, 1 yes (said
 * which), PROBE_ERROR when the answer was neither. As uid 65534, a foreign
 * object would answer EACCES: that is "there" as well. */
static int host_sees(const struct objects *o)
{
	static const char *const kinds[] = { "message queue", "semaphore set",
					     "shared memory segment" };
	int id, err;
	mqd_t q;

	for (int i = 0; i < 3; i++) {
		id = i == 0 ? msgget(o->key, 0) : i == 1 ? semget(o->key, 0, 0)
							 : shmget(o->key, 0, 0);
		err = errno;
		if (id < 0 && err == ENOENT)
			continue;
		if (id >= 0 || err == EACCES)
			return probe_fail(1, "the host sees a %s of key %d", kinds[i], o->key);
		return probe_fail_errno(PROBE_ERROR, err, "looking for a %s of key %d on the "
					"host", kinds[i], o->key);
	}
	q = mq_open(o->mq_name, O_RDONLY | O_CLOEXEC);
	err = errno;
	if (q != (mqd_t)-1)
		mq_close(q);
	if (q != (mqd_t)-1 || err == EACCES)
		return probe_fail(1, "the host sees POSIX queue %s", o->mq_name);
	if (err == ENOENT || err == ENOSYS) /* ENOSYS: no queues anywhere */
		return 0;
	return probe_fail_errno(PROBE_ERROR, err, "mq_open(%s) on the host", o->mq_name);
}

/* ---- the probe's user namespace ------------------------------------------ */

/* Inside the user namespace the probe made: refuses to go on anywhere else,
 * then sets its max_ipc_namespaces. 0, else an exit code (said why). */
static int set_own_limit(long limit)
{
	unsigned long user = ns_inode(0, "user");
	long back = -1;
	int err;

	if (!user || user == host_user_ns)
		return probe_fail(PROBE_ERROR, "refusing to write %s: not in a user namespace "
				  "of this probe's (user inode %lu, the host's %lu)", MAX_NS_FILE,
				  user, host_user_ns);
	if ((err = write_long(MAX_NS_FILE, limit)) || (err = read_long(MAX_NS_FILE, &back)))
		return probe_fail_errno(err == ENOENT ? PROBE_UNSUPPORTED : PROBE_ERROR, err,
					"setting %s to %ld in the probe's user namespace",
					MAX_NS_FILE, limit);
	if (back != limit)
		return probe_fail(PROBE_ERROR, "%s reads %ld after writing %ld", MAX_NS_FILE,
				  back, limit);
	return PROBE_REACHED;
}

/* Starts a child that runs FN(ARG) in a new user namespace owned by us (and
 * a new IPC namespace: ns_start makes one) and exits with its exit code,
 * bounded by BOUND s. As root, the child first becomes uid 65534: root's user
 * namespace would map 0 to 0. It closes CLOSE_FD, its copy of a pipe end whose
 * EOF must mean that FN is done. Its pid, or -1 (said why). */
static pid_t start_in_own_userns(ns_child_fn fn, void *arg, unsigned bound, int close_fd)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = NS_WANT_USER };
	pid_t pid, sandbox;
	int rc;

	fflush(NULL);
	if ((pid = fork()) != 0) {
		if (pid < 0)
			probe_fail_errno(PROBE_ERROR, errno, "fork");
		return pid;
	}
	if (probe_drop_root())
		_exit(probe_fail_errno(PROBE_ERROR, errno, "becoming uid %u", PROBE_NOBODY));
	rc = ns_start(&spec, fn, arg, &sandbox);
	if (close_fd >= 0)
		close(close_fd);
	_exit(rc ? rc : ns_wait(sandbox, bound, "the probe's user namespace"));
}

/* Why no user namespace could be made here: the kernel's errno, asked again
 * with the call ns_start makes, in a child (as uid 65534, when we are root). */
static const char *why_no_userns(void)
{
	static char why[320];
	pid_t pid, kid;
	int err;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (probe_drop_root())
			_exit(errno);
		kid = clone(nothing, clone_stack + STACK_SIZE,
			    CLONE_NEWUSER | CLONE_NEWIPC | SIGCHLD, NULL);
		if (kid < 0)
			_exit(errno);
		ns_wait(kid, probe_timeout(), "the child");
		_exit(0);
	}
	err = pid < 0 ? errno : ns_wait(pid, probe_timeout(), "the child");
	snprintf(why, sizeof(why), "cannot make a user namespace for uid %u here: "
		 "clone(CLONE_NEWUSER|CLONE_NEWIPC): %s%s%s", geteuid() ? (unsigned)geteuid()
		 : PROBE_NOBODY, err ? probe_errno_name(err) : "works now",
		 err && ns_refusal(CLONE_NEWUSER | CLONE_NEWIPC, err) ? ": " : "",
		 err && ns_refusal(CLONE_NEWUSER | CLONE_NEWIPC, err) ?
		 ns_refusal(CLONE_NEWUSER | CLONE_NEWIPC, err) : "");
	return why;
}

/* ---- churn --------------------------------------------------------------- */

struct churn {
	unsigned asked, seconds, limit; /* limit: max_ipc_namespaces, 0 as it is */
	struct objects obj;
	int ask_host, host_said; /* the sandbox's ends of the pipes to the checker */
};

static int ask_host(const struct churn *c)
{
	char answer = 0;
	ssize_t n;

	if (probe_checkpoint_write(c->ask_host, '?'))
		return probe_fail_errno(PROBE_ERROR, errno, "asking the host side");
	if (probe_wait_fd(c->host_said, POLLIN, probe_timeout(), "the host side's answer"))
		return PROBE_TIMEOUT;
	n = read(c->host_said, &answer, 1);
	if (n == 1 && answer == 'n')
		return PROBE_REACHED;
	return probe_fail(PROBE_ERROR, "the host side %s", n == 1 ? "saw this namespace's "
			  "objects (above)" : "stopped answering");
}

static int open_ipc_ns(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Is the count of our IPC namespaces back to 1 (the sandbox's own)? With
 * max_ipc_namespaces=HEADROOM_LIMIT, HEADROOM_LIMIT - 1 more then fit at once
 * (held by nsfs fds) and one more is ENOSPC; a namespace the churn leaked
 * would take a place. Those it ended may still be queued for freeing: there
 * ENOSPC is retried until DEADLINE (Linux 6.3 and later wait in the kernel). */
static int headroom(double deadline)
{
	int held[HEADROOM_LIMIT], n = 0, i, err = 0, rc;
	unsigned retries = 0;
	unsigned long mine = ns_inode(0, "ipc");
	double start = now_s();
	struct kid k;

	if ((rc = set_own_limit(HEADROOM_LIMIT))) {
		if (rc == PROBE_UNSUPPORTED) /* before Linux 4.9: no count to observe */
			printf("HEADROOM held=- limit=- extra=- waited_ms=- retries=-\n");
		return rc == PROBE_UNSUPPORTED ? PROBE_REACHED : rc;
	}
	while (n < HEADROOM_LIMIT && !rc) {
		err = kid_start(&k, nothing, NULL);
		if (err == ENOSPC && n < HEADROOM_LIMIT - 1 && now_s() < deadline) {
			retries++;
			pause_1ms();
			continue;
		}
		if (err)
			break;
		if (kid_result(&k, mine) < 0) {
			rc = PROBE_ERROR;
			break;
		}
		held[n] = open_ipc_ns(k.pid);
		if (held[n] < 0)
			rc = probe_fail_errno(PROBE_ERROR, errno, "/proc/%d/ns/ipc", (int)k.pid);
		else
			n++;
		if (kid_end(&k))
			rc = PROBE_ERROR;
	}
	printf("HEADROOM held=%d limit=%d extra=%s waited_ms=%.0f retries=%u\n", n,
	       HEADROOM_LIMIT, n == HEADROOM_LIMIT ? "made" : n == HEADROOM_LIMIT - 1 && err
	       ? probe_errno_name(err) : "-", (now_s() - start) * 1000, retries);
	for (i = 0; i < n; i++)
		close(held[i]);
	if (rc)
		return rc;
	if (n < HEADROOM_LIMIT - 1)
		return probe_fail_errno(PROBE_ERROR, err, "only %d IPC namespaces fit under "
					"max_ipc_namespaces=%d besides the probe's own, %.0f ms after "
					"the churn: the churn's are still counted", n, HEADROOM_LIMIT,
					(now_s() - start) * 1000);
	if (n == HEADROOM_LIMIT)
		return probe_fail(PROBE_ERROR, "max_ipc_namespaces=%d did not hold: %d IPC "
				  "namespaces were made besides the probe's own", HEADROOM_LIMIT, n);
	if (err != ENOSPC)
		return probe_fail_errno(PROBE_ERROR, err, "one IPC namespace over the limit");
	return PROBE_REACHED;
}

/* The sandbox. With a LIMIT, the churn runs under that max_ipc_namespaces:
 * namespaces queued for freeing then meet it, as in fast container churn
 * (before Linux 6.3 that was a spurious ENOSPC; 6.3 waits for the frees).
 * Without, under the user namespace's own (INT_MAX): the plain rate. */
static int churn_in_userns(void *p)
{
	struct churn *c = p;
	unsigned long mine = ns_inode(0, "ipc");
	unsigned made = 0, enospc = 0, retries = 0;
	double start, deadline, give_up = 0, took;
	const char *stopped = "no";
	char limit[16];
	int rc = PROBE_REACHED, result, err;
	struct kid k;
	mqd_t q;

	signal(SIGPIPE, SIG_IGN); /* a host side that died is an error, not a signal */
	if (c->limit && (rc = set_own_limit(c->limit)))
		return rc;
	q = mq_open(c->obj.mq_name, O_RDONLY | O_CLOEXEC);
	c->obj.mq = !(q == (mqd_t)-1 && errno == ENOSYS);
	if (q != (mqd_t)-1)
		mq_close(q);
	start = now_s();
	deadline = start + c->seconds;
	while (made < c->asked) {
		if (now_s() >= deadline) {
			stopped = "time";
			break;
		}
		c->obj.value = made & PROBE_VALUE_MAX;
		err = kid_start(&k, make_objects, &c->obj);
		if (err == ENOSPC) { /* retried, as LTP's safe_clone does, and counted */
			if (!give_up) {
				enospc++;
				give_up = now_s() + probe_timeout();
			}
			retries++;
			if (now_s() < give_up) {
				pause_1ms();
				continue;
			}
			rc = probe_fail(PROBE_ERROR, "clone(CLONE_NEWIPC): ENOSPC for %u s after "
					"%u namespaces (%u retries)", probe_timeout(), made, retries);
			break;
		}
		if (err) {
			rc = PROBE_ERROR;
			break;
		}
		give_up = 0;
		result = kid_result(&k, mine);
		if (result < 0) {
			rc = PROBE_ERROR;
			break;
		}
		if (result == 0) /* the objects live until kid_end */
			result = ask_host(c);
		rc = kid_end(&k);
		if (result || rc) {
			rc = result ? result : rc;
			probe_fail(rc, "namespace %u of %u failed (above)", made + 1, c->asked);
			break;
		}
		made++;
	}
	took = now_s() - start;
	snprintf(limit, sizeof(limit), "%u", c->limit);
	printf("CHURN made=%u asked=%u seconds=%.3f per_second=%.0f enospc=%u retries=%u "
	       "limit=%s mq=%s stopped=%s\n", made, c->asked, took, made / took, enospc,
	       retries, c->limit ? limit : "none", c->obj.mq ? "yes" : "no", stopped);
	return rc ? rc : headroom(now_s() + probe_timeout());
}

/* The host side: answers the sandbox's "does the host see them?" while the
 * objects of each namespace live, until EOF (the sandbox is gone). */
static int serve_host(int asks, int answers, const struct objects *o, double deadline,
		      unsigned *checked, unsigned *visible)
{
	char ask;
	ssize_t n;
	int rc, seen;

	for (;;) {
		double left = deadline - now_s();

		rc = probe_wait_fd(asks, POLLIN, left < 1 ? 1 : (unsigned)left, "the churn");
		if (rc)
			return rc;
		do
			n = read(asks, &ask, 1);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return PROBE_REACHED;
		if (n < 0)
			return probe_fail_errno(PROBE_ERROR, errno, "read (the churn)");
		seen = host_sees(o);
		(*checked)++;
		*visible += seen == 1;
		if (probe_checkpoint_write(answers, seen ? 'y' : 'n'))
			return probe_fail_errno(PROBE_ERROR, errno, "answering the churn");
	}
}

static int churn(unsigned asked, unsigned seconds, unsigned limit)
{
	struct churn c = { .asked = asked, .seconds = seconds, .limit = limit };
	unsigned bound = seconds + 3 * probe_timeout(), checked = 0, visible = 0;
	int asks[2], answers[2], rc, served, last;
	char token[PROBE_TOKEN_MAX + 1];
	pid_t runner;

	snprintf(token, sizeof(token), "ipcns-churn-%d", (int)getpid());
	c.obj.key = probe_sysv_key(token);
	probe_posix_name(token, c.obj.mq_name, sizeof(c.obj.mq_name));
	c.obj.page = sysconf(_SC_PAGESIZE);
	c.obj.mq = true; /* the host side takes ENOSYS for "not there" */
	if (pipe2(asks, O_CLOEXEC))
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");
	if (pipe2(answers, O_CLOEXEC)) {
		close(asks[0]);
		close(asks[1]);
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");
	}
	c.ask_host = asks[1];
	c.host_said = answers[0];
	runner = start_in_own_userns(churn_in_userns, &c, bound, asks[1]);
	close(asks[1]);
	close(answers[0]);
	served = runner < 0 ? PROBE_ERROR : serve_host(asks[0], answers[1], &c.obj,
						       now_s() + bound, &checked, &visible);
	close(asks[0]);
	close(answers[1]);
	rc = runner < 0 ? PROBE_ERROR : ns_wait(runner, bound + probe_timeout(), "the churn");
	last = host_sees(&c.obj); /* and once more, with every namespace gone */
	printf("HOST checked=%u visible=%u key=%d name=%s\n", checked, visible + (last == 1),
	       c.obj.key, c.obj.mq_name);
	if (rc == PROBE_UNSUPPORTED)
		probe_fail(rc, "%s", why_no_userns());
	return rc ? rc : served ? served : last ? PROBE_ERROR : visible ? PROBE_ERROR : 0;
}

/* ---- limits -------------------------------------------------------------- */

struct cell {
	char observed[32]; /* "" no valid observation; "skip": detail says why */
	char detail[400];
};

static int fill(struct cell *c, const char *observed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fill(struct cell *c, const char *observed, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->observed, sizeof(c->observed), "%s", observed);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return PROBE_REACHED; /* the cell holds the outcome */
}

/* FN(ARG) in a child in a new IPC namespace: its result, or -1 (said why). */
static int in_new_ipc_ns(kid_fn fn, void *arg)
{
	struct kid k;
	int result, err = kid_start(&k, fn, arg);

	if (err)
		return -1;
	result = kid_result(&k, ns_inode(0, "ipc"));
	if (result >= 0 && kid_end(&k))
		return -1;
	return result;
}

/* max_ipc_namespaces=LOW_LIMIT in our user namespace, whose own IPC
 * namespace (made with it) is the first; then more until one fails. */
static int limit_in_userns(void *p)
{
	struct cell *c = p;
	int held[LOW_LIMIT], n = 0, err = 0, rc, i;
	unsigned long mine = ns_inode(0, "ipc");
	char word[32];
	struct kid k;

	if ((rc = set_own_limit(LOW_LIMIT)))
		return rc == PROBE_UNSUPPORTED
			       ? fill(c, "skip", "no %s on this kernel (Linux 4.9 or later)",
				      MAX_NS_FILE)
			       : fill(c, "", "could not set %s in the probe's user namespace",
				      MAX_NS_FILE);
	while (n < LOW_LIMIT && !(err = kid_start(&k, nothing, NULL))) {
		if (kid_result(&k, mine) < 0)
			return fill(c, "", "making IPC namespace %d failed (see stderr)", n + 2);
		held[n] = open_ipc_ns(k.pid);
		err = held[n] < 0 ? errno : 0;
		if (kid_end(&k) || err)
			return fill(c, "", "holding IPC namespace %d: %s", n + 2,
				    err ? probe_errno_name(err) : "its process failed");
		n++;
	}
	for (i = 0; i < n; i++)
		close(held[i]);
	if (!err)
		return fill(c, "exceeded", "max_ipc_namespaces=%d in the probe's user namespace:"
			    " its own IPC namespace and %d more were made", LOW_LIMIT, n);
	if (n + 1 < LOW_LIMIT)
		return fill(c, "", "clone(CLONE_NEWIPC): %s after only %d IPC namespaces "
			    "(the probe's own and %d more), below max_ipc_namespaces=%d",
			    probe_errno_name(err), n + 1, n, LOW_LIMIT);
	for (i = 0; probe_errno_name(err)[i] && i < (int)sizeof(word) - 1; i++)
		word[i] = (char)(probe_errno_name(err)[i] | 0x20); /* ENOSPC -> enospc */
	word[i] = '\0';
	return fill(c, word, "max_ipc_namespaces=%d in the probe's user namespace: its own "
		    "IPC namespace and %d more were made; the next clone(CLONE_NEWIPC): %s",
		    LOW_LIMIT, n, probe_errno_name(err));
}

static const struct mq_attr big_queue = { .mq_maxmsg = MQ_MAXMSG, .mq_msgsize = MQ_MSGSIZE };

/* In a new IPC namespace: 0 when a big queue fits, else mq_open's errno. The
 * queue stays until the namespace goes. */
static int try_big_queue(void *name)
{
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &big_queue);

	if (q == (mqd_t)-1)
		return errno;
	mq_close(q);
	return 0;
}

/* RLIMIT_MSGQUEUE=MQ_BUDGET; a big queue here, the same in a new IPC
 * namespace: EMFILE means the budget is the user's, across namespaces. */
static int rlimit_in_userns(void *p)
{
	struct cell *c = p;
	struct rlimit budget = { MQ_BUDGET, MQ_BUDGET };
	char name[64];
	int second, control;
	mqd_t q;

	snprintf(name, sizeof(name), "/ipcns-churn-%d-budget", (int)getpid());
	if (setrlimit(RLIMIT_MSGQUEUE, &budget))
		return fill(c, "", "setrlimit(RLIMIT_MSGQUEUE, %d): %s", MQ_BUDGET,
			    probe_errno_name(errno));
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &big_queue);
	if (q == (mqd_t)-1)
		return errno == ENOSYS
			       ? fill(c, "skip", "no POSIX message queues on this kernel "
				      "(CONFIG_POSIX_MQUEUE is off): mq_open: ENOSYS")
			       : fill(c, "", "the first queue (%d x %d bytes) did not fit "
				      "RLIMIT_MSGQUEUE=%d: %s", MQ_MAXMSG, MQ_MSGSIZE, MQ_BUDGET,
				      probe_errno_name(errno));
	second = in_new_ipc_ns(try_big_queue, name);
	if (second < 0)
		return fill(c, "", "the second queue's IPC namespace failed (see stderr)");
	if (second == 0)
		return fill(c, "isolated", "RLIMIT_MSGQUEUE=%d: a queue of %d x %d bytes fit in "
			    "a new IPC namespace while the same queue lived in the probe's own",
			    MQ_BUDGET, MQ_MAXMSG, MQ_MSGSIZE);
	if (second != EMFILE)
		return fill(c, "", "the second queue, in a new IPC namespace: mq_open: %s",
			    probe_errno_name(second));
	/* The control: the same queue fits once the first one is gone. */
	mq_close(q);
	if (mq_unlink(name))
		return fill(c, "", "removing the first queue: %s", probe_errno_name(errno));
	control = in_new_ipc_ns(try_big_queue, name);
	if (control)
		return fill(c, "", "control failed: with the first queue removed, the second "
			    "(in a new IPC namespace) still gave %s",
			    control < 0 ? "no answer (see stderr)" : probe_errno_name(control));
	return fill(c, "shared", "RLIMIT_MSGQUEUE=%d: a queue of %d x %d bytes in the probe's"
		    " IPC namespace left too little for the same in a new IPC namespace of the "
		    "same user (EMFILE); with the first removed, it fit (the control)",
		    MQ_BUDGET, MQ_MAXMSG, MQ_MSGSIZE);
}

static int limits(void)
{
	static const struct {
		const char *mech, *scenario;
		ns_child_fn fn;
	} cells[] = {
		{ "ipc-ns", "max-ipc-namespaces", limit_in_userns },
		{ "posix-mq", "rlimit-msgqueue-shared", rlimit_in_userns },
	};
	struct cell *board = mmap(NULL, sizeof(struct cell) * 2, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned bound = 3 * probe_timeout();

	if (board == MAP_FAILED)
		return probe_fail_errno(PROBE_ERROR, errno, "mmap");
	for (size_t i = 0; i < 2; i++) {
		struct cell *c = &board[i];
		pid_t runner = start_in_own_userns(cells[i].fn, c, bound, -1);
		int rc = runner < 0 ? PROBE_ERROR : ns_wait(runner, bound + probe_timeout(),
							    "the measurement");

		if (rc == PROBE_UNSUPPORTED && !c->detail[0])
			fill(c, "skip", "%s", why_no_userns());
		else if (!c->detail[0])
			fill(c, "", "the measurement stopped early: exit %d (see stderr)", rc);
		for (char *s = c->detail; *s; s++)
			if (*s == '\t' || *s == '\n')
				*s = ' ';
		printf("OBSERVE\t%s\t%s\tclone\tipc+user\t%s\t%s\n", cells[i].mech,
		       cells[i].scenario, c->observed, c->detail);
		fflush(stdout); /* recorded even if a later step hangs */
	}
	munmap(board, sizeof(struct cell) * 2);
	return PROBE_REACHED;
}

/* ---- main ---------------------------------------------------------------- */

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "probe-churn: %s%.32s\n", what, arg);
	fputs(usage_text, stderr);
	return PROBE_USAGE;
}

int main(int argc, char **argv)
{
	unsigned asked = 0, seconds = 60, limit = 0;
	long before = 0, after = 0;
	bool has_limit_file;
	int i = 1, rc;

	if (probe_init(argv[0])) {
		fputs(usage_text, stderr);
		return PROBE_USAGE;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return fputs(usage_text, stdout) < 0 ? PROBE_ERROR : PROBE_REACHED;
	if (probe_take_timeout(argc, argv, &i)) {
		fputs(usage_text, stderr);
		return PROBE_USAGE;
	}
	if (i >= argc)
		return usage_error("missing churn or limits", "");
	if (!strcmp(argv[i], "limits")) {
		if (argc - i != 1)
			return usage_error("limits takes no arguments", "");
	} else if (!strcmp(argv[i], "churn")) {
		if (argc - i < 2 || argc - i > 4)
			return usage_error("churn takes N [SECONDS [LIMIT]]", "");
		if (!probe_parse_uint(argv[i + 1], 1, CHURN_MAX, &asked))
			return usage_error("N wants 1..1000000, got ", argv[i + 1]);
		if (argc - i >= 3 && !probe_parse_uint(argv[i + 2], 1, PROBE_TIMEOUT_MAX, &seconds))
			return usage_error("SECONDS wants 1..3600, got ", argv[i + 2]);
		if (argc - i == 4 && !probe_parse_uint(argv[i + 3], 2, LIMIT_MAX, &limit))
			return usage_error("LIMIT wants 2..4096, got ", argv[i + 3]);
	} else {
		return usage_error(argv[i][0] == '-' ? "unknown option " : "unknown command ",
				   argv[i]);
	}

	if (!(host_user_ns = ns_inode(0, "user")))
		return probe_fail_errno(PROBE_UNSUPPORTED, errno, "/proc/self/ns/user");
	clone_stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (clone_stack == MAP_FAILED)
		return probe_fail_errno(PROBE_ERROR, errno, "mmap (clone stack)");
	has_limit_file = !read_long(MAX_NS_FILE, &before);
	rc = asked ? churn(asked, seconds, limit) : limits();
	/* The net: the host's limit must be as it was (it is only ever written in
	 * a user namespace of ours); root puts it back. */
	if (has_limit_file && (read_long(MAX_NS_FILE, &after) || after != before)) {
		probe_fail(PROBE_ERROR, "SAFETY: the host's %s changed during this run (was %ld, "
			   "now %ld)%s", MAX_NS_FILE, before, after,
			   geteuid() == 0 && !write_long(MAX_NS_FILE, before) ? "; restored it" : "");
		rc = PROBE_ERROR;
	}
	munmap(clone_stack, STACK_SIZE);
	return rc;
}
