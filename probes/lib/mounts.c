/* SPDX-License-Identifier: MIT */
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int mounts_read(pid_t pid, struct mount **out, size_t *n)
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

bool mounts_path_in(const struct mount *theirs, size_t ntheirs, const struct mount *ours,
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

bool mounts_pseudo_fs(const char *fstype)
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
