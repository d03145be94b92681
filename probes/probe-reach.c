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
 * judges against a policy.
 */
#include "lib/cells.h"
#include "lib/mech.h"
#include "lib/mounts.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"
#include "lib/target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

#define CHECKS_MAX 60
enum op { OP_CREATE = 1, OP_GET, OP_REMOVE, OP_STAT };

struct check {
	const struct probe_mech *mech;
	char id[16];        /* the record's mechanism: "posix-mq", "fifo" */
	char dir[PATH_MAX]; /* the target's directory; "" for names */
	char here[PATH_MAX]; /* this side's way to it */
	size_t cell[2];      /* [0] this side makes, the target looks; [1] reverse */
};

/* In MAP_SHARED memory: the plan, and what the last verb did, whichever
 * side ran it. */
static struct shared {
	size_t n;
	struct check check[CHECKS_MAX];
	int rc;
	unsigned value;
	char why[CELL_DETAIL_MAX / 2], path[PATH_MAX];
	unsigned long long dev, ino;
} *sh;

struct side {
	struct peer p;
	const char *label;
	bool target, up;
};

static struct side sides[2]; /* [0] this side, [1] the target */
static const char *run_id = "x";
static pid_t me;
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	stopping = sig;
}

/* Object OBJ of check CI, as the target (or this side) names it: 0 and 1
 * are made by this side and the target, 2 and 3 are the opener's own. */
static void name_of(size_t ci, unsigned obj, bool target, char *buf, size_t len)
{
	const struct check *c = &sh->check[ci];

	if (c->dir[0])
		snprintf(buf, len, "%s/ipcns-%s-%d-%zu-%u", target ? c->dir : c->here, run_id,
			 (int)me, ci, obj);
	else
		snprintf(buf, len, "ipcns-%s-%d-%zu-%u", run_id, (int)me, ci, obj);
}

/* ---- a side: runs the verbs it is told, removes what it made at the end -- */

static pid_t servers[CHECKS_MAX][4];
static bool made[CHECKS_MAX][4];

static void undo(size_t ci, unsigned obj, bool target)
{
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
	const struct probe_mech *m = sh->check[ci].mech;
	char name[PATH_MAX + 64];
	struct stat st;

	sh->value = 0;
	if (op == OP_STAT) { /* of a path, no check's */
		sh->rc = stat(sh->path, &st) ? probe_fail_errno(PROBE_ERROR, errno, "stat(%s)", sh->path)
		       : !S_ISDIR(st.st_mode) ? probe_fail(PROBE_ERROR, "%s: not a directory", sh->path) : 0;
		sh->dev = st.st_dev, sh->ino = st.st_ino;
		snprintf(sh->why, sizeof(sh->why), "%s", sh->rc ? probe_last_message() : "");
		return;
	}
	name_of(ci, obj, target, name, sizeof(name));
	probe_kconfig = m->kconfig;
	probe_server_pid = 0;
	if (op == OP_CREATE) {
		sh->rc = m->create(name, value);
		made[ci][obj] = !sh->rc;
		servers[ci][obj] = probe_server_pid;
	} else if (op == OP_GET) {
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
		close(sides[0].p.to);
		close(sides[0].p.from);
	}
	while (!peer_hear(self, &cmd) && !peer_tell(self, (run_verb(cmd, target), 0)))
		;
	for (size_t ci = 0; ci < CHECKS_MAX; ci++) /* EOF: done, or the probe is gone */
		for (unsigned obj = 0; obj < 4; obj++)
			if (made[ci][obj])
				undo(ci, obj, target);
	return 0;
}

/* ---- the probe: tells the sides what to do ------------------------------- */

static int ask(struct side *s, enum op op, size_t ci, unsigned obj, unsigned value)
{
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

static void log_name(size_t ci, unsigned obj, bool target)
{
	const char *path = getenv("IPCNS_NAMES");
	char name[PATH_MAX + 64];
	FILE *log = path ? fopen(path, "ae") : NULL;

	if (!log)
		return;
	name_of(ci, obj, target, name, sizeof(name));
	fprintf(log, "%s %s\n", sh->check[ci].id, name);
	fclose(log);
}

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
	struct side *m = &sides[d], *o = &sides[!d];
	unsigned w = random_value();
	bool ok;

	log_name(ci, d, m->target);
	if (ask(m, OP_CREATE, ci, d, v))
		return cell_set(cell, "skip", "cannot measure: the %s side cannot make one: %s",
				m->label, sh->why), -1;
	if (ask(m, OP_GET, ci, d, 0) || sh->value != v)
		return cell_set(cell, "skip", "cannot measure: the %s side's control failed (read "
				"%u, wanted %u): %s", m->label, sh->value, v, sh->why), -1;
	log_name(ci, 2 + d, o->target);
	if (ask(o, OP_CREATE, ci, 2 + d, w))
		return cell_set(cell, "skip", "cannot measure: the %s side cannot make one of its "
				"own: %s", o->label, sh->why), -1;
	ok = !ask(o, OP_GET, ci, 2 + d, 0) && sh->value == w;
	if (!ok)
		cell_set(cell, "skip", "cannot measure: the %s side's control failed (read %u, "
			 "wanted %u): %s", o->label, sh->value, w, sh->why);
	ask(o, OP_REMOVE, ci, 2 + d, 0);
	return ok ? 0 : -1;
}

/* Direction D of check CI: made on side D, looked up from the other. */
static void measure(size_t ci, unsigned d)
{
	const struct check *c = &sh->check[ci];
	struct side *m = &sides[d], *o = &sides[!d];
	size_t cell = c->cell[d];
	unsigned v = random_value();
	char note[PATH_MAX + 32] = "";

	if (strcmp(c->dir, c->here))
		snprintf(note, sizeof(note), " (this side's path: %s)", c->here);
	if (!controls(ci, d, cell, v)) {
		ask(o, OP_GET, ci, d, 0);
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
	ask(m, OP_REMOVE, ci, d, 0);
}

/* ---- the plan ---------------------------------------------------------- */

static const char *const all_mechs[] = { "sysv-msg", "sysv-sem", "sysv-shm", "posix-mq",
	"posix-sem", "posix-shm", "unix-abstract", "fifo", "unix-path" };
static bool wanted[sizeof(all_mechs) / sizeof(all_mechs[0])];
static const char *entry_word, *ns_word, *this_word = "host";

static void plan(const char *id, const char *dir, const char *here)
{
	static char mech[sizeof(((struct cell *)0)->mech)];
	struct check *c = &sh->check[sh->n];
	bool via = strcmp(dir, here);
	char scen[2][48];

	if (sh->n == CHECKS_MAX || cells_count() + 2 > CELLS_MAX)
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
	snprintf(scen[0], sizeof(scen[0]), "%s%s-to-target", this_word, via ? "-via-path" : "");
	snprintf(scen[1], sizeof(scen[1]), "target-to-%s%s", this_word, via ? "-via-path" : "");
	for (unsigned d = 0; d < 2; d++)
		c->cell[d] = cell_declare(mech, scen[d], entry_word, ns_word);
	sh->n++;
}

/* Is HERE on this side the same directory as DIR on the target's? */
static bool same_dir(const char *dir, const char *here)
{
	unsigned long long dev, ino;

	snprintf(sh->path, sizeof(sh->path), "%s", dir);
	if (ask(&sides[1], OP_STAT, 0, 0, 0))
		return false;
	dev = sh->dev, ino = sh->ino;
	snprintf(sh->path, sizeof(sh->path), "%s", here);
	return !ask(&sides[0], OP_STAT, 0, 0, 0) && sh->dev == dev && sh->ino == ino;
}

/* /dev/shm, /tmp, and (in another mount namespace) every mount of the
 * target's that this side sees too: at the same path, or through another. */
static void plan_dirs(pid_t this_pid, bool mnt_differs)
{
	struct mount *theirs = NULL, *ours = NULL;
	size_t nt = 0, no = 0;
	char here[PATH_MAX];

	if (mnt_differs && (mounts_read(sides[1].p.pid, &theirs, &nt) ||
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
			if (!wanted[k])
				continue;
			if (fixed || (found && !strcmp(dir, here)))
				plan(all_mechs[k], dir, dir);
			if (found && strcmp(dir, here))
				plan(all_mechs[k], dir, here);
		}
	}
	free(theirs);
	free(ours);
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
			for (k = 0; k < sizeof(all_mechs) / sizeof(all_mechs[0]); k++)
				if (!strcmp(opt, all_mechs[k]))
					break;
			if (k == sizeof(all_mechs) / sizeof(all_mechs[0]))
				return usage("unknown argument ", opt);
			wanted[k] = any = true;
			i++;
			continue;
		}
		i += 2;
	}
	for (size_t k = 0; !any && k < sizeof(all_mechs) / sizeof(all_mechs[0]); k++)
		wanted[k] = true;
	if (!*target)
		return usage("missing --target PID", "");
	if (*target == me || *peer == me)
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

static int start_side(struct side *s, pid_t pid, enum ns_entry entry)
{
	struct ns_spec spec = { .entry = entry, .target = pid };
	int rc = pid ? peer_start_ns(&s->p, &spec, side_main, s->target ? s : NULL)
		     : peer_start(&s->p, side_main, s->target ? s : NULL) ? PROBE_ERROR : 0;

	s->up = !rc;
	return rc;
}

int main(int argc, char **argv)
{
	enum ns_entry entry = NS_ENTRY_PIDFD;
	struct target t = { 0, -1, 0 }, p = { 0, -1, 0 };
	pid_t target = 0, peer = 0;
	char ns[32];
	int rc;

	me = getpid();
	if (probe_init(argv[0]))
		return usage("", "");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(NULL, NULL);
	rc = parse(argc, argv, &target, &peer, &entry);
	if (rc >= 0)
		return rc;
	if (getenv("IPCNS_RUN_ID"))
		run_id = getenv("IPCNS_RUN_ID");
	if (!probe_valid_token(run_id) || strlen(run_id) > 24)
		return usage("IPCNS_RUN_ID wants 1..24 of [A-Za-z0-9._-], not ", run_id);
	rc = target_pin(&t, target);
	rc = rc || !peer ? rc : target_pin(&p, peer);
	if (rc)
		return rc == PROBE_USAGE ? usage("", "") : rc;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || cells_init())
		return probe_fail_errno(PROBE_ERROR, errno, "setting up");
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_stop);
	signal(SIGPIPE, SIG_IGN);
	printf("TARGET\tpid\t%d\nTARGET\tstart\t%llu\n", (int)target, t.start);
	if (peer)
		printf("PEER\tpid\t%d\nPEER\tstart\t%llu\n", (int)peer, p.start);
	this_word = peer ? "peer" : "host";
	sides[0] = (struct side){ .label = this_word };
	sides[1] = (struct side){ .label = "target", .target = true };
	/* our own namespaces: nothing to enter (nor the right to, unprivileged) */
	entry_word = namespaces(target, peer, ns, sizeof(ns)) || peer ? ns_entry_name(entry) : "-";
	ns_word = ns;
	probe_quiet = true; /* a verb's diagnostic is a cell's detail here */
	rc = start_side(&sides[0], peer, entry);
	rc = rc ? rc : start_side(&sides[1], strcmp(ns, "none") || peer ? target : 0, entry);
	/* the sides are in place: were they entered from the pinned processes? */
	rc = rc ? rc : target_check(&t);
	rc = rc || !peer ? rc : target_check(&p);
	if (!rc) {
		for (size_t k = 0; k < 7; k++)
			if (wanted[k])
				plan(all_mechs[k], "", "");
		plan_dirs(peer, strstr(ns, "mnt") != NULL);
		for (size_t ci = 0; ci < sh->n; ci++)
			for (unsigned d = 0; d < 2 && !stopping; d++)
				measure(ci, d);
		rc = target_check(&t); /* it lived throughout: the cells are of it */
		rc = rc || !peer ? rc : target_check(&p);
	}
	if (rc)
		fprintf(stderr, "probe-reach: %s\n", probe_last_message());
	for (unsigned s = 0; s < 2; s++)
		if (sides[s].p.pid > 0 && peer_end(&sides[s].p) && !rc)
			rc = PROBE_ERROR;
	target_unpin(&t);
	target_unpin(&p);
	if (rc)
		return rc;
	if (stopping)
		cells_rest("", "stopped by signal %d", (int)stopping);
	return cells_print() ? PROBE_ERROR : stopping ? 128 + stopping : PROBE_REACHED;
}
