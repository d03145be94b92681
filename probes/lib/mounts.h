/* SPDX-License-Identifier: MIT
 *
 * The mounts of a process, from /proc/PID/mountinfo: to find which of a
 * target's directories another side also sees, and at which path.
 */
#ifndef IPCNS_MOUNTS_H
#define IPCNS_MOUNTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A line of /proc/PID/mountinfo: device, the root of the mount within its
 * filesystem, where it is mounted (as PID sees it), its filesystem type. */
struct mount {
	unsigned major, minor;
	char root[PATH_MAX], point[PATH_MAX], fstype[32];
};

/* The mounts of PID (0: ours), in mountinfo's order, with octal escapes
 * undone, in a calloc'ed array the caller frees. 0, or -1 with errno set. */
int mounts_read(pid_t pid, struct mount **out, size_t *n);

/* Where a side that has the mounts THEIRS, OURS being another's, reaches
 * the file PATH of THEIRS: PATH in the mount of THEIRS that holds it,
 * translated through a mount of OURS of the same filesystem whose root
 * contains that mount's root. False when OURS has none. */
bool mounts_path_in(const struct mount *theirs, size_t ntheirs, const struct mount *ours,
		    size_t nours, const char *path, char *out, size_t len);

/* Filesystems that hold no files to talk through (proc, sysfs, cgroup...). */
bool mounts_pseudo_fs(const char *fstype);

#endif
