/* SPDX-License-Identifier: MIT */
#include "target.h"
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The fields after "(comm)", which may hold spaces and parentheses: from
 * the last ')' on. STATE is field 3, start time field 22. */
static int read_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	p = ok ? strrchr(buf, ')') : NULL;
	/* after ") ": state, then fields 4..21 to skip, then 22 */
	if (!p || sscanf(p + 2, "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			 "%*s %*s %*s %*s %llu", state, start) != 2) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int target_start_time(pid_t pid, unsigned long long *start)
{
	char state;

	if (read_stat(pid, &state, start))
		return -1;
	if (state == 'Z' || state == 'X') {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

static int start_failed(pid_t pid, int err)
{
	if (err == ENOENT || err == ESRCH)
		return probe_fail(PROBE_USAGE, "pid %d: %s", (int)pid, err == ESRCH ?
				  "that process has exited" : "no such process");
	return probe_fail_errno(PROBE_ERROR, err, "/proc/%d/stat", (int)pid);
}

int target_pin(struct target *t, pid_t pid)
{
	unsigned long long again;

	t->pid = pid;
	t->pidfd = -1;
	if (target_start_time(pid, &t->start))
		return start_failed(pid, errno);
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0)
		return errno == ESRCH ? start_failed(pid, ENOENT)
		     : probe_fail_errno(errno == ENOSYS ? PROBE_UNSUPPORTED : PROBE_ERROR, errno,
					"pidfd_open(%d)%s", (int)pid,
					errno == ENOSYS ? ": needs Linux 5.3 or later" : "");
	/* The same start time after pidfd_open: the pidfd is of that process,
	 * not of one that took its pid meanwhile. */
	if (target_start_time(pid, &again))
		return start_failed(pid, errno);
	if (again != t->start)
		return probe_fail(PROBE_ERROR, "pid %d was reused while it was being pinned",
				  (int)pid);
	return 0;
}

int target_check(const struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	unsigned long long now;

	/* a pidfd is readable once its process has exited */
	if (poll(&p, 1, 0) != 0 || target_start_time(t->pid, &now))
		return probe_fail(PROBE_ERROR, "the target %d exited during the measurement: "
				  "no result", (int)t->pid);
	if (now != t->start)
		return probe_fail(PROBE_ERROR, "the target's pid %d now names another process "
				  "(start time %llu, pinned %llu): no result", (int)t->pid, now,
				  t->start);
	return 0;
}

void target_unpin(struct target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}

/* ---- entering its namespaces ---- */

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
	bool done[NS_TYPES] = { false };

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = pass ? 0 : 1; i < NS_TYPES; i++) {
			if (fds[i] < 0 || done[i])
				continue;
			if (!setns(fds[i], ns_types[i].flag))
				done[i] = true;
			else if (pass || errno != EPERM)
				return probe_fail_errno(PROBE_ERROR, errno, "setns(/proc/%d/ns/%s)",
							(int)pid, ns_types[i].type);
		}
	return PROBE_REACHED;
}

static int join(pid_t pid, bool via_pidfd, const unsigned long *mine)
{
	int fds[NS_TYPES], flags = 0, rc = PROBE_REACHED;
	char path[64];

	/* Open every fd first: after entering a mount namespace /proc may differ. */
	for (size_t i = 0; i < NS_TYPES; i++) {
		unsigned long theirs = ns_inode(pid, ns_types[i].type);

		fds[i] = -1;
		if (!theirs && !mine[i])
			continue; /* a type this kernel lacks: nothing to enter */
		if (!theirs)
			return probe_fail_errno(PROBE_ERROR, errno, "/proc/%d/ns/%s", (int)pid,
						ns_types[i].type);
		/* always the IPC namespace; the others only where they differ */
		if (theirs != mine[i] || ns_types[i].flag == CLONE_NEWIPC)
			flags |= ns_types[i].flag;
	}
	if (via_pidfd) {
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
		for (size_t i = 0; i < NS_TYPES && !rc; i++) {
			if (!(flags & ns_types[i].flag))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_types[i].type);
			fds[i] = open(path, O_RDONLY | O_CLOEXEC);
			if (fds[i] < 0)
				rc = probe_fail_errno(PROBE_ERROR, errno, "open %s", path);
		}
		rc = rc ? rc : setns_fds(pid, fds);
		for (size_t i = 0; i < NS_TYPES; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	return rc || !(flags & CLONE_NEWUSER) ? rc : become_root();
}

/* Entering a mount namespace moves the working directory to its root; keep
 * the caller's, as nsenter --wd does, so relative paths mean the same. */
int target_join(pid_t pid, bool via_pidfd, const unsigned long *mine)
{
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rc = join(pid, via_pidfd, mine);

	if (cwd >= 0) {
		if (!rc && fchdir(cwd))
			rc = probe_fail_errno(PROBE_ERROR, errno, "returning to the working directory");
		close(cwd);
	}
	return rc;
}
