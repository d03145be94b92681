/* SPDX-License-Identifier: MIT */
#include "harness.h"
#include "cells.h"
#include "probe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *cells_ns = "ipc";
static unsigned long host_ipc;

const char *harness_ns(void)
{
	return cells_ns;
}

unsigned long harness_host_ipc(void)
{
	return host_ipc;
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

static int in_sandbox(void *arg)
{
	signal(SIGPIPE, SIG_IGN); /* a child that died early is an observation */
	((const struct harness *)arg)->measure();
	return PROBE_REACHED;
}

static const char usage_tail[] =
	"A line a cell, tab-separated:\n"
	"  OBSERVE mechanism scenario entry namespaces observed detail\n"
	"  -t  bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error\n";

static int usage(const struct harness *h, FILE *to)
{
	return fputs(h->usage, to) < 0 || fputs(usage_tail, to) < 0 ? PROBE_ERROR : PROBE_REACHED;
}

/* WHAT (NULL: already said) and the usage, on stderr. */
static int usage_error(const struct harness *h, const char *what, const char *arg)
{
	if (what)
		fprintf(stderr, "%s: %s%.32s\n", probe_prog, what, arg);
	usage(h, stderr);
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

int harness_main(const struct harness *h, int argc, char **argv)
{
	struct ns_spec sandbox = { .entry = h->entry };
	int i = 1, rc;
	pid_t pid;

	if (probe_init(argv[0]))
		return usage_error(h, NULL, NULL);
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(h, stdout);
	if (probe_take_timeout(argc, argv, &i))
		return usage_error(h, NULL, NULL);
	if (i < argc)
		return usage_error(h, argv[i][0] == '-' ? "unknown option " : "no arguments, got ",
				   argv[i]);
	if (getuid()) { /* the rootless way in: a new user namespace owns it */
		sandbox.want = NS_WANT_USER;
		cells_ns = "ipc+user";
	}
	host_ipc = ns_inode(0, "ipc");
	if ((rc = cells_init()))
		return rc;
	if ((rc = declare(h->cells)))
		return rc;
	if (h->prepare && (rc = h->prepare()))
		return rc;
	probe_quiet = true; /* from here on, a reason is a cell's detail */
	rc = ns_start(&sandbox, in_sandbox, (void *)h, &pid);
	if (rc) {
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "cannot make the probe's IPC "
			   "namespace here: %s", probe_last_message());
		rc = PROBE_REACHED; /* every cell says what happened */
	} else { /* every step inside is bounded; this bounds their sum */
		rc = ns_wait(pid, 3 * probe_timeout(), "the sandbox");
		if (rc)
			cells_rest("", "the sandbox stopped early (exit %d): %s", rc,
				   probe_last_message());
	}
	if (h->finish)
		h->finish();
	if (rc)
		fprintf(stderr, "%s: %s\n", probe_prog, probe_last_message());
	return cells_print() || rc ? PROBE_ERROR : PROBE_REACHED;
}
