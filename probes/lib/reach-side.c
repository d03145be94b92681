/* SPDX-License-Identifier: MIT
 *
 * probe-reach's sides: each runs the verbs it is told, one long a verb over
 * its peer's pipes, leaving the result in shared memory, and removes what it
 * made when told to or at the end.
 */
#include "reach.h"
#include "probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct reach reach = { .run_id = "x", .this_word = "host" };

/* Object OBJ of check CI, as the target (or this side) names it: 0 and 1
 * are made by this side and the target, 2 and 3 are the opener's own. */
static void name_of(size_t ci, unsigned obj, bool target, char *buf, size_t len)
{
	const struct reach_check *c = &reach.sh->check[ci];

	if (c->dir[0])
		snprintf(buf, len, "%s/ipcns-%s-%d-%zu-%u", target ? c->dir : c->here,
			 reach.run_id, (int)reach.me, ci, obj);
	else
		snprintf(buf, len, "ipcns-%s-%d-%zu-%u", reach.run_id, (int)reach.me, ci, obj);
}

/* ---- a side: runs the verbs it is told, removes what it made at the end -- */

static pid_t servers[REACH_CHECKS_MAX][4];
static bool made[REACH_CHECKS_MAX][4];

static void undo(size_t ci, unsigned obj, bool target)
{
	struct reach_shared *sh = reach.sh;
	char name[PATH_MAX + 64];

	name_of(ci, obj, target, name, sizeof(name));
	sh->rc = sh->check[ci].mech->remove ? sh->check[ci].mech->remove(name) : 0;
	if (servers[ci][obj] > 0) { /* our child: its pid is of our namespace */
		kill(servers[ci][obj], SIGTERM);
		ns_wait(servers[ci][obj], probe_timeout(), "a server");
	}
	servers[ci][obj] = 0;
	made[ci][obj] = false;
}

static void run_verb(long cmd, bool target)
{
	unsigned op = cmd & 0xf, obj = (cmd >> 16) & 0xf, value = (unsigned)(cmd >> 20) & 0xffff;
	size_t ci = (size_t)(cmd >> 4) & 0xfff;
	struct reach_shared *sh = reach.sh;
	const struct probe_mech *m = sh->check[ci].mech;
	char name[PATH_MAX + 64];
	struct stat st;

	sh->value = 0;
	if (op == REACH_STAT) { /* of a path, no check's */
		sh->rc = stat(sh->path, &st) ? probe_fail_errno(PROBE_ERROR, errno, "stat(%s)", sh->path)
		       : !S_ISDIR(st.st_mode) ? probe_fail(PROBE_ERROR, "%s: not a directory", sh->path) : 0;
		sh->dev = st.st_dev, sh->ino = st.st_ino;
		snprintf(sh->why, sizeof(sh->why), "%s", sh->rc ? probe_last_message() : "");
		return;
	}
	name_of(ci, obj, target, name, sizeof(name));
	probe_kconfig = m->kconfig;
	probe_server_pid = 0;
	if (op == REACH_CREATE) {
		sh->rc = m->create(name, value);
		made[ci][obj] = !sh->rc;
		servers[ci][obj] = probe_server_pid;
	} else if (op == REACH_GET) {
		sh->rc = m->get(name, &sh->value);
	} else {
		undo(ci, obj, target);
	}
	probe_kconfig = NULL;
	snprintf(sh->why, sizeof(sh->why), "%s", sh->rc ? probe_last_message() : "");
}

static int side_main(struct peer *self, void *arg)
{
	bool target = arg != NULL;
	long cmd;

	signal(SIGPIPE, SIG_IGN); /* a server whose reader left */
	if (target) { /* this side's ends, inherited: its EOF must not wait for us */
		close(reach.side[0].p.to);
		close(reach.side[0].p.from);
	}
	while (!peer_hear(self, &cmd) && !peer_tell(self, (run_verb(cmd, target), 0)))
		;
	for (size_t ci = 0; ci < REACH_CHECKS_MAX; ci++) /* EOF: done, or the probe is gone */
		for (unsigned obj = 0; obj < 4; obj++)
			if (made[ci][obj])
				undo(ci, obj, target);
	return 0;
}

/* ---- the probe's end: starting a side, telling it what to do -------------- */

int reach_start_side(struct reach_side *s, pid_t pid, enum ns_entry entry)
{
	struct ns_spec spec = { .entry = entry, .target = pid };
	int rc = pid ? peer_start_ns(&s->p, &spec, side_main, s->target ? s : NULL)
		     : peer_start(&s->p, side_main, s->target ? s : NULL) ? PROBE_ERROR : 0;

	s->up = !rc;
	return rc;
}

int reach_ask(struct reach_side *s, enum reach_op op, size_t ci, unsigned obj, unsigned value)
{
	struct reach_shared *sh = reach.sh;
	long ack;

	sh->rc = -1;
	if (!s->up || peer_tell(&s->p, (long)op | (long)ci << 4 | (long)obj << 16 |
				(long)value << 20) || peer_hear(&s->p, &ack)) {
		s->up = false;
		snprintf(sh->why, sizeof(sh->why), "the %s side stopped: %s", s->label,
			 probe_last_message());
		sh->rc = PROBE_ERROR;
	}
	return sh->rc;
}

void reach_log_name(size_t ci, unsigned obj, bool target)
{
	const char *path = getenv("IPCNS_NAMES");
	char name[PATH_MAX + 64];
	FILE *log = path ? fopen(path, "ae") : NULL;

	if (!log)
		return;
	name_of(ci, obj, target, name, sizeof(name));
	fprintf(log, "%s %s\n", reach.sh->check[ci].id, name);
	fclose(log);
}
