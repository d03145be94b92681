/* SPDX-License-Identifier: MIT
 *
 * probe-boundary: what a process's IPC state does when it crosses an IPC
 * namespace boundary (unshare, setns), whether SysV ids are a side door, and
 * what nsfs says of a namespace. A GROUP runs in a sandbox IPC namespace the
 * probe makes, so its objects die with it; only "ids" makes objects on the
 * host (they are the point), removed before it exits. One OBSERVE line a
 * cell; the probe never judges what it saw.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

/* linux/nsfs.h; distribution headers may lack the newer ones. */
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(0xb7, 0x1)
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif
#ifndef NS_GET_ID
#define NS_GET_ID _IOR(0xb7, 13, uint64_t) /* Linux 6.18 */
#endif

#define SEG_BYTES 4096
#define NHOST 3 /* host objects of each kind for "ids" */

union semun {
	int val;
	struct semid_ds *buf;
};

static const char usage_text[] =
	"usage: probe-boundary [-t SECONDS] GROUP\n"
	"Measures, in an IPC namespace it makes, what happens at the boundary of an\n"
	"IPC namespace; prints a line a cell, tab-separated:\n"
	"OBSERVE mechanism scenario entry namespaces observed detail\n"
	"  GROUP  sem-undo  SEM_UNDO at unshare and setns; CLONE_NEWIPC|CLONE_SYSVSEM\n"
	"         handles   shm mappings and ids, mqueue fds and names across unshare;\n"
	"                   kernel.shm_rmid_forced (written only in its own namespace)\n"
	"         ids       SysV ids: restart, host ids from inside, /proc/sysvipc\n"
	"                   (makes 3 objects of each kind on the host, removed on exit)\n"
	"         identity  /proc/self/ns/ipc after unshare and setns; nsfs ioctls\n"
	"  -t     bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error, 5 timeout\n";

/* ---- cells: a measurement returns what it observed and leaves its detail
 * here; "" is no valid observation, "skip" could not be made (detail: why) */

static const char *cell_ns = "ipc"; /* "ipc+user" when not root */
static char detail[400];

static const char *seen(const char *observed, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *seen(const char *observed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return observed;
}

#define because(...) seen("", __VA_ARGS__)

/* The same reason again, for the next cell that could not be measured. */
static const char *again(const char *why)
{
	return because("%s", why);
}

static void cell(const char *mech, const char *scen, const char *entry, const char *observed)
{
	for (char *p = detail; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	printf("OBSERVE\t%s\t%s\t%s\t%s\t%s\t%s\n", mech, scen, entry, cell_ns, observed, detail);
	fflush(stdout); /* recorded even if a later step hangs */
}

static const char *ename(long err)
{
	return err ? probe_errno_name((int)err) : "ok";
}

static long err_of(int rc)
{
	return rc < 0 ? errno : 0;
}

/* ---- a forked child, and pipes both ways carrying one long a message ---- */

struct peer {
	pid_t pid;
	int to, from; /* in the child: its ends towards the parent */
};

typedef int (*child_fn)(struct peer *self, void *arg);
typedef const char *(*steps_fn)(struct peer *child, void *arg);

static int tell(struct peer *p, long v)
{
	return write(p->to, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -1;
}

/* Bounded; -1 (detail set) on timeout or EOF. */
static int heard(struct peer *p, long *v)
{
	ssize_t n;

	if (probe_wait_fd(p->from, POLLIN, probe_timeout(), "the other side")) {
		because("no word from the other side within %u s", probe_timeout());
		return -1;
	}
	do
		n = read(p->from, v, sizeof(*v)); /* one write of 8 bytes: atomic */
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*v))
		return 0;
	because("the other side stopped early (%s)", n < 0 ? ename(errno) : "EOF");
	return -1;
}

static int peer_start(struct peer *p, child_fn fn, void *arg)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC))
		return because("pipe: %s", ename(errno)), -1;
	if (pipe2(up, O_CLOEXEC)) {
		close(down[0]);
		close(down[1]);
		return because("pipe: %s", ename(errno)), -1;
	}
	fflush(stdout); /* nothing buffered may be written twice */
	p->pid = fork();
	if (p->pid == 0) {
		struct peer self = { 0, up[1], down[0] };
		close(up[0]);
		close(down[1]);
		_exit(fn(&self, arg));
	}
	close(up[1]);
	close(down[0]);
	p->to = down[1];
	p->from = up[0];
	if (p->pid > 0)
		return 0;
	because("fork: %s", ename(errno));
	close(p->to);
	close(p->from);
	return -1;
}

/* EOF on its pipe lets a waiting child go; then it is reaped, bounded. */
static int peer_end(struct peer *p)
{
	close(p->to);
	close(p->from);
	return ns_wait(p->pid, probe_timeout(), "the child");
}

/* CHILD(ARG) in a forked child, STEPS(it, ARG) here; the child is reaped. */
static const char *with_child(child_fn child, steps_fn steps, void *arg)
{
	struct peer c;
	const char *observed;

	if (peer_start(&c, child, arg))
		return "";
	observed = steps(&c, arg);
	peer_end(&c);
	/* steps return literals or the static detail, never a part of c */
	// cppcheck-suppress returnDanglingLifetime
	return observed;
}

/* ---- namespaces held through an fd --------------------------------------- */

static int wait_for_release(void *release)
{
	close(((int *)release)[1]);
	/* EOF: the parent has opened what it wanted */
	return probe_checkpoint_read(((int *)release)[0], '-', probe_timeout(), "release") != 1;
}

static int open_ns(pid_t pid, const char *type)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* *IPC: a new IPC namespace (owned by a new user namespace, *USER, with
 * NS_WANT_USER) that lives as long as the fd. NULL when held, else what to
 * observe: "skip" where this kernel or privilege does not allow it. */
static const char *hold_ns(unsigned want, int *ipc, int *user)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	int release[2], rc;
	pid_t pid;

	*ipc = -1;
	if (pipe2(release, O_CLOEXEC))
		return because("pipe: %s", ename(errno));
	rc = ns_start(&spec, wait_for_release, release, &pid);
	*ipc = rc ? -1 : open_ns(pid, "ipc");
	if (user)
		*user = rc ? -1 : open_ns(pid, "user");
	close(release[0]);
	close(release[1]);
	if (!rc)
		rc = ns_wait(pid, probe_timeout(), "the holder");
	if (!rc && *ipc >= 0 && (!user || *user >= 0))
		return NULL;
	return seen(rc == PROBE_UNSUPPORTED ? "skip" : "", "making an IPC namespace%s to hold:"
		    " %s (ns_start exit %d)", user ? " in a new user namespace" : "",
		    rc == PROBE_UNSUPPORTED ? "not allowed here" : "failed", rc);
}

static unsigned long fd_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/* ---- sem-undo ------------------------------------------------------------ */

struct crossing {
	int semid, flags, nsfd; /* unshare(flags), or setns(nsfd) when >= 0 */
	const char *call;
};

/* Takes 2 with SEM_UNDO, crosses when told, stays while the parent looks. */
static int undo_child(struct peer *self, void *arg)
{
	const struct crossing *x = arg;
	struct sembuf take = { 0, -2, SEM_UNDO | IPC_NOWAIT };
	long go;

	if (tell(self, err_of(semop(x->semid, &take, 1))) || heard(self, &go))
		return 1;
	tell(self, err_of(x->nsfd >= 0 ? setns(x->nsfd, CLONE_NEWIPC) : unshare(x->flags)));
	heard(self, &go);
	return 0;
}

/* Value 5, 3 once the child took 2 (the control); right after it crossed,
 * 5 means its undo was applied then, 3 that it was kept. */
static const char *undo_steps(struct peer *c, void *arg)
{
	const struct crossing *x = arg;
	long err;
	int v;

	if (heard(c, &err))
		return "";
	if (err)
		return because("the child's semop(-2, SEM_UNDO): %s", ename(err));
	if ((v = semctl(x->semid, 0, GETVAL)) != 3)
		return because("positive control failed: the child's semop(-2, SEM_UNDO) left "
			       "%d, not 3", v);
	if (tell(c, 0) || heard(c, &err))
		return "";
	if (err)
		return because("%s in the child: %s", x->call, ename(err));
	v = semctl(x->semid, 0, GETVAL);
	return seen(v == 5 ? "applied" : v == 3 ? "kept" : "", "value 5, 3 after the child's "
		    "semop(-2, SEM_UNDO), %d right after its %s", v, x->call);
}

static const char *sem_undo(struct crossing *x)
{
	const char *observed;
	size_t n;

	x->semid = semget(IPC_PRIVATE, 1, 0600);
	if (x->semid < 0 || semctl(x->semid, 0, SETVAL, (union semun){ .val = 5 })) {
		because("semget/SETVAL: %s", ename(errno));
		if (x->semid >= 0)
			semctl(x->semid, 0, IPC_RMID);
		return "";
	}
	observed = with_child(undo_child, undo_steps, x);
	n = strlen(detail);
	if (*observed) /* the child has exited: a pending undo is applied now */
		snprintf(detail + n, sizeof(detail) - n, ", %d after it exited",
			 semctl(x->semid, 0, GETVAL));
	semctl(x->semid, 0, IPC_RMID);
	return observed;
}

static int exit_at_once(void *arg)
{
	(void)arg;
	return 0;
}

/* clone(FLAGS) of a child that exits at once (and is reaped): its errno. */
static long clone_child(int flags)
{
	enum { STACK = 64 * 1024 };
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;
	long err;

	if (stack == MAP_FAILED)
		return errno;
	pid = clone(exit_at_once, stack + STACK, flags | SIGCHLD, NULL);
	err = pid < 0 ? errno : 0;
	if (pid > 0)
		ns_wait(pid, probe_timeout(), "the cloned child");
	munmap(stack, STACK);
	return err;
}

/* CLONE_NEWIPC alone must work (the control); then with CLONE_SYSVSEM. */
static const char *sysvsem_pair(const char *call, long control, long err)
{
	if (control)
		return because("positive control failed: %s(CLONE_NEWIPC) alone: %s", call,
			       ename(control));
	return seen(err == EINVAL ? "einval" : err ? "" : "accepted", "%s(CLONE_NEWIPC|"
		    "CLONE_SYSVSEM): %s; %s(CLONE_NEWIPC) alone: ok", call, ename(err), call);
}

static int unshare_pair_child(struct peer *self, void *arg)
{
	(void)arg;
	tell(self, err_of(unshare(CLONE_NEWIPC)));
	tell(self, err_of(unshare(CLONE_NEWIPC | CLONE_SYSVSEM)));
	return 0;
}

static const char *unshare_pair(struct peer *c, void *arg)
{
	long control, err;

	(void)arg;
	return heard(c, &control) || heard(c, &err) ? "" : sysvsem_pair("unshare", control, err);
}

static void group_sem_undo(void)
{
	struct crossing x = { .flags = CLONE_NEWIPC, .nsfd = -1, .call = "unshare(CLONE_NEWIPC)" };
	long control = clone_child(CLONE_NEWIPC);
	const char *held;

	cell("sem-undo", "at-unshare", "unshare", sem_undo(&x));
	x.call = "setns(fd, CLONE_NEWIPC)";
	held = hold_ns(0, &x.nsfd, NULL);
	cell("sem-undo", "at-setns", "setns", held ? held : sem_undo(&x));
	if (x.nsfd >= 0)
		close(x.nsfd);
	x = (struct crossing){ .flags = CLONE_NEWUTS, .nsfd = -1, .call = "unshare(CLONE_NEWUTS)" };
	cell("sem-undo", "control-unshare-uts", "unshare", sem_undo(&x));
	cell("clone-flags", "clone-newipc-sysvsem", "clone", sysvsem_pair("clone", control,
		control ? 0 : clone_child(CLONE_NEWIPC | CLONE_SYSVSEM)));
	cell("clone-flags", "unshare-newipc-sysvsem", "unshare",
	     with_child(unshare_pair_child, unshare_pair, NULL));
}

/* ---- handles ------------------------------------------------------------- */

struct handles {
	int shmid;
	char *map; /* attached before the fork: the child inherits it */
	mqd_t mq;
	char mqname[64];
	long mq_err, stat0, send0, unshared, stat1, send1, unlink1, child_read, reopen;
	bool map200, mq300, map201, mq301;
};

static int map_value(const char *map)
{
	unsigned v;

	return probe_scan_value(map, 16, &v) ? (int)v : -1;
}

static int mq_value(mqd_t mq)
{
	char buf[64];
	unsigned v;
	ssize_t n = mq_receive(mq, buf, sizeof(buf), NULL);

	return n > 0 && probe_scan_value(buf, (size_t)n, &v) ? (int)v : -1;
}

/* The same handles before (the controls) and after unshare(CLONE_NEWIPC). */
static int handles_child(struct peer *self, void *arg)
{
	struct handles *h = arg;
	struct shmid_ds ds;
	long go;

	probe_format_value(h->map, 16, 200);
	if (tell(self, err_of(shmctl(h->shmid, IPC_STAT, &ds))) ||
	    tell(self, err_of(mq_send(h->mq, "300", 4, 0))) || heard(self, &go) ||
	    tell(self, err_of(unshare(CLONE_NEWIPC))))
		return 1;
	probe_format_value(h->map, 16, 201);
	tell(self, err_of(shmctl(h->shmid, IPC_STAT, &ds)));
	tell(self, err_of(mq_send(h->mq, "301", 4, 0)));
	tell(self, err_of(mq_unlink(h->mqname)));
	if (heard(self, &go))
		return 1;
	return tell(self, map_value(h->map));
}

static const char *handles_steps(struct peer *c, void *arg)
{
	struct handles *h = arg;
	mqd_t reopened;

	if (heard(c, &h->stat0) || heard(c, &h->send0))
		return "";
	h->map200 = map_value(h->map) == 200;
	h->mq300 = mq_value(h->mq) == 300;
	if (tell(c, 0) || heard(c, &h->unshared))
		return "";
	if (h->unshared)
		return because("unshare(CLONE_NEWIPC) in the child: %s", ename(h->unshared));
	if (heard(c, &h->stat1) || heard(c, &h->send1) || heard(c, &h->unlink1))
		return "";
	h->map201 = map_value(h->map) == 201;
	h->mq301 = mq_value(h->mq) == 301;
	reopened = mq_open(h->mqname, O_RDONLY); /* the control of unlink-after-unshare */
	h->reopen = reopened == (mqd_t)-1 ? errno : 0;
	if (!h->reopen)
		mq_close(reopened);
	probe_format_value(h->map, 16, 202);
	return tell(c, 0) || heard(c, &h->child_read) ? "" : "done";
}

static const char *mapping(const struct handles *h)
{
	if (!h->map200)
		return because("positive control failed: before unshare the parent did not "
			       "read the child's 200 through the mapping");
	return seen(h->map201 && h->child_read == 202 ? "crosses" : "blocked", "one shmat "
		    "mapping after the child's unshare(CLONE_NEWIPC): the parent read its 201: "
		    "%s; the child read %ld (the parent wrote 202)", h->map201 ? "yes" : "no",
		    h->child_read);
}

static const char *old_id(const struct handles *h)
{
	if (h->stat0)
		return because("positive control failed: shmctl(IPC_STAT) before unshare: %s",
			       ename(h->stat0));
	return seen(h->stat1 == EINVAL ? "isolated" : h->stat1 ? "" : "shared", "shmctl(id, "
		    "IPC_STAT): ok before unshare(CLONE_NEWIPC), %s after", ename(h->stat1));
}

static const char *mq_fd(const struct handles *h)
{
	if (h->send0 || !h->mq300)
		return because("positive control failed: before unshare mq_send: %s, the parent "
			       "got 300: %s", ename(h->send0), h->mq300 ? "yes" : "no");
	return seen(!h->send1 && h->mq301 ? "crosses" : "blocked", "after unshare(CLONE_NEWIPC)"
		    " the child's mq_send on its old fd: %s; the parent received 301: %s",
		    ename(h->send1), h->mq301 ? "yes" : "no");
}

static const char *mq_unlinked(const struct handles *h)
{
	if (h->unlink1 == ENOENT && h->reopen)
		return because("positive control failed: after the child's mq_unlink (ENOENT) "
			       "the parent's mq_open: %s", ename(h->reopen));
	return seen(h->unlink1 == ENOENT ? "isolated" : h->unlink1 ? "" : "shared", "mq_unlink "
		    "by name after unshare(CLONE_NEWIPC): %s; then the parent's mq_open: %s",
		    ename(h->unlink1), ename(h->reopen));
}

static void handles_across_unshare(void)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	struct handles h = { .map = (void *)-1, .mq = (mqd_t)-1 };
	const char *done = "";
	char why[sizeof(detail)];

	snprintf(h.mqname, sizeof(h.mqname), "/ipcns-boundary-%d", (int)getpid());
	if ((h.shmid = shmget(IPC_PRIVATE, SEG_BYTES, 0600)) >= 0)
		h.map = shmat(h.shmid, NULL, 0);
	if (h.map == (void *)-1)
		because("shmget, shmat: %s", ename(errno));
	else if ((h.mq = mq_open(h.mqname, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600,
				 &attr)) == (mqd_t)-1)
		h.mq_err = errno; /* the shm cells are measured all the same */
	if (h.map != (void *)-1)
		done = with_child(handles_child, handles_steps, &h);
	snprintf(why, sizeof(why), "%s", detail);
	cell("sysv-shm", "mapping-across-unshare", "unshare", *done ? mapping(&h) : again(why));
	cell("sysv-shm", "old-id-after-unshare", "unshare", *done ? old_id(&h) : again(why));
	if (h.mq_err)
		snprintf(why, sizeof(why), "mq_open: %s%s", ename(h.mq_err), h.mq_err == ENOSYS
			 ? " (a kernel without POSIX message queues)" : "");
	cell("posix-mq", "fd-across-unshare", "unshare", h.mq_err == ENOSYS ? seen("skip", "%s",
	     why) : *done && !h.mq_err ? mq_fd(&h) : again(why));
	cell("posix-mq", "unlink-after-unshare", "unshare", h.mq_err == ENOSYS ? seen("skip", "%s",
	     why) : *done && !h.mq_err ? mq_unlinked(&h) : again(why));
	if (h.map != (void *)-1)
		shmdt(h.map);
	shmctl(h.shmid, IPC_RMID, NULL);
	if (h.mq != (mqd_t)-1)
		mq_close(h.mq);
	mq_unlink(h.mqname); /* the sandbox's own mqueue: it dies with it anyway */
}

static unsigned long host_ipc; /* the IPC namespace the probe started in */

/* Writes kernel.shm_rmid_forced, NEVER outside the sandbox: NULL when done,
 * else what to observe ("skip" where the kernel refuses us). */
static const char *set_rmid_forced(int value)
{
	unsigned long here = ns_inode(0, "ipc");
	char text[] = { (char)('0' + value), '\n' }, back = '?';
	long err = 0;
	int fd;

	if (!here || !host_ipc || here == host_ipc)
		return because("refusing to write kernel.shm_rmid_forced: IPC namespace %lu "
			       "is not one this probe made", here);
	fd = open("/proc/sys/kernel/shm_rmid_forced", O_RDWR | O_CLOEXEC);
	if (fd < 0 || write(fd, text, 2) != 2 || pread(fd, &back, 1, 0) != 1)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err == EPERM || err == EACCES || err == EROFS || err == ENOENT)
		return seen("skip", "writing kernel.shm_rmid_forced in the probe's own namespace:"
			    " %s (root of its owning user namespace may since Linux 6.9)", ename(err));
	if (err || back != text[0])
		return because("writing %d to kernel.shm_rmid_forced: %s, reads back %c", value,
			       ename(err), back);
	return NULL;
}

/* Makes a segment, never attached; with ARG it unshares when told. */
static int segment_child(struct peer *self, void *arg)
{
	int id = shmget(IPC_PRIVATE, SEG_BYTES, 0600);
	long go;

	if (tell(self, id < 0 ? -errno : id) || id < 0 || !arg || heard(self, &go))
		return 0;
	tell(self, err_of(unshare(CLONE_NEWIPC)));
	heard(self, &go);
	return 0;
}

/* The child's segment: "destroyed" once its id is EINVAL, else "kept". */
static const char *fate(long id)
{
	struct shmid_ds ds;
	long err = err_of(shmctl((int)id, IPC_STAT, &ds));

	if (err == EINVAL)
		return "destroyed";
	shmctl((int)id, IPC_RMID, NULL);
	return err ? because("shmctl(%ld, IPC_STAT): %s", id, ename(err)) : "kept";
}

static const char *at_unshare_steps(struct peer *c, void *arg)
{
	struct shmid_ds ds;
	long id, err;

	(void)arg;
	if (heard(c, &id))
		return "";
	if (id < 0)
		return because("the child's shmget: %s", ename(-id));
	if ((err = err_of(shmctl((int)id, IPC_STAT, &ds))))
		return because("positive control failed: shmctl(IPC_STAT) on the child's "
			       "segment before unshare: %s", ename(err));
	if (tell(c, 0) || heard(c, &err))
		return "";
	return err ? because("unshare(CLONE_NEWIPC) in the child: %s", ename(err)) : fate(id);
}

/* exit_shm at unshare: with shm_rmid_forced=0 (the control) and 1. */
static const char *rmid_at_unshare(void)
{
	const char *r;

	if ((r = set_rmid_forced(0)))
		return r;
	r = with_child(segment_child, at_unshare_steps, "unshare");
	if (strcmp(r, "kept"))
		return *r ? because("positive control failed: with shm_rmid_forced=0 the "
				    "segment was %s at unshare", r) : r;
	if ((r = set_rmid_forced(1)))
		return r;
	r = with_child(segment_child, at_unshare_steps, "unshare");
	return *r ? seen(r, "an unattached segment the child made: %s at its unshare(CLONE_"
			 "NEWIPC) with shm_rmid_forced=1, kept with 0 (the control)", r) : r;
}

/* A segment outlives its creator with shm_rmid_forced=0; then write 1. */
static const char *rmid_orphans(void)
{
	struct shmid_ds ds;
	struct peer c;
	const char *r;
	long id = -1, err;

	if ((r = set_rmid_forced(0)) || peer_start(&c, segment_child, NULL))
		return r ? r : "";
	err = heard(&c, &id);
	if (peer_end(&c) || err || id < 0)
		return err ? "" : because("the child that made the segment: shmget %s",
					  id < 0 ? ename(-id) : "ok, but it did not exit cleanly");
	if ((err = err_of(shmctl((int)id, IPC_STAT, &ds))))
		return because("positive control failed: the orphan after its creator exited: "
			       "%s", ename(err));
	if ((r = set_rmid_forced(1))) {
		shmctl((int)id, IPC_RMID, NULL);
		return r;
	}
	r = fate(id);
	return *r ? seen(r, "a segment whose creator exited with shm_rmid_forced=0 (control: "
			 "it was still there): %s right after writing 1", r) : r;
}

static void group_handles(void)
{
	handles_across_unshare();
	cell("sysv-shm", "rmid-forced-at-unshare", "unshare", rmid_at_unshare());
	cell("sysv-shm", "rmid-forced-orphans", "unshare", rmid_orphans());
	set_rmid_forced(0);
}

/* ---- ids ----------------------------------------------------------------- */

enum kind { MSG, SEM, SHM };
static const char *const kind_mech[] = { "sysv-msg", "sysv-sem", "sysv-shm" };
static const char *const kind_ctl[] = { "msgctl", "semctl", "shmctl" };
static const char *const kind_proc[] = { "/proc/sysvipc/msg", "/proc/sysvipc/sem",
					 "/proc/sysvipc/shm" };

static int host_ids[3][NHOST] = { { -1, -1, -1 }, { -1, -1, -1 }, { -1, -1, -1 } };
static pid_t host_owner;          /* only this process removes them */
static char host_control[3][160]; /* empty: the control on the host passed */

static int make_private(enum kind k)
{
	return k == MSG ? msgget(IPC_PRIVATE, 0600) : k == SEM ? semget(IPC_PRIVATE, 1, 0600)
							       : shmget(IPC_PRIVATE, SEG_BYTES, 0600);
}

static long stat_id(enum kind k, int id)
{
	struct msqid_ds m;
	struct semid_ds s;
	struct shmid_ds h;

	return err_of(k == MSG ? msgctl(id, IPC_STAT, &m)
		      : k == SEM ? semctl(id, 0, IPC_STAT, (union semun){ .buf = &s })
				 : shmctl(id, IPC_STAT, &h));
}

static long attach_id(int id)
{
	void *p = shmat(id, NULL, SHM_RDONLY);

	return p == (void *)-1 ? errno : shmdt(p) ? errno : 0;
}

/* Plain syscalls, so fit for a signal handler. Never from a child: it may
 * be in another namespace, where the same ids name other objects. */
static void remove_host_objects(void)
{
	for (int k = 0; k < 3 && getpid() == host_owner; k++)
		for (int i = 0; i < NHOST; i++) {
			int id = host_ids[k][i];
			if (id >= 0 && k == MSG)
				msgctl(id, IPC_RMID, NULL);
			else if (id >= 0 && k == SEM)
				semctl(id, 0, IPC_RMID);
			else if (id >= 0)
				shmctl(id, IPC_RMID, NULL);
			host_ids[k][i] = -1;
		}
}

static void remove_and_die(int sig)
{
	remove_host_objects();
	_exit(128 + sig);
}

/* How many ids /proc/sysvipc lists here; *HOST of them are the probe's host
 * objects' ids, *MINE whether ID is there. -1 when it cannot be read. */
static int listed(enum kind k, int id, int *host, bool *mine)
{
	FILE *f = fopen(kind_proc[k], "re");
	char line[512];
	int n = 0, key, got;

	*host = 0;
	*mine = false;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d", &key, &got) == 2) {
			n++;
			*mine |= got == id;
			for (int i = 0; i < NHOST; i++)
				*host += got == host_ids[k][i];
		}
	fclose(f);
	return n;
}

/* NHOST objects of each kind on the host, and the controls there: each is
 * reached by id, and /proc/sysvipc lists them. */
static void make_host_objects(void)
{
	struct sigaction sa = { .sa_handler = remove_and_die };
	bool unused;
	int host;

	host_owner = getpid();
	atexit(remove_host_objects);
	sigemptyset(&sa.sa_mask);
	for (int s = 0; s < 3; s++)
		sigaction((int[]){ SIGINT, SIGTERM, SIGHUP }[s], &sa, NULL);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < NHOST && !host_control[k][0]; i++) {
			long err = (host_ids[k][i] = make_private(k)) < 0 ? errno : 0;
			err = err ? err : stat_id(k, host_ids[k][i]);
			err = (err || k != SHM) ? err : attach_id(host_ids[k][i]);
			if (err)
				snprintf(host_control[k], sizeof(host_control[k]), "a host object "
					 "made and reached by id: %s", ename(err));
		}
		listed(k, -1, &host, &unused);
		if (!host_control[k][0] && host != NHOST)
			snprintf(host_control[k], sizeof(host_control[k]), "%s on the host "
				 "does not list the probe's objects", kind_proc[k]);
	}
}

/* From the sandbox, while it is empty: every host id by IPC_STAT (and shmat). */
static const char *foreign_id(enum kind k)
{
	int tried = 0, reached = 0;
	long other = 0;

	if (host_control[k][0])
		return because("positive control failed: %s", host_control[k]);
	for (int i = 0; i < NHOST * (k == SHM ? 2 : 1); i++) {
		long err = i >= NHOST ? attach_id(host_ids[k][i - NHOST])
				      : stat_id(k, host_ids[k][i]);
		tried++;
		reached += !err;
		other = err && err != EINVAL ? err : other;
	}
	return seen(reached ? "shared" : other ? "" : "isolated", "%s(IPC_STAT)%s on %d host ids"
		    " (%d %d %d), each reached on the host: %d of %d calls reached an object, "
		    "the others: %s", kind_ctl[k], k == SHM ? " and shmat" : "", NHOST,
		    host_ids[k][0], host_ids[k][1], host_ids[k][2], reached, tried,
		    ename(other ? other : EINVAL));
}

static const char *id_restart(enum kind k, int *id)
{
	static char num[16];
	long err = (*id = make_private(k)) < 0 ? errno : stat_id(k, *id);

	if (err)
		return because("the first object in a fresh namespace: %s", ename(err));
	snprintf(num, sizeof(num), "%d", *id);
	return seen(num, "the id of the first object made in a fresh IPC namespace (and "
		    "IPC_STAT on it: ok)");
}

static const char *proc_sysvipc(enum kind k, int mine)
{
	int host, n;
	bool listed_mine;

	if (host_control[k][0] || mine < 0)
		return because("positive control failed: %s", mine < 0 ? "no object of our own "
			       "in the namespace" : host_control[k]);
	n = listed(k, mine, &host, &listed_mine);
	if (n == 1 && listed_mine)
		return seen("isolated", "%s in the namespace lists only its own id %d; on the "
			    "host it listed the probe's %d", kind_proc[k], mine, NHOST);
	return seen(host == NHOST ? "shared" : "", "%s in the namespace: %d ids (%s), the "
		    "host's %d of %d among them", kind_proc[k], n, ename(n < 0 ? errno : 0),
		    host, NHOST);
}

static void group_ids(void)
{
	int mine[3];

	for (int k = 0; k < 3; k++) /* first, while the namespace is empty */
		cell(kind_mech[k], "foreign-id", "clone", foreign_id(k));
	for (int k = 0; k < 3; k++)
		cell(kind_mech[k], "id-restart", "clone", id_restart(k, &mine[k]));
	for (int k = 0; k < 3; k++)
		cell(kind_mech[k], "proc-sysvipc", "clone", proc_sysvipc(k, mine[k]));
}

/* ---- identity ------------------------------------------------------------ */

/* Its ipc inode before and after crossing (unshare, or setns into *ARG). */
static int inode_child(struct peer *self, void *arg)
{
	int nsfd = *(int *)arg;

	tell(self, (long)ns_inode(0, "ipc"));
	tell(self, err_of(nsfd >= 0 ? setns(nsfd, CLONE_NEWIPC) : unshare(CLONE_NEWIPC)));
	return tell(self, (long)ns_inode(0, "ipc"));
}

static const char *inode_steps(struct peer *c, void *arg)
{
	int nsfd = *(int *)arg;
	unsigned long mine = ns_inode(0, "ipc"), held = nsfd >= 0 ? fd_inode(nsfd) : 0;
	long before, err, after;

	if (heard(c, &before) || heard(c, &err) || heard(c, &after))
		return "";
	if (err || (unsigned long)before != mine || held == mine)
		return because("%s: %s; positive control: the child started in %ld, ours is "
			       "%lu, the target %lu", nsfd < 0 ? "unshare" : "setns", ename(err),
			       before, mine, held);
	if (nsfd < 0)
		return seen(after != before ? "differs" : "same", "ipc inode %ld before "
			    "unshare(CLONE_NEWIPC), %ld after", before, after);
	return seen((unsigned long)after == held ? "matches" : "differs", "ipc inode %ld "
		    "before setns, %ld after; the held namespace's %lu", before, after, held);
}

static const char *ns_get_nstype(int held)
{
	static char num[16];
	int type = ioctl(held, NS_GET_NSTYPE);

	snprintf(num, sizeof(num), "%d", type);
	if (type < 0)
		return seen(errno == ENOTTY ? "skip" : "", "ioctl(NS_GET_NSTYPE): %s (Linux "
			    "4.11+)", ename(errno));
	return seen(type == CLONE_NEWIPC ? "clone_newipc" : num, "ioctl(NS_GET_NSTYPE) on an "
		    "ipc namespace fd: %d; CLONE_NEWIPC is %d", type, CLONE_NEWIPC);
}

static const char *ns_get_id(int held)
{
	int self = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	unsigned long long a = 0, b = 0;
	long err = self < 0 || ioctl(self, NS_GET_ID, &a) || ioctl(held, NS_GET_ID, &b) ? errno : 0;
	bool two = self >= 0 && fd_inode(self) != fd_inode(held);

	if (self >= 0)
		close(self);
	if (err == EINVAL || err == ENOTTY)
		return seen("skip", "needs Linux 6.18 (NS_GET_ID): %s", ename(err));
	if (err || !two || !a || !b)
		return because("NS_GET_ID: %s; ids %llu and %llu; the namespaces are two "
			       "(control): %s", ename(err), a, b, two ? "yes" : "no");
	return seen(a != b ? "differs" : "same", "NS_GET_ID of two IPC namespaces: %llu and "
		    "%llu", a, b);
}

static const char *ns_get_userns(void)
{
	int ipc, user, owner;
	const char *observed = hold_ns(NS_WANT_USER, &ipc, &user);

	if (observed)
		return observed;
	if ((owner = ioctl(ipc, NS_GET_USERNS)) < 0)
		because("ioctl(NS_GET_USERNS): %s", ename(errno));
	else
		observed = seen(fd_inode(owner) == fd_inode(user) ? "owner" : "other", "NS_GET_"
				"USERNS gave user namespace %lu; the one made with it is %lu",
				fd_inode(owner), fd_inode(user));
	if (owner >= 0)
		close(owner);
	close(ipc);
	close(user);
	return observed;
}

static void group_identity(void)
{
	int none = -1, held;
	const char *failed;
	char why[sizeof(detail)];

	cell("ipc-ns", "inode-after-unshare", "unshare", with_child(inode_child, inode_steps, &none));
	if ((failed = hold_ns(0, &held, NULL))) {
		snprintf(why, sizeof(why), "%s", detail);
		cell("ipc-ns", "inode-after-setns", "setns", seen(failed, "%s", why));
		cell("ipc-ns", "ns-get-nstype", "-", seen(failed, "%s", why));
		cell("ipc-ns", "ns-get-id", "-", seen(failed, "%s", why));
	} else {
		cell("ipc-ns", "inode-after-setns", "setns", with_child(inode_child, inode_steps, &held));
		cell("ipc-ns", "ns-get-nstype", "-", ns_get_nstype(held));
		cell("ipc-ns", "ns-get-id", "-", ns_get_id(held));
		close(held);
	}
	cell_ns = "ipc+user"; /* whoever runs it: that is what this cell makes */
	cell("ipc-ns", "ns-get-userns", "-", ns_get_userns());
}

/* ---- main ---------------------------------------------------------------- */

/* The sandbox's entry: "ids" cells name clone; the others fork children,
 * which sanitizers want on an ordinary stack, not on a clone(2) stack. */
static const struct group {
	const char *name;
	void (*run)(void);
	enum ns_entry entry;
	const char *cells; /* "mech scenario entry;...": skipped when no sandbox */
} groups[] = {
	{ "sem-undo", group_sem_undo, NS_ENTRY_UNSHARE,
	  "sem-undo at-unshare unshare;sem-undo at-setns setns;sem-undo control-unshare-uts "
	  "unshare;clone-flags clone-newipc-sysvsem clone;clone-flags unshare-newipc-sysvsem "
	  "unshare" },
	{ "handles", group_handles, NS_ENTRY_UNSHARE,
	  "sysv-shm mapping-across-unshare unshare;sysv-shm old-id-after-unshare unshare;"
	  "posix-mq fd-across-unshare unshare;posix-mq unlink-after-unshare unshare;sysv-shm "
	  "rmid-forced-at-unshare unshare;sysv-shm rmid-forced-orphans unshare" },
	{ "ids", group_ids, NS_ENTRY_CLONE,
	  "sysv-msg foreign-id clone;sysv-sem foreign-id clone;sysv-shm foreign-id clone;"
	  "sysv-msg id-restart clone;sysv-sem id-restart clone;sysv-shm id-restart clone;"
	  "sysv-msg proc-sysvipc clone;sysv-sem proc-sysvipc clone;sysv-shm proc-sysvipc clone" },
	{ "identity", group_identity, NS_ENTRY_UNSHARE,
	  "ipc-ns inode-after-unshare unshare;ipc-ns inode-after-setns setns;ipc-ns "
	  "ns-get-nstype -;ipc-ns ns-get-id -;ipc-ns ns-get-userns -" },
};

static int run_group(void *arg)
{
	signal(SIGPIPE, SIG_IGN); /* a child that died early is an observation */
	((const struct group *)arg)->run();
	return PROBE_REACHED;
}

/* No sandbox could be made: every cell of G gets OBSERVED ("skip" where the
 * kernel or privilege does not offer it, "" where something broke) and the
 * reason ns_start gave, so that the record still has every cell. */
static void fill_group(const struct group *g, const char *observed)
{
	char cells[512], *save = NULL, mech[32], scen[48], entry[16];
	char why[sizeof(detail)];

	snprintf(why, sizeof(why), "cannot make the probe's IPC namespace here: %s",
		 probe_last_message());
	snprintf(cells, sizeof(cells), "%s", g->cells);
	for (char *c = strtok_r(cells, ";", &save); c; c = strtok_r(NULL, ";", &save))
		if (sscanf(c, "%31s %47s %15s", mech, scen, entry) == 3)
			cell(mech, scen, entry, seen(observed, "%s", why));
}

/* WHAT (NULL: already said) and the usage, on stderr. */
static int usage_error(const char *what, const char *arg)
{
	if (what)
		fprintf(stderr, "probe-boundary: %s%.32s\n", what, arg);
	fputs(usage_text, stderr);
	return PROBE_USAGE;
}

int main(int argc, char **argv)
{
	struct ns_spec sandbox = { 0 };
	const struct group *g = NULL;
	pid_t pid;
	int i = 1, rc;

	if (probe_init(argv[0]))
		return usage_error(NULL, NULL);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return fputs(usage_text, stdout) < 0 ? PROBE_ERROR : PROBE_REACHED;
	if (probe_take_timeout(argc, argv, &i))
		return usage_error(NULL, NULL);
	if (i < argc && argv[i][0] == '-')
		return usage_error("unknown option ", argv[i]);
	if (argc - i != 1)
		return usage_error(argc > i ? "one GROUP, not more" : "missing GROUP", "");
	for (size_t k = 0; k < sizeof(groups) / sizeof(groups[0]); k++)
		g = strcmp(argv[i], groups[k].name) ? g : &groups[k];
	if (!g)
		return usage_error("unknown GROUP ", argv[i]);

	sandbox.entry = g->entry;
	if (getuid()) { /* the rootless way in: a new user namespace owns it */
		sandbox.want = NS_WANT_USER;
		cell_ns = "ipc+user";
	}
	host_ipc = ns_inode(0, "ipc");
	if (g->run == group_ids)
		make_host_objects();
	rc = ns_start(&sandbox, run_group, (void *)g, &pid);
	if (rc) {
		fill_group(g, rc == PROBE_UNSUPPORTED ? "skip" : "");
		rc = PROBE_REACHED; /* every cell says what happened */
	} else { /* every step inside is bounded; this bounds their sum */
		rc = ns_wait(pid, 3 * probe_timeout(), "the sandbox");
	}
	remove_host_objects();
	return rc;
}
