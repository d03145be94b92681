/* SPDX-License-Identifier: MIT */
#include "harness.h"
#include "cells.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct harness *running; /* for harness_usage_error */
static const char *cells_ns = "ipc";
static unsigned long host_ipc;
static unsigned long host_user_ns; /* inode of the host's user namespace */
static long host_limit;            /* the host's max_ipc_namespaces */
static bool has_limit_file;

const char *harness_ns(void)
{
	return cells_ns;
}

bool harness_rootless(void)
{
	return cells_ns[3] != '\0';
}

unsigned long harness_host_ipc(void)
{
	return host_ipc;
}

/* ---- the command line and the cells -------------------------------------- */

static const char usage_tail[] =
	"A line a cell, tab-separated:\n"
	"  OBSERVE mechanism scenario entry namespaces observed detail\n"
	"  -t  bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error\n";

static int usage(FILE *to)
{
	return fputs(running->usage, to) < 0 || fputs(usage_tail, to) < 0 ? PROBE_ERROR
									  : PROBE_REACHED;
}

int harness_usage_error(const char *what, const char *arg)
{
	if (what)
		fprintf(stderr, "%s: %s%.64s\n", probe_prog, what, arg ? arg : "");
	usage(stderr);
	return PROBE_USAGE;
}

/* Every cell of CELLS ("MECH SCEN ENTRY [NS];..."), in order. */
static int declare(const char *cells)
{
	char one[128], mech[32], scen[48], entry[16], ns[24];
	size_t len;

	for (const char *c = cells; *c; c += len + (c[len] == ';')) {
		len = strcspn(c, ";");
		snprintf(one, sizeof(one), "%.*s", (int)len, c);
		ns[0] = '\0';
		if (len >= sizeof(one) || sscanf(one, "%31s %47s %15s %23s", mech, scen, entry, ns) < 3)
			return probe_fail(PROBE_ERROR, "the probe's table of cells: '%s'", one);
		cell_declare(mech, scen, entry, ns[0] ? ns : cells_ns);
	}
	return PROBE_REACHED;
}

static int in_sandbox(void *arg)
{
	signal(SIGPIPE, SIG_IGN); /* a child that died early is an observation */
	return ((const struct harness *)arg)->measure();
}

int harness_main(const struct harness *h, int argc, char **argv)
{
	int i = 1, rc;

	running = h;
	if (probe_init(argv[0]))
		return harness_usage_error(NULL, NULL);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout);
	if (probe_take_timeout(argc, argv, &i))
		return harness_usage_error(NULL, NULL);
	if (!h->args && i < argc)
		return harness_usage_error(argv[i][0] == '-' ? "unknown option "
					   : "no arguments expected but -t SECONDS, got ", argv[i]);
	if (getuid()) /* the rootless way in: a new user namespace owns it */
		cells_ns = "ipc+user";
	host_ipc = ns_inode(0, "ipc");
	harness_net_init();
	if ((rc = cells_init()) || (h->cells && (rc = declare(h->cells))) ||
	    (h->args && (rc = h->args(argc - i, argv + i))) || (h->prepare && (rc = h->prepare())))
		return rc;
	if (h->on_host) {
		rc = h->measure();
	} else {
		probe_quiet = true; /* from here on, a reason is a cell's detail */
		/* every step inside is bounded; three bounds bound their sum */
		rc = harness_run(h->entry, getuid() ? NS_WANT_USER : 0, in_sandbox, (void *)h, 3,
				 "the probe's IPC namespace");
		if (rc) /* the cells say so; the exit too */
			fprintf(stderr, "%s: %s\n", probe_prog, probe_last_message());
		rc = rc ? PROBE_ERROR : PROBE_REACHED;
	}
	if (h->finish && (i = h->finish()) && !rc) /* always: it may be a net */
		rc = i;
	if (cells_print())
		rc = PROBE_ERROR;
	return harness_net_check() ? PROBE_ERROR : rc;
}

/* ---- a step in new namespaces -------------------------------------------- */

int harness_start(enum ns_entry entry, unsigned want, ns_child_fn fn, void *arg, pid_t *pid)
{
	struct ns_spec spec = { .entry = entry, .want = want };
	int rc = ns_start(&spec, fn, arg, pid);

	if (rc)
		cells_note(rc, 0, "%s", probe_last_message()[0] ? probe_last_message()
			   : "making the namespaces failed");
	return rc;
}

int harness_run(enum ns_entry entry, unsigned want, ns_child_fn fn, void *arg, unsigned levels,
		const char *who)
{
	pid_t pid;
	int rc = harness_start(entry, want, fn, arg, &pid);

	if (rc) { /* ns_start's own words, which name what would enable it */
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "cannot make %s here: %s", who,
			   cells_why());
		return PROBE_REACHED;
	}
	if ((rc = ns_wait(pid, levels * probe_timeout(), who)))
		cells_rest("", "%s stopped early (exit %d): %s", who, rc, probe_last_message());
	return rc;
}

long errno_of(int rc)
{
	return rc < 0 ? errno : 0;
}

const char *errno_word(long err)
{
	return err ? probe_errno_name((int)err) : "ok";
}

void cell_lacks(size_t i, long err, const char *call, const char *lacks)
{
	if (err == ENOSYS)
		cell_set(i, "skip", "%s: ENOSYS: %s", call, lacks);
	else
		cell_set(i, "", "%s: %s", call, errno_word(err));
}

int hold_or_answer(unsigned want, int *ipc, int *user, const size_t *cells, size_t n)
{
	int rc = ns_hold(want, ipc, user);

	for (size_t k = 0; rc && k < n; k++)
		cell_set(cells[k], rc == PROBE_UNSUPPORTED ? "skip" : "", "making an IPC namespace%s "
			 "to hold: %s", user ? " in a new user namespace" : "", probe_last_message());
	return rc;
}

/* ---- a user namespace of the probe's own --------------------------------- */

static int read_long(const char *path, long *out)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? errno : 0;
	close(fd);
	if (n <= 0)
		return n < 0 ? err : EINVAL;
	buf[n] = '\0';
	*out = strtol(buf, NULL, 10);
	return 0;
}

static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0, len;

	if (fd < 0)
		return errno;
	len = snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, (size_t)len) != len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

void harness_net_init(void)
{
	/* 0 on a kernel without user namespaces: no user namespace will be
	 * made, and harness_userns_refusal names CONFIG_USER_NS */
	host_user_ns = ns_inode(0, "user");
	has_limit_file = !read_long(HARNESS_LIMIT_FILE, &host_limit);
}

int harness_net_check(void)
{
	long now = 0;

	if (!has_limit_file || (!read_long(HARNESS_LIMIT_FILE, &now) && now == host_limit))
		return PROBE_REACHED;
	return probe_fail(PROBE_ERROR, "SAFETY: the host's %s changed during this run (was %ld, "
			  "now %ld)%s", HARNESS_LIMIT_FILE, host_limit, now, geteuid() == 0 &&
			  !write_long(HARNESS_LIMIT_FILE, host_limit) ? "; restored it" : "");
}

int harness_set_limit(long limit)
{
	unsigned long user = ns_inode(0, "user");
	long back = -1;
	int err;

	if (!user || user == host_user_ns)
		return probe_fail(PROBE_ERROR, "refusing to write %s: not in a user namespace "
				  "of this probe's (user inode %lu, the host's %lu)",
				  HARNESS_LIMIT_FILE, user, host_user_ns);
	if ((err = write_long(HARNESS_LIMIT_FILE, limit)) ||
	    (err = read_long(HARNESS_LIMIT_FILE, &back)))
		return probe_fail_errno(err == ENOENT ? PROBE_UNSUPPORTED : PROBE_ERROR, err,
					"setting %s to %ld in the probe's user namespace",
					HARNESS_LIMIT_FILE, limit);
	if (back != limit)
		return probe_fail(PROBE_ERROR, "%s reads %ld after writing %ld",
				  HARNESS_LIMIT_FILE, back, limit);
	return PROBE_REACHED;
}

pid_t harness_userns_start(ns_child_fn fn, void *arg, unsigned bound, int close_fd)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = NS_WANT_USER };
	pid_t pid, sandbox;
	int rc;

	fflush(NULL);
	if ((pid = fork()) != 0) {
		if (pid < 0)
			probe_fail_errno(PROBE_ERROR, errno, "fork");
		return pid;
	}
	if (probe_drop_root())
		_exit(probe_fail_errno(PROBE_ERROR, errno, "becoming uid %u", PROBE_NOBODY));
	rc = ns_start(&spec, fn, arg, &sandbox);
	if (close_fd >= 0)
		close(close_fd);
	_exit(rc ? rc : ns_wait(sandbox, bound, "the probe's user namespace"));
}

int harness_userns_run(ns_child_fn fn, void *arg, unsigned levels, size_t cell)
{
	unsigned bound = levels * probe_timeout();
	const char *refusal = NULL;
	pid_t pid;
	int rc;

	cells_note(0, 0, "the measurement stopped early");
	pid = harness_userns_start(fn, arg, bound, -1);
	rc = pid < 0 ? PROBE_ERROR : ns_wait(pid, bound + probe_timeout(), "the measurement");
	if (rc == PROBE_UNSUPPORTED)
		refusal = harness_userns_refusal();
	for (size_t i = 0; i < cells_count(); i++) {
		if (cell != HARNESS_ALL_CELLS && i != cell)
			continue;
		if (refusal)
			cell_set(i, "skip", "%s", refusal);
		cell_set(i, "", "%s: exit %d (see stderr)", cells_why(), rc);
	}
	return rc;
}

static int nothing(struct peer *self, void *arg)
{
	(void)self;
	(void)arg;
	return PROBE_REACHED;
}

const char *harness_userns_refusal(void)
{
	static char why[320];
	const int flags = CLONE_NEWUSER | CLONE_NEWIPC;
	const char *refusal;
	struct peer k;
	pid_t pid;
	int err;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		probe_quiet = true;
		if (probe_drop_root())
			_exit(errno);
		if (peer_clone(&k, flags, nothing, NULL))
			_exit(errno);
		peer_end(&k);
		_exit(0);
	}
	err = pid < 0 ? errno : ns_wait(pid, probe_timeout(), "the child");
	refusal = err ? ns_refusal(flags, err) : NULL;
	snprintf(why, sizeof(why), "cannot make a user namespace for uid %u here: "
		 "clone(CLONE_NEWUSER|CLONE_NEWIPC): %s%s%s", geteuid() ? (unsigned)geteuid()
		 : PROBE_NOBODY, err ? probe_errno_name(err) : "works now", refusal ? ": " : "",
		 refusal ? refusal : "");
	return why;
}

struct kid_args {
	harness_kid_fn fn;
	void *arg;
};

static int kid_main(struct peer *self, void *p)
{
	const struct kid_args *a = p;

	if (peer_tell(self, a->fn(a->arg)))
		return PROBE_ERROR;
	/* EOF, when the parent lets go, is the release */
	return probe_checkpoint_read(self->from, '-', probe_timeout(), "the parent's release") == 1
		       ? PROBE_REACHED : PROBE_TIMEOUT;
}

int harness_kid(struct peer *k, harness_kid_fn fn, void *arg)
{
	struct kid_args a = { fn, arg };

	return peer_clone(k, CLONE_NEWIPC, kid_main, &a) ? errno : 0;
}

int harness_kid_result(struct peer *k, unsigned long parent_ipc)
{
	unsigned long ipc;
	long result;
	int rc;

	if (peer_hear(k, &result)) {
		rc = peer_end(k);
		probe_fail(PROBE_ERROR, "the process in a new IPC namespace stopped early "
			   "(exit %d)", rc);
		return -1;
	}
	ipc = ns_inode(k->pid, "ipc");
	if (!ipc || ipc == parent_ipc) {
		peer_end(k);
		probe_fail(PROBE_ERROR, "clone(CLONE_NEWIPC) said yes but the IPC namespace "
			   "is not new (inode %lu)", ipc);
		return -1;
	}
	return (int)result;
}

static int no_objects(void *arg)
{
	(void)arg;
	return PROBE_REACHED;
}

int harness_hold_one(int *fd)
{
	struct peer k;
	int err = harness_kid(&k, no_objects, NULL);

	if (err)
		return err;
	if (harness_kid_result(&k, ns_inode(0, "ipc")) < 0)
		return -1;
	*fd = ns_open(k.pid, "ipc");
	err = *fd < 0 ? errno : 0;
	if (err)
		probe_fail_errno(PROBE_ERROR, err, "/proc/%d/ns/ipc", (int)k.pid);
	if (peer_end(&k) && !err) {
		close(*fd);
		return probe_fail(-1, "the process in a new IPC namespace failed");
	}
	return err ? -1 : 0;
}
