/* SPDX-License-Identifier: MIT
 *
 * probe-reach: which named objects a running process (a container) and this
 * side can reach of each other's, measured by behaviour. Two forked children
 * of this probe run its own verbs (lib/mech-*.c), so nothing of the
 * container's filesystem is used: one in the target's user, IPC, mount and
 * network namespaces (not its pid namespace), one on this side (ours, or
 * --peer's). Each makes an object and reads its value back (the maker's
 * control); the other proves it can make one of its own there (the opener's
 * control), then looks the first up by name. The target is pinned by a
 * pidfd and its start time: one that ends or whose pid is reused gives an
 * error, never a result. What is expected is not known here: scenario.sh
 * judges against a policy. Its sides and its plan of checks are
 * lib/reach-side.c and lib/reach-plan.c.
 */
#include "lib/probe.h"
#include "lib/reach.h"
#include "lib/target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: probe-reach [-t SECONDS] [--entry pidfd|setns] --target PID [--peer PID2] [MECH...]\n"
	"Measures which named IPC objects the process PID (a container) and this side\n"
	"(this probe's namespaces, or PID2's) can reach of each other's, in both\n"
	"directions, and prints a line a cell (OBSERVE mechanism scenario entry\n"
	"namespaces observed detail, tab-separated), after lines\n"
	"  TARGET pid PID / TARGET start TICKS / TARGET ns TYPE THIS-SIDE TARGET\n"
	"(and PEER pid, PEER start with --peer). Observed: shared (a value crossed),\n"
	"shared-denied (found, but EACCES/EPERM), isolated (not found), skip (a\n"
	"control failed: cannot measure).\n"
	"  MECH     sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm\n"
	"           unix-abstract fifo unix-path (default: all); fifo and unix-path in\n"
	"           /dev/shm, /tmp and every mount of the target this side sees\n"
	"  --entry  how the namespaces are entered: pidfd (default, Linux 5.8) or setns\n"
	"  -t       bound on every step, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"Environment: IPCNS_RUN_ID (part of every name), IPCNS_NAMES (a file every\n"
	"name is logged to before it is made).\n"
	"exit: 0 measured, 2 usage (also: no such process, or it has exited), 3 error\n"
	"(the target ended or its pid was reused: no result), 4 cannot enter here\n";

static struct reach_shared *sh; /* reach.sh */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	stopping = sig;
}

/* ---- the probe: tells the sides what to do ------------------------------- */

static unsigned random_value(void)
{
	unsigned short r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned short)getpid();
	return 1u + r % PROBE_VALUE_MAX;
}

/* The maker's object made and read back, the opener's own made, read back
 * and removed: 0, or the cell answered "skip" saying why not. */
static int controls(size_t ci, unsigned d, size_t cell, unsigned v)
{
	struct reach_side *m = &reach.side[d], *o = &reach.side[!d];
	unsigned w = random_value();
	bool ok;

	reach_log_name(ci, d, m->target);
	if (reach_ask(m, REACH_CREATE, ci, d, v))
		return cell_set(cell, "skip", "cannot measure: the %s side cannot make one: %s",
				m->label, sh->why), -1;
	if (reach_ask(m, REACH_GET, ci, d, 0) || sh->value != v)
		return cell_set(cell, "skip", "cannot measure: the %s side's control failed (read "
				"%u, wanted %u): %s", m->label, sh->value, v, sh->why), -1;
	reach_log_name(ci, 2 + d, o->target);
	if (reach_ask(o, REACH_CREATE, ci, 2 + d, w))
		return cell_set(cell, "skip", "cannot measure: the %s side cannot make one of its "
				"own: %s", o->label, sh->why), -1;
	ok = !reach_ask(o, REACH_GET, ci, 2 + d, 0) && sh->value == w;
	if (!ok)
		cell_set(cell, "skip", "cannot measure: the %s side's control failed (read %u, "
			 "wanted %u): %s", o->label, sh->value, w, sh->why);
	reach_ask(o, REACH_REMOVE, ci, 2 + d, 0);
	return ok ? 0 : -1;
}

/* Direction D of check CI: made on side D, looked up from the other. */
static void measure(size_t ci, unsigned d)
{
	const struct reach_check *c = &sh->check[ci];
	struct reach_side *m = &reach.side[d], *o = &reach.side[!d];
	size_t cell = c->cell[d];
	unsigned v = random_value();
	char note[PATH_MAX + 32] = "";

	if (strcmp(c->dir, c->here))
		snprintf(note, sizeof(note), " (this side's path: %s)", c->here);
	if (!controls(ci, d, cell, v)) {
		reach_ask(o, REACH_GET, ci, d, 0);
		if (!sh->rc && sh->value == v)
			cell_set(cell, "shared", "the %s side read the value %u the %s side wrote%s",
				 o->label, v, m->label, note);
		else if (!sh->rc)
			cell_set(cell, "", "the %s side read %u, not the value %u", o->label,
				 sh->value, v);
		else if (sh->rc == PROBE_ABSENT)
			cell_set(cell, "isolated", "the %s side: %s%s", o->label, sh->why, note);
		else if (strstr(sh->why, ": EACCES") || strstr(sh->why, ": EPERM"))
			cell_set(cell, "shared-denied", "the %s side found it, denied: %s%s",
				 o->label, sh->why, note);
		else
			cell_set(cell, sh->rc == PROBE_UNSUPPORTED ? "skip" : "", "the %s side: %s",
				 o->label, sh->why);
	}
	reach_ask(m, REACH_REMOVE, ci, d, 0);
}

/* ---- the command line, the target, the sides ----------------------------- */

static int usage(const char *what, const char *arg)
{
	return probe_usage(usage_text, what, arg);
}

static int parse(int argc, char **argv, pid_t *target, pid_t *peer, enum ns_entry *entry)
{
	int i = 1;
	bool any = false;

	while (i < argc) {
		const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k;

		if (!strcmp(opt, "-t")) {
			if (probe_take_timeout(argc, argv, &i))
				return usage("", "");
			continue;
		}
		if (!strcmp(opt, "--target") || !strcmp(opt, "--peer")) {
			if (!probe_parse_pid(arg, opt[2] == 't' ? target : peer))
				return usage("--target and --peer want a pid, not ", arg ? arg : "");
		} else if (!strcmp(opt, "--entry")) {
			if (!ns_parse_entry(arg, entry) || !ns_is_join(*entry))
				return usage("--entry wants pidfd or setns, not ", arg ? arg : "");
		} else {
			for (k = 0; k < REACH_MECHS; k++)
				if (!strcmp(opt, reach_mechs[k]))
					break;
			if (k == REACH_MECHS)
				return usage("unknown argument ", opt);
			reach.wanted[k] = any = true;
			i++;
			continue;
		}
		i += 2;
	}
	for (size_t k = 0; !any && k < REACH_MECHS; k++)
		reach.wanted[k] = true;
	if (!*target)
		return usage("missing --target PID", "");
	if (*target == reach.me || *peer == reach.me)
		return usage("that pid is this probe itself", "");
	if (*peer && *peer == *target)
		return usage("--peer is the target itself", "");
	return -1;
}

/* The TARGET lines; the namespaces in which the two sides differ, in NS. */
static bool namespaces(pid_t t, pid_t here, char *ns, size_t len)
{
	static const char *const types[] = { "cgroup", "ipc", "mnt", "net", "pid", "time",
		"user", "uts" };
	bool all_same = true;
	size_t n = 0;

	ns[0] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		unsigned long a = ns_inode(here, types[i]), b = ns_inode(t, types[i]);

		if (!a && !b)
			continue; /* a type this kernel lacks */
		printf("TARGET\tns\t%s\t%lu\t%lu\n", types[i], a, b);
		all_same = all_same && a == b;
		if (a != b && (!strcmp(types[i], "ipc") || !strcmp(types[i], "mnt") ||
			       !strcmp(types[i], "net") || !strcmp(types[i], "user")))
			n += (size_t)snprintf(ns + n, len - n, "%s%s", n ? "+" : "", types[i]);
	}
	if (!n)
		snprintf(ns, len, "none");
	if (all_same)
		printf("# the target shares every namespace with this side: not a container; "
		       "whatever is measured is shared by construction\n");
	return n > 0;
}

int main(int argc, char **argv)
{
	enum ns_entry entry = NS_ENTRY_PIDFD;
	struct target t = { 0, -1, 0 }, p = { 0, -1, 0 };
	pid_t target = 0, peer = 0;
	char ns[32];
	int rc;

	reach.me = getpid();
	if (probe_init(argv[0]))
		return usage("", "");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(NULL, NULL);
	rc = parse(argc, argv, &target, &peer, &entry);
	if (rc >= 0)
		return rc;
	if (getenv("IPCNS_RUN_ID"))
		reach.run_id = getenv("IPCNS_RUN_ID");
	if (!probe_valid_token(reach.run_id) || strlen(reach.run_id) > 24)
		return usage("IPCNS_RUN_ID wants 1..24 of [A-Za-z0-9._-], not ", reach.run_id);
	rc = target_pin(&t, target);
	rc = rc || !peer ? rc : target_pin(&p, peer);
	if (rc)
		return rc == PROBE_USAGE ? usage("", "") : rc;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	reach.sh = sh;
	if (sh == MAP_FAILED || cells_init())
		return probe_fail_errno(PROBE_ERROR, errno, "setting up");
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_stop);
	signal(SIGPIPE, SIG_IGN);
	printf("TARGET\tpid\t%d\nTARGET\tstart\t%llu\n", (int)target, t.start);
	if (peer)
		printf("PEER\tpid\t%d\nPEER\tstart\t%llu\n", (int)peer, p.start);
	reach.this_word = peer ? "peer" : "host";
	reach.side[0] = (struct reach_side){ .label = reach.this_word };
	reach.side[1] = (struct reach_side){ .label = "target", .target = true };
	/* our own namespaces: nothing to enter (nor the right to, unprivileged) */
	reach.entry = namespaces(target, peer, ns, sizeof(ns)) || peer ? ns_entry_name(entry) : "-";
	reach.ns = ns;
	probe_quiet = true; /* a verb's diagnostic is a cell's detail here */
	rc = reach_start_side(&reach.side[0], peer, entry);
	rc = rc ? rc : reach_start_side(&reach.side[1], strcmp(ns, "none") || peer ? target : 0, entry);
	/* the sides are in place: were they entered from the pinned processes? */
	rc = rc ? rc : target_check(&t);
	rc = rc || !peer ? rc : target_check(&p);
	if (!rc) {
		reach_plan(peer, strstr(ns, "mnt") != NULL);
		for (size_t ci = 0; ci < sh->n; ci++)
			for (unsigned d = 0; d < 2 && !stopping; d++)
				measure(ci, d);
		rc = target_check(&t); /* it lived throughout: the cells are of it */
		rc = rc || !peer ? rc : target_check(&p);
	}
	if (rc)
		fprintf(stderr, "probe-reach: %s\n", probe_last_message());
	for (unsigned s = 0; s < 2; s++)
		if (reach.side[s].p.pid > 0 && peer_end(&reach.side[s].p) && !rc)
			rc = PROBE_ERROR;
	target_unpin(&t);
	target_unpin(&p);
	if (rc)
		return rc;
	if (stopping)
		cells_rest("", "stopped by signal %d", (int)stopping);
	return cells_print() ? PROBE_ERROR : stopping ? 128 + stopping : PROBE_REACHED;
}
