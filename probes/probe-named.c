/* SPDX-License-Identifier: MIT
 *
 * probe-named: the isolation matrix of one named mechanism, in one process.
 * An object is made somewhere (the host, or a held namespace), the same verb
 * at the same place reads its value back (the positive control), then it is
 * looked for from elsewhere: a new namespace made through each entry point,
 * the host, a sibling, a process that joins. Every new namespace is proved
 * new by ns_start; the util-linux cells run unshare(1) and nsenter(1), which
 * is their point. What is expected is not known here: scenario.sh judges.
 */
#include "lib/cells.h"
#include "lib/mech.h"
#include "lib/ns.h"
#include "lib/probe.h"
#include "lib/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: probe-named [-t SECONDS] [--variant mnt|net] MECH\n"
	"Measures whether MECH's objects cross the boundary of a new IPC namespace\n"
	"and prints a line a cell (OBSERVE mechanism scenario entry namespaces\n"
	"observed detail, tab-separated):\n"
	"  host-to-ns  clone clone3 unshare util-linux   ns-to-host  clone\n"
	"  sibling     clone                             same-name   clone\n"
	"  join        setns pidfd util-linux\n"
	"  MECH       sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo\n"
	"             unix-path unix-abstract\n"
	"  --variant  the new namespaces come with a mount namespace (fresh /dev/shm\n"
	"             and /dev/mqueue) or a network namespace: host-to-ns (clone)\n"
	"             and ns-to-host only\n"
	"  -t         bound on every step, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"Environment: IPCNS_RUN_ID (part of every name), IPCNS_NAMES (a file every\n"
	"name is logged to before it is made), TMPDIR (where paths are made).\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error\n";

enum verb { CREATE, GET, REMOVE };
enum where { HOST, NEW, JOIN, TOOL_UNSHARE, TOOL_NSENTER };

struct place {
	enum where where;
	enum ns_entry entry; /* NEW: clone, clone3, unshare; JOIN: setns, pidfd */
	pid_t holder;        /* JOIN, TOOL_NSENTER */
	const char *label;   /* for details: "clone", "setns:HOLDER", "host" */
};

/* What a verb did, wherever it ran: in MAP_SHARED memory. */
static struct result {
	int rc;
	unsigned value;
	pid_t server;
	char why[300];
} *res;

static const struct probe_mech *mech;
static const struct probe_family *family;
static const char *mech_id, *ns_name;
static unsigned want; /* NS_WANT_* of every new namespace */
static char workdir[PATH_MAX - 32], probe_dir[PATH_MAX];
static unsigned objects;
static volatile sig_atomic_t stopping;

#define MAX_UNDO 16
static struct { struct place at; char name[PATH_MAX]; } undo[MAX_UNDO];
static size_t nundo;
static pid_t holders[8], servers[16];
static int releases[8];
static size_t nholders, nservers;

static void on_stop(int sig)
{
	stopping = sig;
}

/* ---- running a verb somewhere ------------------------------------------ */

struct op {
	enum verb verb;
	const char *name;
	unsigned value;
};

static void do_op(const struct op *op)
{
	res->server = 0;
	probe_server_pid = 0;
	probe_kconfig = mech->kconfig; /* its own calls only: not clone3's ENOSYS */
	res->rc = op->verb == CREATE ? mech->create(op->name, op->value)
		: op->verb == GET ? mech->get(op->name, &res->value)
		: mech->remove ? mech->remove(op->name) : PROBE_REACHED;
	probe_kconfig = NULL;
	res->server = probe_server_pid;
	snprintf(res->why, sizeof(res->why), "%s", res->rc ? probe_last_message() : "");
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
	res->rc = r.rc, res->value = 0;
	snprintf(res->why, sizeof(res->why), "%s", r.why);
	if (!res->rc && !probe_scan_value(r.out, strlen(r.out), &res->value))
		res->rc = PROBE_ERROR;
}

/* Runs OP at AT; the outcome is in *res. */
static void run_at(const struct place *at, enum verb verb, const char *name, unsigned value)
{
	struct op op = { verb, name, value };
	struct ns_spec spec = { .entry = at->entry, .want = at->where == NEW ? want : 0,
				.target = at->holder, .observe_same_ipc = true };
	pid_t pid;
	int rc;

	res->rc = -1;
	if (at->where == HOST) {
		do_op(&op);
	} else if (at->where == TOOL_UNSHARE || at->where == TOOL_NSENTER) {
		run_tool(at, &op);
	} else {
		rc = ns_start(&spec, op_child, &op, &pid);
		if (!rc)
			rc = ns_wait(pid, probe_timeout(), "the probe's child");
		if (rc || res->rc < 0) { /* the namespace, not the verb, failed */
			res->rc = rc ? rc : PROBE_ERROR;
			snprintf(res->why, sizeof(res->why), "%s", probe_last_message());
		}
	}
	if (res->server > 0 && nservers < sizeof(servers) / sizeof(servers[0]))
		servers[nservers++] = res->server;
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
static int hold(struct place *at, const char **why)
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
static const char *make_at(const struct place *at, unsigned value, const char **name,
			   const char **observed)
{
	static char why[400];

	*name = new_name();
	*observed = "";
	if (nundo < MAX_UNDO) {
		undo[nundo].at = *at;
		snprintf(undo[nundo++].name, sizeof(undo[0].name), "%s", *name);
	}
	run_at(at, CREATE, *name, value);
	if (res->rc == PROBE_UNSUPPORTED)
		*observed = "skip";
	if (res->rc) {
		snprintf(why, sizeof(why), "create at %s: exit %d: %s", at->label, res->rc, res->why);
		return res->rc == PROBE_UNSUPPORTED ? res->why : why;
	}
	run_at(at, GET, *name, 0);
	if (res->rc || res->value != value) {
		snprintf(why, sizeof(why), "positive control failed: get at %s: exit %d, read '%u', "
			 "wanted %u: %s", at->label, res->rc, res->value, value, res->why);
		return why;
	}
	return NULL;
}

/* Can AT reach NAME, which holds VALUE? */
static void look(size_t cell, const struct place *at, const char *name, unsigned value,
		 const char *note)
{
	run_at(at, GET, name, 0);
	if (res->rc == PROBE_REACHED && res->value == value)
		cell_set(cell, "shared", "get at %s read the object's value %u%s", at->label, value,
			 note);
	else if (res->rc == PROBE_REACHED)
		cell_set(cell, "", "get at %s read '%u', not the object's value %u", at->label,
			 res->value, value);
	else if (res->rc == PROBE_ABSENT)
		cell_set(cell, "isolated", "%s%s", res->why, note);
	else if (res->rc == PROBE_UNSUPPORTED)
		cell_set(cell, "skip", "%s", res->why);
	else
		cell_set(cell, "", "get at %s: exit %d: %s", at->label, res->rc, res->why);
}

static const struct place host = { HOST, NS_ENTRY_FORK, 0, "host" };

static size_t declare(const char *scen, const char *entry)
{
	return cell_declare(mech_id, scen, entry, ns_name);
}

/* ---- the scenarios ------------------------------------------------------- */

/* An object on the host, looked for from new namespaces made through ENTRIES. */
static void host_to_ns(const enum ns_entry *entries, size_t n, bool tool)
{
	size_t first = declare("host-to-ns", ns_entry_name(entries[0])), cell;
	const char *name, *observed, *why;

	for (size_t i = 1; i < n; i++)
		declare("host-to-ns", ns_entry_name(entries[i]));
	cell = tool ? declare("host-to-ns", "util-linux") : first;
	why = make_at(&host, 101, &name, &observed);
	if (why)
		return cells_rest(observed, "%s", why);
	for (size_t i = 0; i < n; i++) {
		struct place at = { NEW, entries[i], 0, ns_entry_name(entries[i]) };

		look(first + i, &at, name, 101, "");
	}
	if (tool)
		look(cell, &(struct place){ TOOL_UNSHARE, NS_ENTRY_FORK, 0, "util-linux" }, name,
		     101, "");
}

/* An object made in a held namespace, looked for from the host; then one
 * made in a first held namespace, looked for from a second (a sibling). */
static void from_held(bool sibling)
{
	size_t cell = declare("ns-to-host", "clone"), sib = sibling ? declare("sibling", "clone") : 0;
	const char *name, *observed, *why;
	struct place a, b;
	int rc;

	if ((rc = hold(&a, &why)) || (why = make_at(&a, 102, &name, &observed))) {
		cell_set(cell, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip" : "",
			 "%s%s", rc ? "making the namespace: " : "", why);
		if (sibling)
			cell_set(sib, cell_at(cell)->observed, "%s", cell_at(cell)->detail);
		return;
	}
	look(cell, &host, name, 102, "");
	if (!sibling)
		return;
	if ((rc = hold(&b, &why)) || (why = make_at(&a, 103, &name, &observed)))
		return cell_set(sib, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip"
				: "", "%s", why);
	b.label = "setns:SIBLING";
	look(sib, &b, name, 103, "");
}

/* The host's name made again in a held namespace: two objects, or one?
 * Independence is proved by value: afterwards each side reads its own. */
static void same_name(void)
{
	size_t cell = declare("same-name", "clone");
	const char *name, *observed, *why;
	struct place in;
	int rc = 0;
	char host_name[PATH_MAX];

	if ((why = make_at(&host, 104, &name, &observed)) || (rc = hold(&in, &why)))
		return cell_set(cell, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip"
				: "", "%s", why);
	snprintf(host_name, sizeof(host_name), "%s", name);
	run_at(&in, CREATE, host_name, 105);
	if (res->rc == PROBE_EXISTS)
		return cell_set(cell, "shared", "the name is taken in the namespace: %s", res->why);
	if (res->rc == PROBE_UNSUPPORTED)
		return cell_set(cell, "skip", "%s", res->why);
	if (res->rc)
		return cell_set(cell, "", "create in the namespace: exit %d: %s", res->rc, res->why);
	if (nundo < MAX_UNDO) {
		undo[nundo].at = in;
		snprintf(undo[nundo++].name, sizeof(undo[0].name), "%s", host_name);
	}
	run_at(&in, GET, host_name, 0);
	rc = res->rc || res->value != 105;
	run_at(&host, GET, host_name, 0);
	if (!rc && !res->rc && res->value == 104)
		cell_set(cell, "isolated", "two objects: the host's holds 104, the namespace's 105");
	else
		cell_set(cell, "", "made twice, but the values crossed: the host reads %u (exit %d)",
			 res->value, res->rc);
}

/* A process that joins a held namespace sees its objects; where the host
 * sees them too, joining proves nothing, and the detail says so. */
static void join(void)
{
	static const enum ns_entry entries[] = { NS_ENTRY_SETNS, NS_ENTRY_PIDFD };
	size_t cell = declare("join", "setns");
	const char *name, *observed, *why, *note = "";
	struct place in;
	int rc;

	declare("join", "pidfd");
	declare("join", "util-linux");
	if ((rc = hold(&in, &why)) || (why = make_at(&in, 106, &name, &observed)))
		return cells_rest(rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip" : "",
				  "%s", why);
	run_at(&host, GET, name, 0);
	if (!res->rc && res->value == 106)
		note = " (the host reaches it too: this cell does not depend on the join)";
	for (size_t i = 0; i < 2; i++) {
		struct place at = { JOIN, entries[i], in.holder, i ? "pidfd:HOLDER" : "setns:HOLDER" };

		look(cell + i, &at, name, 106, note);
	}
	look(cell + 2, &(struct place){ TOOL_NSENTER, NS_ENTRY_FORK, in.holder, "nsenter:HOLDER" },
	     name, 106, note);
}

/* Every object removed where it was made, while its holder lives (one made
 * "inside" may well be on the host); then servers and holders end. */
static void cleanup(void)
{
	for (size_t i = 0; i < nundo; i++)
		run_at(&undo[i].at, REMOVE, undo[i].name, 0);
	for (size_t i = 0; i < nservers; i++)
		kill(servers[i], SIGTERM);
	for (size_t i = 0; i < nholders; i++) {
		close(releases[i]);
		ns_wait(holders[i], probe_timeout(), "a holder");
	}
	if (workdir[0])
		rmdir(workdir);
}

static int usage(const char *what, const char *arg)
{
	return probe_usage(usage_text, what, arg);
}

int main(int argc, char **argv)
{
	static const enum ns_entry all[] = { NS_ENTRY_CLONE, NS_ENTRY_CLONE3, NS_ENTRY_UNSHARE };
	static char ns[32];
	const char *variant = NULL;
	char self[PATH_MAX];
	ssize_t n;
	int i = 1;

	if (probe_init(argv[0]))
		return usage("", "");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(NULL, NULL);
	if (probe_take_timeout(argc, argv, &i))
		return usage("", "");
	if (i + 1 < argc && !strcmp(argv[i], "--variant")) {
		variant = argv[i + 1];
		if (strcmp(variant, "mnt") && strcmp(variant, "net"))
			return usage("--variant takes mnt or net, not ", variant);
		want |= variant[0] == 'm' ? NS_WANT_MNT : NS_WANT_NET;
		i += 2;
	}
	if (argc - i != 1)
		return usage(argc > i ? "one MECH, not more" : "missing MECH", "");
	mech_id = argv[i];
	mech = probe_find_mech(mech_id, &family);
	if (!mech)
		return usage("unknown MECH ", mech_id);
	probe_quiet = true; /* a verb's diagnostic is a cell's detail here */
	if (getuid())
		want |= NS_WANT_USER;
	snprintf(ns, sizeof(ns), "ipc%s%s%s", want & NS_WANT_USER ? "+user" : "",
		 variant ? "+" : "", variant ? variant : "");
	ns_name = ns;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(probe_dir, sizeof(probe_dir), "%s", dirname(self));
	snprintf(workdir, sizeof(workdir), "%s/ipcns-named.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED || cells_init() || !mkdtemp(workdir))
		return probe_fail_errno(PROBE_ERROR, errno, "setting up");
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, on_stop);
	signal(SIGPIPE, SIG_IGN); /* a server whose reader left */

	host_to_ns(all, variant ? 1 : 3, !variant);
	if (!stopping)
		from_held(!variant);
	if (!variant && !stopping)
		same_name();
	if (!variant && !stopping)
		join();
	cleanup();
	if (stopping)
		cells_rest("", "stopped by signal %d", (int)stopping);
	return cells_print() ? PROBE_ERROR : stopping ? 128 + stopping : PROBE_REACHED;
}
