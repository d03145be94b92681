/* SPDX-License-Identifier: MIT */
#include "place.h"
#include "cells.h"
#include "probe.h"
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct place_result *place_res;
const struct place place_host = { HOST, NS_ENTRY_FORK, 0, "host" };

static const struct probe_mech *mech;
static const struct probe_family *family;
static const char *mech_id;
static unsigned want; /* NS_WANT_* of every new namespace */
static char workdir[PATH_MAX - 32], probe_dir[PATH_MAX];
static unsigned objects;

#define MAX_UNDO 16
static struct { struct place at; char name[PATH_MAX]; } undo[MAX_UNDO];
static size_t nundo;
static pid_t holders[8], servers[16];
static int releases[8];
static size_t nholders, nservers;

int place_init(const char *id, unsigned ns_want)
{
	char self[PATH_MAX];
	ssize_t n;

	mech_id = id;
	want = ns_want;
	mech = probe_find_mech(id, &family);
	if (!mech)
		return PROBE_USAGE;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(probe_dir, sizeof(probe_dir), "%s", dirname(self));
	snprintf(workdir, sizeof(workdir), "%s/ipcns-named.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	place_res = mmap(NULL, sizeof(*place_res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (place_res == MAP_FAILED || !mkdtemp(workdir)) {
		workdir[0] = '\0';
		return probe_fail_errno(PROBE_ERROR, errno, "setting up");
	}
	return PROBE_REACHED;
}

void place_undo(const struct place *at, const char *name)
{
	if (nundo < MAX_UNDO) {
		undo[nundo].at = *at;
		snprintf(undo[nundo++].name, sizeof(undo[0].name), "%s", name);
	}
}


struct op {
	enum verb verb;
	const char *name;
	unsigned value;
};

static void do_op(const struct op *op)
{
	place_res->server = 0;
	probe_server_pid = 0;
	probe_kconfig = mech->kconfig; /* its own calls only: not clone3's ENOSYS */
	place_res->rc = op->verb == CREATE ? mech->create(op->name, op->value)
		: op->verb == GET ? mech->get(op->name, &place_res->value)
		: mech->remove ? mech->remove(op->name) : PROBE_REACHED;
	probe_kconfig = NULL;
	place_res->server = probe_server_pid;
	snprintf(place_res->why, sizeof(place_res->why), "%s", place_res->rc ? probe_last_message() : "");
}

static int op_child(void *arg)
{
	do_op(arg);
	return 0;
}

/* util-linux's unshare or nsenter runs the command-line probe of MECH. */
static void run_tool(const struct place *at, const struct op *op)
{
	char timeout[16], holder[16], probe[PATH_MAX + 32], value[16];
	const char *argv[16];
	struct tool_result r;
	int n = 0;

	snprintf(timeout, sizeof(timeout), "%u", probe_timeout());
	snprintf(holder, sizeof(holder), "%d", (int)at->holder);
	snprintf(probe, sizeof(probe), "%s/%s", probe_dir, family->prog);
	snprintf(value, sizeof(value), "%u", op->value);
	argv[n++] = at->where == TOOL_UNSHARE ? "unshare" : "nsenter";
	if (at->where == TOOL_NSENTER)
		argv[n++] = "--target", argv[n++] = holder;
	if (want & NS_WANT_USER)
		argv[n++] = "--user";
	if (at->where == TOOL_UNSHARE && (want & NS_WANT_USER))
		argv[n++] = "--map-root-user";
	argv[n++] = "--ipc";
	if (at->where == TOOL_NSENTER && (want & NS_WANT_USER))
		argv[n++] = "--preserve-credentials";
	argv[n++] = "--", argv[n++] = probe, argv[n++] = "-t", argv[n++] = timeout;
	argv[n++] = mech->name, argv[n++] = op->verb == GET ? "get" : "create";
	argv[n++] = op->name;
	if (op->verb == CREATE)
		argv[n++] = value;
	argv[n] = NULL;
	tool_run(argv, CLONE_NEWIPC | (want & NS_WANT_USER ? CLONE_NEWUSER : 0), &r);
	place_res->rc = r.rc, place_res->value = 0;
	snprintf(place_res->why, sizeof(place_res->why), "%s", r.why);
	if (!place_res->rc && !probe_scan_value(r.out, strlen(r.out), &place_res->value))
		place_res->rc = PROBE_ERROR;
}

/* Runs OP at AT; the outcome is in *place_res. */
void place_run(const struct place *at, enum verb verb, const char *name, unsigned value)
{
	struct op op = { verb, name, value };
	struct ns_spec spec = { .entry = at->entry, .want = at->where == NEW ? want : 0,
				.target = at->holder, .observe_same_ipc = true };
	pid_t pid;
	int rc;

	place_res->rc = -1;
	if (at->where == HOST) {
		do_op(&op);
	} else if (at->where == TOOL_UNSHARE || at->where == TOOL_NSENTER) {
		run_tool(at, &op);
	} else {
		rc = ns_start(&spec, op_child, &op, &pid);
		if (!rc)
			rc = ns_wait(pid, probe_timeout(), "the probe's child");
		if (rc || place_res->rc < 0) { /* the namespace, not the verb, failed */
			place_res->rc = rc ? rc : PROBE_ERROR;
			snprintf(place_res->why, sizeof(place_res->why), "%s", probe_last_message());
		}
	}
	if (place_res->server > 0 && nservers < sizeof(servers) / sizeof(servers[0]))
		servers[nservers++] = place_res->server;
}

/* ---- the steps of a scenario --------------------------------------------- */

static int wait_for_release(void *fd)
{
	/* EOF when the probe closes its end, or dies; bounded all the same.
	 * Other holders' ends, inherited, would keep that EOF away: closed. */
	ns_detach(*(int *)fd);
	return probe_checkpoint_read(*(int *)fd, '-', 6 * probe_timeout(), "release") != 1;
}

/* A new namespace kept alive; *at is where its objects are reached. */
int place_hold(struct place *at, const char **why)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	int release[2], rc;
	pid_t pid;

	if (nholders == sizeof(holders) / sizeof(holders[0]) || pipe2(release, O_CLOEXEC))
		return *why = "cannot hold another namespace", PROBE_ERROR;
	rc = ns_start(&spec, wait_for_release, &release[0], &pid);
	close(release[0]);
	if (rc) {
		close(release[1]);
		*why = probe_last_message();
		return rc;
	}
	holders[nholders] = pid, releases[nholders++] = release[1];
	*at = (struct place){ JOIN, NS_ENTRY_SETNS, pid, "setns:HOLDER" };
	return 0;
}

static const char *new_name(void)
{
	static char name[PATH_MAX];
	const char *run = getenv("IPCNS_RUN_ID");
	FILE *log = getenv("IPCNS_NAMES") ? fopen(getenv("IPCNS_NAMES"), "ae") : NULL;

	objects++;
	if (mech->name_kind == NAME_PATH)
		snprintf(name, sizeof(name), "%s/o%u", workdir, objects);
	else
		snprintf(name, sizeof(name), "ipcns-%s-%d-%u", run ? run : "x", (int)getpid(),
			 objects);
	if (log) { /* logged before it exists: a run killed now still finds it */
		fprintf(log, "%s %s\n", mech_id, name);
		fclose(log);
	}
	return name;
}

/* An object holding VALUE at AT, proved by reading VALUE back there. NULL,
 * or why not, with *observed "skip" or "". */
const char *place_make(const struct place *at, unsigned value, const char **name,
			   const char **observed)
{
	static char why[400];

	*name = new_name();
	*observed = "";
	place_undo(at, *name);
	place_run(at, CREATE, *name, value);
	if (place_res->rc == PROBE_UNSUPPORTED)
		*observed = "skip";
	if (place_res->rc) {
		snprintf(why, sizeof(why), "create at %s: exit %d: %s", at->label, place_res->rc, place_res->why);
		return place_res->rc == PROBE_UNSUPPORTED ? place_res->why : why;
	}
	place_run(at, GET, *name, 0);
	if (place_res->rc || place_res->value != value) {
		snprintf(why, sizeof(why), "positive control failed: get at %s: exit %d, read '%u', "
			 "wanted %u: %s", at->label, place_res->rc, place_res->value, value, place_res->why);
		return why;
	}
	return NULL;
}

/* Can AT reach NAME, which holds VALUE? */
void place_look(size_t cell, const struct place *at, const char *name, unsigned value,
		 const char *note)
{
	place_run(at, GET, name, 0);
	if (place_res->rc == PROBE_REACHED && place_res->value == value)
		cell_set(cell, "shared", "get at %s read the object's value %u%s", at->label, value,
			 note);
	else if (place_res->rc == PROBE_REACHED)
		cell_set(cell, "", "get at %s read '%u', not the object's value %u", at->label,
			 place_res->value, value);
	else if (place_res->rc == PROBE_ABSENT)
		cell_set(cell, "isolated", "%s%s", place_res->why, note);
	else if (place_res->rc == PROBE_UNSUPPORTED)
		cell_set(cell, "skip", "%s", place_res->why);
	else
		cell_set(cell, "", "get at %s: exit %d: %s", at->label, place_res->rc, place_res->why);
}

/* Every object removed where it was made, while its holder lives (one made
 * "inside" may well be on the host); then servers and holders end. */
void place_cleanup(void)
{
	for (size_t i = 0; i < nundo; i++)
		place_run(&undo[i].at, REMOVE, undo[i].name, 0);
	for (size_t i = 0; i < nservers; i++)
		kill(servers[i], SIGTERM);
	for (size_t i = 0; i < nholders; i++) {
		close(releases[i]);
		ns_wait(holders[i], probe_timeout(), "a holder");
	}
	if (workdir[0])
		rmdir(workdir);
}
