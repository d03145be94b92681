/* SPDX-License-Identifier: MIT
 *
 * A running process to audit or join (a container): pinned by a pidfd and
 * its start time, so that a pid that ended or was reused is an error and
 * never a result; and entered, its namespaces joined as nsenter joins them
 * (the one way in of ipcns --join, probe-reach and every join cell: all go
 * through ns_start).
 */
#ifndef IPCNS_TARGET_H
#define IPCNS_TARGET_H

#include <stdbool.h>
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

/* In a child of ns_start: enters the namespaces of PID that differ from
 * ours (MINE: our inodes, in ns_types' order; 0 for a type this kernel
 * lacks), and its IPC namespace always, through setns on a pidfd (PIDFD)
 * or on /proc/PID/ns fds; keeps the working directory, and having entered
 * a user namespace becomes its root where 0 is mapped. 0, or an exit code
 * of the probe contract, said why. */
int target_join(pid_t pid, bool pidfd, const unsigned long *mine);

#endif
