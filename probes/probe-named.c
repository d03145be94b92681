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
#include "lib/harness.h"
#include "lib/ns.h"
#include "lib/place.h"
#include "lib/probe.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: probe-named [-t SECONDS] [--variant mnt|net] MECH\n"
	"Measures whether MECH's objects cross the boundary of a new IPC namespace:\n"
	"  host-to-ns  clone clone3 unshare util-linux   ns-to-host  clone\n"
	"  sibling     clone                             same-name   clone\n"
	"  join        setns pidfd util-linux\n"
	"  MECH       sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo\n"
	"             unix-path unix-abstract\n"
	"  --variant  the new namespaces come with a mount namespace (fresh /dev/shm\n"
	"             and /dev/mqueue) or a network namespace: host-to-ns (clone)\n"
	"             and ns-to-host only\n"
	"Environment: IPCNS_RUN_ID (part of every name), IPCNS_NAMES (a file every\n"
	"name is logged to before it is made), TMPDIR (where paths are made).\n";

static const char *mech_id, *ns_name, *variant;
static unsigned want; /* NS_WANT_* of every new namespace */
static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	stopping = sig;
}

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
	why = place_make(&place_host, 101, &name, &observed);
	if (why)
		return cells_rest(observed, "%s", why);
	for (size_t i = 0; i < n; i++) {
		struct place at = { NEW, entries[i], 0, ns_entry_name(entries[i]) };

		place_look(first + i, &at, name, 101, "");
	}
	if (tool)
		place_look(cell, &(struct place){ TOOL_UNSHARE, NS_ENTRY_FORK, 0, "util-linux" }, name,
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

	if ((rc = place_hold(&a, &why)) || (why = place_make(&a, 102, &name, &observed))) {
		cell_set(cell, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip" : "",
			 "%s%s", rc ? "making the namespace: " : "", why);
		if (sibling)
			cell_set(sib, cell_at(cell)->observed, "%s", cell_at(cell)->detail);
		return;
	}
	place_look(cell, &place_host, name, 102, "");
	if (!sibling)
		return;
	if ((rc = place_hold(&b, &why)) || (why = place_make(&a, 103, &name, &observed)))
		return cell_set(sib, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip"
				: "", "%s", why);
	b.label = "setns:SIBLING";
	place_look(sib, &b, name, 103, "");
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

	if ((why = place_make(&place_host, 104, &name, &observed)) || (rc = place_hold(&in, &why)))
		return cell_set(cell, rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip"
				: "", "%s", why);
	snprintf(host_name, sizeof(host_name), "%s", name);
	place_run(&in, CREATE, host_name, 105);
	if (place_res->rc == PROBE_EXISTS)
		return cell_set(cell, "shared", "the name is taken in the namespace: %s", place_res->why);
	if (place_res->rc == PROBE_UNSUPPORTED)
		return cell_set(cell, "skip", "%s", place_res->why);
	if (place_res->rc)
		return cell_set(cell, "", "create in the namespace: exit %d: %s", place_res->rc, place_res->why);
	place_undo(&in, host_name);
	place_run(&in, GET, host_name, 0);
	rc = place_res->rc || place_res->value != 105;
	place_run(&place_host, GET, host_name, 0);
	if (!rc && !place_res->rc && place_res->value == 104)
		cell_set(cell, "isolated", "two objects: the host's holds 104, the namespace's 105");
	else
		cell_set(cell, "", "made twice, but the values crossed: the host reads %u (exit %d)",
			 place_res->value, place_res->rc);
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
	if ((rc = place_hold(&in, &why)) || (why = place_make(&in, 106, &name, &observed)))
		return cells_rest(rc == PROBE_UNSUPPORTED || !strcmp(observed, "skip") ? "skip" : "",
				  "%s", why);
	place_run(&place_host, GET, name, 0);
	if (!place_res->rc && place_res->value == 106)
		note = " (the host reaches it too: this cell does not depend on the join)";
	for (size_t i = 0; i < 2; i++) {
		struct place at = { JOIN, entries[i], in.holder, i ? "pidfd:HOLDER" : "setns:HOLDER" };

		place_look(cell + i, &at, name, 106, note);
	}
	place_look(cell + 2, &(struct place){ TOOL_NSENTER, NS_ENTRY_FORK, in.holder, "nsenter:HOLDER" },
	     name, 106, note);
}


/* [--variant mnt|net] MECH */
static int args(int argc, char **argv)
{
	static char ns[32];
	int i = 0, rc;

	if (i + 1 < argc && !strcmp(argv[i], "--variant")) {
		variant = argv[i + 1];
		if (strcmp(variant, "mnt") && strcmp(variant, "net"))
			return harness_usage_error("--variant takes mnt or net, not ", variant);
		want |= variant[0] == 'm' ? NS_WANT_MNT : NS_WANT_NET;
		i += 2;
	}
	if (argc - i != 1)
		return harness_usage_error(argc > i ? "one MECH, not more" : "missing MECH", NULL);
	mech_id = argv[i];
	if (harness_rootless())
		want |= NS_WANT_USER;
	snprintf(ns, sizeof(ns), "%s%s%s", harness_ns(), variant ? "+" : "", variant ? variant : "");
	ns_name = ns;
	if ((rc = place_init(mech_id, want)) == PROBE_USAGE)
		return harness_usage_error("unknown MECH ", mech_id);
	return rc;
}

static int measure(void)
{
	static const enum ns_entry all[] = { NS_ENTRY_CLONE, NS_ENTRY_CLONE3, NS_ENTRY_UNSHARE };

	probe_quiet = true; /* a verb's diagnostic is a cell's detail here */
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
	place_cleanup();
	if (stopping)
		cells_rest("", "stopped by signal %d", (int)stopping);
	return stopping ? 128 + stopping : PROBE_REACHED;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .args = args, .measure = measure,
					  .on_host = true };

	return harness_main(&h, argc, argv);
}
