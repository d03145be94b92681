/* SPDX-License-Identifier: MIT
 *
 * probe-reach's machinery: its two sides (reach-side.c), forked children
 * that run the named mechanisms' verbs when told, one of them in the
 * target's namespaces; and its plan of checks (reach-plan.c), a mechanism
 * by name, or in a directory both sides see. The probe itself (controls,
 * measuring, the command line) is probes/probe-reach.c.
 */
#ifndef IPCNS_REACH_H
#define IPCNS_REACH_H

#include "cells.h"
#include "mech.h"
#include "ns.h"
#include "peer.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REACH_CHECKS_MAX 60
#define REACH_MECHS 9 /* the seven by name, then fifo and unix-path (in directories) */
enum reach_op { REACH_CREATE = 1, REACH_GET, REACH_REMOVE, REACH_STAT };

struct reach_check {
	const struct probe_mech *mech;
	char id[16];         /* the record's mechanism: "posix-mq", "fifo" */
	char dir[PATH_MAX];  /* the target's directory; "" for names */
	char here[PATH_MAX]; /* this side's way to it */
	size_t cell[2];      /* [0] this side makes, the target looks; [1] reverse */
};

/* In MAP_SHARED memory: the plan, and what the last verb did, whichever
 * side ran it. */
struct reach_shared {
	size_t n;
	struct reach_check check[REACH_CHECKS_MAX];
	int rc;
	unsigned value;
	char why[CELL_DETAIL_MAX / 2], path[PATH_MAX];
	unsigned long long dev, ino;
};

struct reach_side {
	struct peer p;
	const char *label;
	bool target, up;
};

/* One run of the probe, set up by its main. */
extern struct reach {
	struct reach_shared *sh;
	struct reach_side side[2]; /* [0] this side, [1] the target */
	const char *run_id;        /* part of every name */
	pid_t me;                  /* the probe's pid: part of every name */
	const char *entry, *ns, *this_word; /* the cells' entry, namespaces, this side */
	bool wanted[REACH_MECHS];
} reach;

extern const char *const reach_mechs[REACH_MECHS];

/* Starts side S: in the namespaces of PID, entered through ENTRY (0: a plain
 * child, in ours). 0, or ns_start's exit code. */
int reach_start_side(struct reach_side *s, pid_t pid, enum ns_entry entry);

/* Has side S run verb OP on object OBJ of check CI (for REACH_STAT: on
 * reach.sh->path); its result in reach.sh. sh->rc, or PROBE_ERROR with the
 * side marked down when it stopped. */
int reach_ask(struct reach_side *s, enum reach_op op, size_t ci, unsigned obj, unsigned value);

/* Logs the name of object OBJ of check CI, as the target (or this side)
 * names it, to $IPCNS_NAMES before it is made. */
void reach_log_name(size_t ci, unsigned obj, bool target);

/* Plans the wanted mechanisms by name, then fifo and unix-path in /dev/shm,
 * /tmp and (MNT_DIFFERS: in another mount namespace) every mount of the
 * target's that this side (THIS_PID's, 0: ours) sees too; two cells a check. */
void reach_plan(pid_t this_pid, bool mnt_differs);

#endif
