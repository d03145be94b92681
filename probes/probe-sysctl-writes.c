/* SPDX-License-Identifier: MIT
 *
 * probe-sysctl-writes: whether a write to an IPC sysctl stays in its IPC
 * namespace. Two namespaces take part: A, made by the probe, and B, made from
 * A (for fd-bound, A itself after unshare). A reads each value and picks a
 * distinct one; one side writes it and reads it back (the positive control);
 * the other looks. Every write happens in a namespace the probe made
 * (lib/sysctl.c refuses any other); the command line, the cells and the
 * host's net (restored and reported, exit 3, should a write leak):
 * lib/sysctl.h.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"
#include "lib/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: probe-sysctl-writes [-t SECONDS] SCENARIO [SYSCTL...]\n"
	"Measures what IPC namespaces made by this probe do with a write to each IPC\n"
	"sysctl (default: all 16), and prints a line a sysctl (the mechanism), in\n"
	"the order below:\n"
	"  SCENARIO  child-write-hidden   B (a child of A) writes; A: isolated | shared\n"
	"            parent-write-hidden  A writes after B exists; B: isolated | shared\n"
	"            fd-bound             an fd opened in A, read after unshare: old-ns | new-ns\n"
	"            rootless-write       the owning user namespace's root writes:\n"
	"                                 allowed | denied (root first becomes uid 65534)\n";

#define TEXT SYSCTL_TEXT_MAX

/* ---- child-write-hidden, parent-write-hidden: A and B take turns ------- */

/* The side that did not write reads again: its old value, or the writer's? */
static void look_again(size_t k, const struct sysctl_value *old, const char *reader,
		       const char *writer)
{
	char o[TEXT], d[TEXT], now[TEXT];
	struct sysctl_value v;

	if (!sysctl_read_or_set(k, &v, reader))
		return;
	sysctl_text(k, old, o);
	sysctl_text(k, &sysctl_wrote[k], d);
	if (sysctl_same(old, &sysctl_wrote[k]))
		cell_set(k, "", "cannot tell: %s already held %s, the value %s wrote", reader, o,
			 writer);
	else if (sysctl_same(&v, old))
		cell_set(k, "isolated", "%s wrote %s and read it back; %s still read %s", writer, d,
			 reader, o);
	else if (sysctl_same(&v, &sysctl_wrote[k]))
		cell_set(k, "shared", "%s wrote %s; %s, which held %s, read it too", writer, d,
			 reader, o);
	else
		cell_set(k, "", "%s read %s: neither its own %s nor %s's %s", reader,
			 sysctl_text(k, &v, now), o, writer, d);
}

/* B reads first and tells A; A writes (parent-write-hidden) or not, and tells
 * B; B then writes (child-write-hidden) or reads again. */
static int one_writes_in_b(struct peer *a, void *arg)
{
	static struct sysctl_value mine[SYSCTL_COUNT]; /* B's value before anyone wrote */
	bool child_writes = *(bool *)arg;
	long turn;

	for (size_t k = 0; k < sysctl_ncells; k++)
		if (sysctl_open(k))
			sysctl_read_or_set(k, &mine[k], "B");
	if (peer_tell(a, 1) || peer_hear(a, &turn))
		return PROBE_ERROR; /* A gave up: it answers the cells */
	for (size_t k = 0; k < sysctl_ncells; k++) {
		if (sysctl_open(k) && child_writes)
			sysctl_write_checked(k, "B (a child of A)");
		else if (sysctl_open(k))
			look_again(k, &mine[k], "B (made before A wrote)", "A");
	}
	return 0;
}

static int one_writes_in_a(void *arg)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE };
	bool child_writes = *(bool *)arg;
	struct peer b;
	long turn;
	int rc;

	sysctl_read_and_pick("A");
	if ((rc = peer_start_ns(&b, &spec, one_writes_in_b, &child_writes))) {
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "making B: %s",
			   probe_last_message());
		return 0;
	}
	if (peer_hear(&b, &turn)) {
		cells_rest("", "B did not read before the write: %s", probe_last_message());
	} else {
		for (size_t k = 0; k < sysctl_ncells; k++)
			if (sysctl_open(k) && !child_writes)
				sysctl_write_checked(k, "A");
		if (peer_tell(&b, 1))
			cells_rest("", "telling B that A has had its turn: %s",
				   probe_errno_name(errno));
	}
	if ((rc = peer_end(&b)))
		cells_rest("", "B ended with exit %d before measuring", rc);
	for (size_t k = 0; k < sysctl_ncells; k++)
		if (sysctl_open(k) && child_writes)
			look_again(k, &sysctl_before[k], "A", "B (a child of A)");
	return 0;
}

/* ---- fd-bound: an fd opened in A, read after unshare ------------------- */

static void judge_fd(size_t k, int fd)
{
	char d[TEXT], c[TEXT], got[TEXT];
	struct sysctl_value fresh, v;
	int err;

	sysctl_text(k, &sysctl_wrote[k], d);
	/* the control: a fresh open reaches the new namespace, not A */
	if (!sysctl_read_or_set(k, &fresh, "a fresh open after unshare"))
		return;
	sysctl_text(k, &fresh, c);
	if (sysctl_same(&fresh, &sysctl_wrote[k]))
		cell_set(k, "", "positive control failed: a fresh open after unshare read A's "
			 "value %s too", d);
	else if ((err = sysctl_read(sysctl_cell[k], fd, &v)))
		cell_set(k, "", "reading the fd opened in A: %s", probe_errno_name(err));
	else if (sysctl_same(&v, &sysctl_wrote[k]))
		cell_set(k, "old-ns", "the fd opened in A (holding %s) read %s after unshare "
			 "(A's first namespace kept by an nsfs fd); a fresh open read the new "
			 "namespace's %s", d, d, c);
	else if (sysctl_same(&v, &fresh))
		cell_set(k, "new-ns", "the fd opened in A (holding %s) read the new namespace's "
			 "%s after unshare, as a fresh open did", d, c);
	else
		cell_set(k, "", "the fd opened in A read %s: neither A's %s nor the new "
			 "namespace's %s", sysctl_text(k, &v, got), d, c);
}

/* A's first namespace is kept by an nsfs fd while its files are read: with
 * no process left in it, it would be freed (asynchronously), and an fd on a
 * freed namespace's table reads ENOENT, which says nothing about which
 * namespace the fd is bound to. */
static int fd_bound_in_a(void *arg)
{
	char path[256];
	int fds[SYSCTL_COUNT], held = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	unsigned long a = ns_inode(0, "ipc"), now;

	(void)arg;
	if (held < 0)
		cells_rest("", "holding A's namespace: open /proc/self/ns/ipc: %s",
			   probe_errno_name(errno));
	sysctl_read_and_pick("A");
	for (size_t k = 0; k < sysctl_ncells; k++) {
		fds[k] = -1;
		if (!sysctl_open(k) || !sysctl_write_checked(k, "A"))
			continue;
		sysctl_path(sysctl_cell[k], path, sizeof(path));
		if ((fds[k] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			cell_set(k, "", "open(O_RDONLY) in A: %s", probe_errno_name(errno));
	}
	if (unshare(CLONE_NEWIPC))
		cells_rest("", "unshare(CLONE_NEWIPC) in A: %s", probe_errno_name(errno));
	else if (!(now = ns_inode(0, "ipc")) || now == a)
		cells_rest("", "unshare(CLONE_NEWIPC) worked, but the ipc inode is still %lu", a);
	for (size_t k = 0; k < sysctl_ncells; k++) {
		if (fds[k] >= 0 && sysctl_open(k))
			judge_fd(k, fds[k]);
		if (fds[k] >= 0)
			close(fds[k]);
	}
	if (held >= 0)
		close(held);
	return 0;
}

/* ---- rootless-write: the root of the user namespace owning the IPC one - */

static int rootless_in_ns(void *arg)
{
	char d[TEXT], got[TEXT];
	unsigned outside = *(unsigned *)arg;
	struct sysctl_value back;
	const char *call;
	int err;

	sysctl_read_and_pick("the user namespace's root");
	for (size_t k = 0; k < sysctl_ncells; k++) {
		if (!sysctl_open(k))
			continue;
		sysctl_text(k, &sysctl_wrote[k], d);
		err = sysctl_write(sysctl_cell[k], &sysctl_wrote[k], &call);
		if (err == EACCES || err == EPERM)
			cell_set(k, "denied", "%s %s as root of the owning user namespace (uid %u "
				 "outside): %s", call, d, outside, probe_errno_name(err));
		else if (err)
			cell_set(k, "", "%s %s: %s", call, d, probe_errno_name(err));
		else if ((err = sysctl_read(sysctl_cell[k], -1, &back)) ||
			 !sysctl_same(&back, &sysctl_wrote[k]))
			cell_set(k, "", "the write of %s worked, but reading back gave %s", d,
				 err ? probe_errno_name(err) : sysctl_text(k, &back, got));
		else
			cell_set(k, "allowed", "root of the owning user namespace (uid %u outside) "
				 "wrote %s and read it back", outside, d);
	}
	return 0;
}

/* Real root making a user namespace maps 0 to 0, and that root may write
 * the host's values: root measures as nobody (harness_userns_start). */
static int rootless_write(void)
{
	unsigned outside = harness_rootless() ? (unsigned)geteuid() : PROBE_NOBODY;

	harness_userns_run(rootless_in_ns, &outside, 1, HARNESS_ALL_CELLS);
	return 0;
}

/* ---- the run ----------------------------------------------------------- */

/* FN runs as A, in a new IPC namespace (and user namespace, for a user). */
static int in_a(ns_child_fn fn, bool child_writes)
{
	harness_run(NS_ENTRY_CLONE, harness_rootless() ? NS_WANT_USER : 0, fn, &child_writes, 3,
		    "A");
	return 0;
}

static int child_write(void)
{
	return in_a(one_writes_in_a, true);
}

static int parent_write(void)
{
	return in_a(one_writes_in_a, false);
}

static int fd_bound(void)
{
	return in_a(fd_bound_in_a, false);
}

int main(int argc, char **argv)
{
	static const struct sysctl_scenario scenarios[] = {
		{ "child-write-hidden", "clone", false, child_write },
		{ "parent-write-hidden", "clone", false, parent_write },
		{ "fd-bound", "unshare", false, fd_bound },
		{ "rootless-write", "clone", true, rootless_write },
		{ NULL, NULL, false, NULL },
	};

	return sysctl_probe_main(argc, argv, usage_text, scenarios);
}
