/* SPDX-License-Identifier: MIT
 *
 * ns_start: a child put into namespaces through each entry point, with the
 * checkpoint of ns.h; and ns_wait, its bounded end.
 */
#include "ns.h"
#include "probe.h"
#include "target.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

#define STACK_SIZE (1024 * 1024)

struct ctx {
	const struct ns_spec *spec;
	ns_child_fn fn;
	void *arg;
	int up, down;            /* child's ends: to the parent, from it */
	unsigned long mine[NS_TYPES]; /* the parent's namespace inodes */
};

static int flags_for(unsigned want)
{
	return CLONE_NEWIPC | (want & NS_WANT_MNT ? CLONE_NEWNS : 0) |
	       (want & NS_WANT_NET ? CLONE_NEWNET : 0) |
	       (want & NS_WANT_USER ? CLONE_NEWUSER : 0);
}

static int creation_failed(const char *call, int err, int flags)
{
	const char *why = ns_refusal(flags, err);

	return why ? probe_fail_errno(PROBE_UNSUPPORTED, err, "%s: %s", call, why)
		   : probe_fail_errno(PROBE_ERROR, err, "%s", call);
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
		rc = target_join(c->spec->target, c->spec->entry == NS_ENTRY_PIDFD, c->mine);
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
	for (size_t i = 0; i < NS_TYPES; i++) {
		const char *type = ns_types[i].type;
		unsigned long now = ns_inode(pid, type);
		bool asked = ns_types[i].flag == CLONE_NEWIPC ||
			     (ns_types[i].flag & flags_for(s->want));

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
			bool go_on = s->observe_same_ipc && ns_types[i].flag == CLONE_NEWIPC;

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
	for (size_t i = 0; i < NS_TYPES; i++)
		c.mine[i] = ns_inode(0, ns_types[i].type);
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
