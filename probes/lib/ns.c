/* SPDX-License-Identifier: MIT */
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#ifdef HAVE_LINUX_SCHED_H_CLONE_ARGS
#include <linux/sched.h>
#else
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define STACK_SIZE (1024 * 1024)

static const char *const entry_names[] = {
	[NS_ENTRY_FORK] = "fork",       [NS_ENTRY_CLONE] = "clone",
	[NS_ENTRY_CLONE3] = "clone3",   [NS_ENTRY_UNSHARE] = "unshare",
	[NS_ENTRY_SETNS] = "setns",     [NS_ENTRY_PIDFD] = "pidfd",
};

/* The namespaces a join may enter (the user namespace first: setns_fds
 * relies on it), and the kernel option without which a type does not exist
 * (no /proc/self/ns/TYPE, EINVAL on creation). */
static const struct {
	const char *type;
	int flag;
	const char *kconfig;
} join_order[] = {
	{ "user", CLONE_NEWUSER, "CONFIG_USER_NS" }, { "ipc", CLONE_NEWIPC, "CONFIG_IPC_NS" },
	{ "mnt", CLONE_NEWNS, NULL },                { "net", CLONE_NEWNET, "CONFIG_NET_NS" },
};
#define NJOIN (sizeof(join_order) / sizeof(join_order[0]))

const char ns_options_usage[] =
	"  --entry E   clone (default) | clone3 | unshare | fork (no new namespace);\n"
	"              with --join: setns (default) | pidfd\n"
	"  --mnt       also a mount namespace with fresh tmpfs on /dev/shm and\n"
	"              mqueue on /dev/mqueue (when that directory exists)\n"
	"  --net       also a network namespace\n"
	"  --user      also a user namespace, root inside mapped to the caller\n"
	"  --join PID  enter the namespaces of PID that differ from ours\n";

bool ns_parse_entry(const char *s, enum ns_entry *out)
{
	for (size_t i = 0; i < sizeof(entry_names) / sizeof(entry_names[0]); i++)
		if (s && !strcmp(s, entry_names[i])) {
			*out = (enum ns_entry)i;
			return true;
		}
	return false;
}

const char *ns_entry_name(enum ns_entry e)
{
	return entry_names[e];
}

bool ns_is_join(enum ns_entry e)
{
	return e == NS_ENTRY_SETNS || e == NS_ENTRY_PIDFD;
}

int ns_parse_option(int argc, char **argv, int *i, struct ns_spec *spec)
{
	const char *opt = argv[*i];
	const char *arg = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(opt, "--mnt") || !strcmp(opt, "--net") || !strcmp(opt, "--user")) {
		spec->want |= opt[2] == 'm' ? NS_WANT_MNT : opt[2] == 'n' ? NS_WANT_NET
									 : NS_WANT_USER;
		*i += 1;
		return 1;
	}
	if (!strcmp(opt, "--entry")) {
		if (!ns_parse_entry(arg, &spec->entry))
			return probe_fail(PROBE_USAGE, "--entry wants clone, clone3, unshare, "
					  "fork, setns or pidfd, got '%.32s'", arg ? arg : "");
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--join")) {
		if (!probe_parse_pid(arg, &spec->target))
			return probe_fail(PROBE_USAGE, "--join wants a pid, got '%.32s'",
					  arg ? arg : "");
		*i += 2;
		return 1;
	}
	return 0;
}

int ns_check_spec(const struct ns_spec *spec)
{
	if (spec->target && !ns_is_join(spec->entry))
		return probe_fail(PROBE_USAGE, "--join goes with --entry setns or pidfd");
	if (!spec->target && ns_is_join(spec->entry))
		return probe_fail(PROBE_USAGE, "--entry %s needs --join PID",
				  ns_entry_name(spec->entry));
	if (spec->target && spec->want)
		return probe_fail(PROBE_USAGE, "--join takes the target's namespaces; "
				  "--mnt, --net and --user do not apply");
	if (spec->entry == NS_ENTRY_FORK && spec->want)
		return probe_fail(PROBE_USAGE, "--entry fork makes no namespace; "
				  "--mnt, --net and --user do not apply");
	return PROBE_REACHED;
}

unsigned long ns_inode(pid_t pid, const char *type)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

unsigned long ns_fd_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

int ns_open(pid_t pid, const char *type)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The holder's part: wait for EOF, which says the parent has its fds. */
static int wait_for_release(void *release)
{
	close(((int *)release)[1]);
	return probe_checkpoint_read(((int *)release)[0], '-', probe_timeout(), "release") != 1;
}

static int open_ns(pid_t pid, const char *type, int *fd)
{
	*fd = ns_open(pid, type);
	return *fd < 0 ? probe_fail_errno(PROBE_ERROR, errno, "holding /proc/%d/ns/%s", (int)pid,
					  type) : 0;
}

int ns_hold(unsigned want, int *ipc, int *user)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	int release[2], rc;
	bool started;
	pid_t pid;

	*ipc = -1;
	if (user)
		*user = -1;
	if (pipe2(release, O_CLOEXEC))
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");
	rc = ns_start(&spec, wait_for_release, release, &pid);
	started = rc == PROBE_REACHED;
	if (started) {
		rc = open_ns(pid, "ipc", ipc);
		rc = rc || !user ? rc : open_ns(pid, "user", user);
	}
	close(release[0]);
	close(release[1]); /* EOF: the holder may go */
	if (started) {
		int ended = ns_wait(pid, probe_timeout(), "the holder");

		rc = rc ? rc : ended;
	}
	if (rc && *ipc >= 0)
		close(*ipc), *ipc = -1;
	if (rc && user && *user >= 0)
		close(*user), *user = -1;
	return rc;
}

void ns_detach(int keep)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	/* Above all bats's fd 3: a daemon holding it would stall the run. */
	for (int i = 3; i < 1024; i++)
		if (i != keep)
			close(i);
}

struct ctx {
	const struct ns_spec *spec;
	ns_child_fn fn;
	void *arg;
	int up, down;            /* child's ends: to the parent, from it */
	unsigned long mine[NJOIN]; /* the parent's namespace inodes */
};

static int flags_for(unsigned want)
{
	return CLONE_NEWIPC | (want & NS_WANT_MNT ? CLONE_NEWNS : 0) |
	       (want & NS_WANT_NET ? CLONE_NEWNET : 0) |
	       (want & NS_WANT_USER ? CLONE_NEWUSER : 0);
}

/* The first line of a sysctl file, or "" where it does not exist. */
static void read_sysctl(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

const char *ns_refusal(int flags, int err)
{
	static char why[192];
	char missing[96] = "", value[16];
	size_t len = 0;

	for (size_t i = 0; i < NJOIN; i++)
		if ((flags & join_order[i].flag) && join_order[i].kconfig &&
		    !ns_inode(0, join_order[i].type))
			len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%s",
						len ? " and " : "", join_order[i].kconfig);
	/* EPERM too: without CONFIG_USER_NS an unprivileged CLONE_NEWUSER gets
	 * EPERM, and no privilege would help. But only where /proc/self/ns
	 * answers at all (its mnt entry is always there). */
	if ((err == EINVAL || err == ENOSYS ||
	     ((err == EPERM || err == EACCES) && ns_inode(0, "mnt"))) && len) {
		snprintf(why, sizeof(why), "this kernel lacks the namespace (%s is off)", missing);
		return why;
	}
	if (err == EINVAL || err == ENOSYS)
		return "refused, although this kernel has the namespaces (/proc/self/ns has "
		       "them): a seccomp filter, a chroot, or a kernel too old for this call";
	if ((err == EPERM || err == EACCES) && (flags & CLONE_NEWUSER)) {
		read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", value,
			    sizeof(value));
		if (!strcmp(value, "1"))
			return "user namespaces are kept from unconfined programs by AppArmor "
			       "(kernel.apparmor_restrict_unprivileged_userns=1)";
		read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", value, sizeof(value));
		if (!strcmp(value, "0"))
			return "user namespaces are kept from ordinary users "
			       "(kernel.unprivileged_userns_clone=0)";
	}
	if (err == EPERM || err == EACCES)
		return "making namespaces needs CAP_SYS_ADMIN (or --user where user namespaces "
		       "are allowed)";
	if (err == ENOSPC && (flags & CLONE_NEWUSER))
		return "no user namespace may be made here (user.max_user_namespaces)";
	return NULL;
}

static int creation_failed(const char *call, int err, int flags)
{
	const char *why = ns_refusal(flags, err);

	return why ? probe_fail_errno(PROBE_UNSUPPORTED, err, "%s: %s", call, why)
		   : probe_fail_errno(PROBE_ERROR, err, "%s", call);
}

/* After entering a user namespace, become its root where 0 is mapped there,
 * as nsenter does: our own ids may be unmapped in it (a container's
 * --uidmap), and what we made there would belong to the overflow uid
 * (mq_open's EOVERFLOW). EPERM from setgroups: the namespace denies it
 * ("setgroups deny"), and our groups stay; EINVAL: 0 is not mapped. */
static int become_root(void)
{
	if (setgroups(0, NULL) && errno != EPERM)
		return probe_fail_errno(PROBE_ERROR, errno, "setgroups (in the user namespace)");
	if (setresgid(0, 0, 0) && errno != EINVAL)
		return probe_fail_errno(PROBE_ERROR, errno, "setresgid(0) (in the user namespace)");
	if (setresuid(0, 0, 0) && errno != EINVAL)
		return probe_fail_errno(PROBE_ERROR, errno, "setresuid(0) (in the user namespace)");
	return PROBE_REACHED;
}

/* setns on each fd, in nsenter's order: every other namespace first, while
 * we still hold our own capabilities (a container with a user namespace of
 * its own but the host's IPC namespace: that one is owned by ours, and after
 * entering theirs we would have no capability over it), then the user
 * namespace, then again whatever our capabilities did not allow (an
 * ordinary user entering their own container: its user namespace grants
 * what the others need). */
static int setns_fds(pid_t pid, const int *fds)
{
	bool done[NJOIN] = { false };

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = pass ? 0 : 1; i < NJOIN; i++) {
			if (fds[i] < 0 || done[i])
				continue;
			if (!setns(fds[i], join_order[i].flag))
				done[i] = true;
			else if (pass || errno != EPERM)
				return probe_fail_errno(PROBE_ERROR, errno, "setns(/proc/%d/ns/%s)",
							(int)pid, join_order[i].type);
		}
	return PROBE_REACHED;
}

static int join(const struct ctx *c)
{
	pid_t pid = c->spec->target;
	int fds[NJOIN], flags = 0, rc = PROBE_REACHED;
	char path[64];

	/* Open every fd first: after entering a mount namespace /proc may differ. */
	for (size_t i = 0; i < NJOIN; i++) {
		unsigned long theirs = ns_inode(pid, join_order[i].type);

		fds[i] = -1;
		if (!theirs && !c->mine[i])
			continue; /* a type this kernel lacks: nothing to enter */
		if (!theirs)
			return probe_fail_errno(PROBE_ERROR, errno, "/proc/%d/ns/%s", (int)pid,
						join_order[i].type);
		/* always the IPC namespace; the others only where they differ */
		if (theirs != c->mine[i] || join_order[i].flag == CLONE_NEWIPC)
			flags |= join_order[i].flag;
	}
	if (c->spec->entry == NS_ENTRY_PIDFD) {
		/* One call for all: the kernel checks each namespace against both
		 * our credentials and those the new user namespace gives, so no
		 * order is needed (Linux 5.8). */
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

		if (pidfd < 0)
			return errno == ENOSYS ? probe_fail_errno(PROBE_UNSUPPORTED, errno,
					"pidfd_open: needs Linux 5.3 or later")
					       : probe_fail_errno(PROBE_ERROR, errno, "pidfd_open");
		if (setns(pidfd, flags))
			rc = errno == EINVAL ? probe_fail_errno(PROBE_UNSUPPORTED, errno,
					"setns(pidfd): needs Linux 5.8 or later")
					     : probe_fail_errno(PROBE_ERROR, errno, "setns(pidfd)");
		close(pidfd);
	} else {
		for (size_t i = 0; i < NJOIN && !rc; i++) {
			if (!(flags & join_order[i].flag))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, join_order[i].type);
			fds[i] = open(path, O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0)
				rc = probe_fail_errno(PROBE_ERROR, errno, "open %s", path);
		}
		rc = rc ? rc : setns_fds(pid, fds);
		for (size_t i = 0; i < NJOIN; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	return rc || !(flags & CLONE_NEWUSER) ? rc : become_root();
}

/* Entering a mount namespace moves the working directory to its root; keep
 * the caller's, as nsenter --wd does, so relative paths mean the same. */
static int join_keeping_cwd(const struct ctx *c)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc = join(c);

	if (cwd >= 0) {
		if (!rc && fchdir(cwd))
			rc = probe_fail_errno(PROBE_ERROR, errno, "returning to the working directory");
		close(cwd);
	}
	return rc;
}

static int fresh_mounts(const struct ctx *c)
{
	unsigned long mnt = ns_inode(0, "mnt");
	struct stat st;

	/* Never mount anything unless this mount namespace is really new. */
	if (!mnt || mnt == c->mine[2])
		return probe_fail(PROBE_ERROR, "refusing to mount: the mount namespace is "
				  "not new (mnt inode %lu)", mnt);
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)) /* "none": valgrind wants a string */
		return probe_fail_errno(errno == EINVAL ? PROBE_UNSUPPORTED : PROBE_ERROR, errno,
					"making / private%s", errno == EINVAL ?
					" (/ is not a mount point: a chroot?)" : "");
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		return probe_fail_errno(PROBE_ERROR, errno, "mount tmpfs on /dev/shm");
	/* Making /dev/mqueue would write into the host's /dev: only where it is. */
	/* ENODEV: a kernel without CONFIG_POSIX_MQUEUE has no queues to isolate
	 * (their cells skip on mq_open's ENOSYS); the rest is still measured. */
	if (stat("/dev/mqueue", &st) == 0 && S_ISDIR(st.st_mode) &&
	    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) &&
	    errno != ENODEV)
		return probe_fail_errno(PROBE_ERROR, errno, "mount mqueue on /dev/mqueue");
	return PROBE_REACHED;
}

/* Runs in the child, whatever the entry point. */
static int child_main(void *arg)
{
	struct ctx *c = arg;
	int rc = PROBE_REACHED;

	if (c->spec->entry == NS_ENTRY_UNSHARE && unshare(flags_for(c->spec->want)))
		rc = creation_failed("unshare", errno, flags_for(c->spec->want));
	else if (ns_is_join(c->spec->entry))
		rc = join_keeping_cwd(c);
	if (rc) {
		probe_checkpoint_give_up(c->up);
		return rc;
	}
	if (probe_checkpoint_write(c->up, 'e'))
		return PROBE_ERROR;
	rc = probe_checkpoint_read(c->down, 'g', probe_timeout(), "the parent's release");
	if (rc)
		return rc == 1 ? PROBE_ERROR : rc; /* EOF: the parent refused or died */
	if (c->spec->want & NS_WANT_MNT) {
		rc = fresh_mounts(c);
		if (rc) {
			probe_checkpoint_give_up(c->up);
			return rc;
		}
	}
	if (probe_checkpoint_write(c->up, 'r'))
		return PROBE_ERROR;
	close(c->up);
	close(c->down);
	rc = c->fn(c->arg);
	fflush(NULL);
	return rc;
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd, err = 0;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		err = errno;
	if (fd >= 0)
		close(fd);
	return err ? probe_fail_errno(PROBE_ERROR, err, "writing %s", path) : 0;
}

/* The parent's part of the checkpoint: ids for a new user namespace, then
 * proof that the child is where it was asked to be. */
static int parent_setup(const struct ctx *c, pid_t pid)
{
	const struct ns_spec *s = c->spec;
	char map[64];
	int rc;

	if (s->want & NS_WANT_USER) {
		rc = write_file(pid, "setgroups", "deny");
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)geteuid());
		rc = rc ? rc : write_file(pid, "uid_map", map);
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)getegid());
		rc = rc ? rc : write_file(pid, "gid_map", map);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < NJOIN; i++) {
		const char *type = join_order[i].type;
		unsigned long now = ns_inode(pid, type);
		bool asked = join_order[i].flag == CLONE_NEWIPC ||
			     (join_order[i].flag & flags_for(s->want));

		if (!now && !c->mine[i])
			continue; /* a type this kernel lacks (making one was refused) */
		if (!now)
			return probe_fail_errno(PROBE_ERROR, errno, "/proc/%d/ns/%s",
						(int)pid, type);
		if (ns_is_join(s->entry)) {
			unsigned long want = ns_inode(s->target, type);

			if (now != want)
				return probe_fail(PROBE_ERROR, "join did not take: %s namespace "
						  "%lu, target's is %lu", type, now, want);
		} else if (s->entry == NS_ENTRY_FORK || !asked) {
			if (now != c->mine[i])
				return probe_fail(PROBE_ERROR, "%s namespace changed unasked",
						  type);
		} else if (now == c->mine[i]) {
			bool go_on = s->observe_same_ipc && join_order[i].flag == CLONE_NEWIPC;

			probe_fail(PROBE_ERROR, "%s%s: the kernel said yes but the %s namespace "
				   "is not new (inode %lu)%s", go_on ? "warning: " : "",
				   ns_entry_name(s->entry), type, now,
				   go_on ? "; observing from the caller's" : "");
			if (!go_on)
				return PROBE_ERROR;
		}
	}
	return PROBE_REACHED;
}

static pid_t spawn(struct ctx *c, int *rc)
{
	const struct ns_spec *s = c->spec;
	int flags = flags_for(s->want);
	pid_t pid;

	switch (s->entry) {
	case NS_ENTRY_CLONE: {
		char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			*rc = probe_fail_errno(PROBE_ERROR, errno, "mmap (clone stack)");
			return -1;
		}
		pid = clone(child_main, stack + STACK_SIZE, flags | SIGCHLD, c);
		if (pid < 0)
			*rc = creation_failed("clone", errno, flags);
		munmap(stack, STACK_SIZE); /* the child has its own copy */
		return pid;
	}
	case NS_ENTRY_CLONE3: {
		struct clone_args args = { .flags = (uint64_t)flags,
					   .exit_signal = SIGCHLD };
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid == 0)
			_exit(child_main(c));
		if (pid < 0)
			*rc = errno == ENOSYS ? probe_fail_errno(PROBE_UNSUPPORTED, errno,
					"clone3: needs Linux 5.3 or later")
					      : creation_failed("clone3", errno, flags);
		return pid;
	}
	default:
		pid = fork();
		if (pid == 0)
			_exit(child_main(c));
		if (pid < 0)
			*rc = probe_fail_errno(PROBE_ERROR, errno, "fork");
		return pid;
	}
}

int ns_start(const struct ns_spec *spec, ns_child_fn fn, void *arg, pid_t *out)
{
	struct ctx c = { .spec = spec, .fn = fn, .arg = arg };
	int up[2], down[2], rc = PROBE_REACHED;
	pid_t pid;

	/* 0 for a type this kernel lacks: creating one is then refused, and
	 * the refusal names the option. */
	for (size_t i = 0; i < NJOIN; i++)
		c.mine[i] = ns_inode(0, join_order[i].type);
	if (spec->target && kill(spec->target, 0) && errno == ESRCH)
		return probe_fail(PROBE_ERROR, "--join %d: no such process", (int)spec->target);
	if (probe_pipe_pair(up, down))
		return PROBE_ERROR;
	c.up = up[1];
	c.down = down[0];
	fflush(NULL); /* nothing buffered may be written twice */
	pid = spawn(&c, &rc);
	close(up[1]);
	close(down[0]);
	if (pid < 0) {
		close(up[0]);
		close(down[1]);
		return rc;
	}
	rc = probe_checkpoint_read(up[0], 'e', probe_timeout(), "the child to enter");
	if (!rc)
		rc = parent_setup(&c, pid);
	if (!rc && probe_checkpoint_write(down[1], 'g'))
		rc = probe_fail_errno(PROBE_ERROR, errno, "releasing the child");
	close(down[1]); /* on error, EOF tells the child to give up */
	if (!rc)
		rc = probe_checkpoint_read(up[0], 'r', probe_timeout(), "the child's mounts");
	close(up[0]);
	if (rc == 1) /* EOF: the child stopped early and said why */
		return ns_wait(pid, probe_timeout(), "the child");
	if (rc) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return rc;
	}
	*out = pid;
	return PROBE_REACHED;
}

static volatile sig_atomic_t alarm_rang;

static void on_alarm(int sig)
{
	(void)sig; /* interrupts waitpid */
	alarm_rang = 1;
}

int ns_wait(pid_t pid, unsigned seconds, const char *what)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int status;
	pid_t r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old); /* no SA_RESTART: waitpid sees EINTR */
	alarm_rang = 0;
	alarm(seconds);
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR && !alarm_rang);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (r < 0 && errno == EINTR) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return probe_fail(PROBE_TIMEOUT, "%s timed out after %u s; killed it",
				  what, seconds);
	}
	if (r < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "waitpid");
	if (WIFSIGNALED(status))
		return probe_fail(PROBE_ERROR, "%s was killed by signal %d (%s)", what,
				  WTERMSIG(status), strsignal(WTERMSIG(status)));
	return WEXITSTATUS(status);
}
