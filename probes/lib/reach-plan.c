/* SPDX-License-Identifier: MIT
 *
 * probe-reach's plan: a check a wanted mechanism by name, and for fifo and
 * unix-path one a directory the target has and this side sees too, at the
 * same path or through another; two cells a check, one a direction.
 */
#include "reach.h"
#include "mounts.h"
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const reach_mechs[REACH_MECHS] = { "sysv-msg", "sysv-sem", "sysv-shm",
	"posix-mq", "posix-sem", "posix-shm", "unix-abstract", "fifo", "unix-path" };

static void plan(const char *id, const char *dir, const char *here)
{
	static char mech[sizeof(((struct cell *)0)->mech)];
	struct reach_shared *sh = reach.sh;
	struct reach_check *c = &sh->check[sh->n];
	bool via = strcmp(dir, here);
	char scen[2][48];

	if (sh->n == REACH_CHECKS_MAX || cells_count() + 2 > CELLS_MAX)
		return (void)printf("# not measured (too many cells): %s in %s\n", id, dir);
	snprintf(mech, sizeof(mech), "%s%s%s", id, *dir ? ":" : "", dir);
	if (strlen(mech) + 1 == sizeof(mech) || strchr(dir, ' ') || strchr(dir, '\t') ||
	    strchr(dir, '\n'))
		return (void)printf("# not measured (an unwieldy path): %s\n", dir);
	if (!strcmp(id, "unix-path") && strlen(via ? here : dir) > PROBE_PATH_MAX - 48)
		return (void)printf("# not measured (too long for a socket's address): %s\n", dir);
	c->mech = probe_find_mech(id, NULL);
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	snprintf(c->here, sizeof(c->here), "%s", here);
	snprintf(scen[0], sizeof(scen[0]), "%s%s-to-target", reach.this_word,
		 via ? "-via-path" : "");
	snprintf(scen[1], sizeof(scen[1]), "target-to-%s%s", reach.this_word,
		 via ? "-via-path" : "");
	for (unsigned d = 0; d < 2; d++)
		c->cell[d] = cell_declare(mech, scen[d], reach.entry, reach.ns);
	sh->n++;
}

/* Is HERE on this side the same directory as DIR on the target's? */
static bool same_dir(const char *dir, const char *here)
{
	struct reach_shared *sh = reach.sh;
	unsigned long long dev, ino;

	snprintf(sh->path, sizeof(sh->path), "%s", dir);
	if (reach_ask(&reach.side[1], REACH_STAT, 0, 0, 0))
		return false;
	dev = sh->dev, ino = sh->ino;
	snprintf(sh->path, sizeof(sh->path), "%s", here);
	return !reach_ask(&reach.side[0], REACH_STAT, 0, 0, 0) && sh->dev == dev &&
	       sh->ino == ino;
}

/* /dev/shm, /tmp, and (in another mount namespace) every mount of the
 * target's that this side sees too: at the same path, or through another. */
static void plan_dirs(pid_t this_pid, bool mnt_differs)
{
	struct mount *theirs = NULL, *ours = NULL;
	size_t nt = 0, no = 0;
	char here[PATH_MAX];

	if (mnt_differs && (mounts_read(reach.side[1].p.pid, &theirs, &nt) ||
			    mounts_read(this_pid, &ours, &no)))
		printf("# the mounts could not be read (%s): only /dev/shm and /tmp\n",
		       strerror(errno));
	for (size_t i = 0; i < nt + 2; i++) {
		const char *dir = i == 0 ? "/dev/shm" : i == 1 ? "/tmp" : theirs[i - 2].point;
		bool fixed = i < 2, found;

		bool again = false;

		for (size_t j = 0; !fixed && j + 2 < i; j++)
			again = again || !strcmp(theirs[j].point, dir);
		/* not the kernel's own trees: nothing there is meant to talk through */
		if (!fixed && (again || mounts_pseudo_fs(theirs[i - 2].fstype) ||
			       !strcmp(dir, "/") || !strcmp(dir, "/tmp") || !strncmp(dir, "/dev", 4) ||
			       !strncmp(dir, "/proc", 5) || !strncmp(dir, "/sys", 4)))
			continue;
		found = mnt_differs && mounts_path_in(theirs, nt, ours, no, dir, here, sizeof(here));
		if (found && !same_dir(dir, here)) {
			printf("# this side's %s is not the target's %s: not measured through it\n",
			       here, dir);
			found = false;
		}
		for (size_t k = 7; k < 9; k++) {
			if (!reach.wanted[k])
				continue;
			if (fixed || (found && !strcmp(dir, here)))
				plan(reach_mechs[k], dir, dir);
			if (found && strcmp(dir, here))
				plan(reach_mechs[k], dir, here);
		}
	}
	free(theirs);
	free(ours);
}

void reach_plan(pid_t this_pid, bool mnt_differs)
{
	for (size_t k = 0; k < 7; k++)
		if (reach.wanted[k])
			plan(reach_mechs[k], "", "");
	plan_dirs(this_pid, mnt_differs);
}
