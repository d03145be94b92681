/* SPDX-License-Identifier: MIT
 *
 * A running process to audit (a container): pinned by a pidfd and its start
 * time, so that a pid that ended or was reused is an error and never a
 * result; and its mounts, to find which of its directories another side
 * also sees, and at which path.
 */
#ifndef IPCNS_TARGET_H
#define IPCNS_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int pidfd;
	unsigned long long start; /* field 22 of /proc/PID/stat, clock ticks */
};

/* Field 22 of /proc/PID/stat: 0, or -1 with errno set (ENOENT: no such
 * process; ESRCH: it has exited, a zombie). */
int target_start_time(pid_t pid, unsigned long long *start);

/* Pins PID: its start time, a pidfd, the start time again. 0; PROBE_USAGE
 * for a pid that names no running process (no such process, or it has
 * exited); else PROBE_ERROR. Said why (probe_fail). */
int target_pin(struct target *t, pid_t pid);

/* Is the pinned process still alive, with the same start time? 0, or
 * PROBE_ERROR having said which. */
int target_check(const struct target *t);

void target_unpin(struct target *t);

/* A line of /proc/PID/mountinfo: device, the root of the mount within its
 * filesystem, where it is mounted (as PID sees it), its filesystem type. */
struct mount {
	unsigned major, minor;
	char root[PATH_MAX], point[PATH_MAX], fstype[32];
};

/* The mounts of PID (0: ours), in mountinfo's order, with octal escapes
 * undone, in a calloc'ed array the caller frees. 0, or -1 with errno set. */
int target_mounts(pid_t pid, struct mount **out, size_t *n);

/* Where a side that has the mounts THEIRS, OURS being another's, reaches
 * the file PATH of THEIRS: PATH in the mount of THEIRS that holds it,
 * translated through a mount of OURS of the same filesystem whose root
 * contains that mount's root. False when OURS has none. */
bool target_path_in(const struct mount *theirs, size_t ntheirs, const struct mount *ours,
		    size_t nours, const char *path, char *out, size_t len);

/* Filesystems that hold no files to talk through (proc, sysfs, cgroup...). */
bool target_pseudo_fs(const char *fstype);

#endif
