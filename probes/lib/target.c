/* SPDX-License-Identifier: MIT */
#include "target.h"
#include "probe.h"

#include <errno.h>
#include <poll.h>
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

/* mountinfo's octal escapes (\040 for a space) undone, in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static bool parse_mount(char *line, struct mount *m)
{
	char root[PATH_MAX], point[PATH_MAX], *dash = strstr(line, " - ");

	if (!dash || sscanf(line, "%*u %*u %u:%u %4095s %4095s", &m->major, &m->minor, root,
			    point) != 4 || sscanf(dash + 3, "%31s", m->fstype) != 1)
		return false;
	unescape(root);
	unescape(point);
	snprintf(m->root, sizeof(m->root), "%s", root);
	snprintf(m->point, sizeof(m->point), "%s", point);
	return true;
}

int target_mounts(pid_t pid, struct mount **out, size_t *n)
{
	char path[64], line[3 * PATH_MAX];
	size_t cap = 0;
	FILE *f;

	*out = NULL;
	*n = 0;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (*n == cap) {
			struct mount *more = realloc(*out, (cap = cap ? 2 * cap : 32) * sizeof(**out));

			if (!more) {
				fclose(f);
				free(*out);
				*out = NULL;
				*n = 0;
				errno = ENOMEM;
				return -1;
			}
			*out = more;
		}
		if (parse_mount(line, &(*out)[*n]))
			(*n)++;
	}
	fclose(f);
	return 0;
}

/* PATH is PREFIX or below it; *REST is what follows ("" or "/..."). */
static bool under(const char *path, const char *prefix, const char **rest)
{
	size_t n = strcmp(prefix, "/") ? strlen(prefix) : 0;

	if (strncmp(path, prefix, n) || (path[n] && path[n] != '/'))
		return false;
	*rest = path + n + (!n && !strcmp(path, "/")); /* "/" under "/": "" */
	return true;
}

static void join_path(char *out, size_t len, const char *dir, const char *rest)
{
	snprintf(out, len, "%s%s", strcmp(dir, "/") || !*rest ? dir : "", rest);
}

bool target_path_in(const struct mount *theirs, size_t ntheirs, const struct mount *ours,
		    size_t nours, const char *path, char *out, size_t len)
{
	const struct mount *m = NULL;
	const char *rest, *best = NULL, *tail;
	char file[2 * PATH_MAX], cand[2 * PATH_MAX];
	bool found = false;

	/* the last mount over the longest prefix: what PATH shows there */
	for (size_t i = 0; i < ntheirs; i++)
		if (under(path, theirs[i].point, &rest) &&
		    (!m || strlen(theirs[i].point) >= strlen(m->point)))
			m = &theirs[i], best = rest;
	if (!m)
		return false;
	join_path(file, sizeof(file), m->root, best); /* within the filesystem */
	for (size_t i = 0; i < nours; i++) {
		if (ours[i].major != m->major || ours[i].minor != m->minor ||
		    !under(file, ours[i].root, &tail))
			continue;
		join_path(cand, sizeof(cand), ours[i].point, tail);
		/* the same path wins; else the first */
		if (!found || !strcmp(cand, path))
			snprintf(out, len, "%s", cand);
		found = true;
	}
	return found;
}

bool target_pseudo_fs(const char *fstype)
{
	static const char *const pseudo[] = {
		"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs",
		"securityfs", "bpf", "pstore", "fusectl", "configfs", "binfmt_misc", "autofs",
		"nsfs", "efivarfs", "hugetlbfs", "rpc_pipefs", "selinuxfs",
	};

	for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (!strcmp(fstype, pseudo[i]))
			return true;
	return false;
}
