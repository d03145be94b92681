/* SPDX-License-Identifier: MIT
 *
 * ipcns: run a command in a new IPC namespace, entered through a chosen
 * kernel entry point, or in the namespaces of a running process; or hold a
 * new namespace open and print the pid that holds it.
 */
#include "lib/ns.h"
#include "lib/probe.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIFETIME_DEFAULT 60

static const char usage_text[] =
	"usage: ipcns [-t SECONDS] [OPTIONS] -- COMMAND [ARG...]\n"
	"       ipcns [-t SECONDS] [OPTIONS] --hold [--lifetime SECONDS]\n"
	"Runs COMMAND in a new IPC namespace (or, with --join, in another process's\n"
	"namespaces) and exits with its status. --hold makes the namespace, prints the\n"
	"pid of a process that keeps it alive, and returns; that process exits when\n"
	"killed or after --lifetime seconds (default 60).\n"
	"%s"
	"  -t          bound on the setup and on COMMAND, 1..3600 s (default 10,\n"
	"              or IPCNS_TIMEOUT); COMMAND is killed when it runs over\n"
	"  --reap      adopt every orphaned descendant (holders, servers) and end\n"
	"              them all when COMMAND ends, so nothing outlives a run; a\n"
	"              SIGTERM, SIGINT or SIGHUP, or the death of our parent, is\n"
	"              passed to COMMAND's process group as SIGTERM first\n"
	"exit: COMMAND's status, or 2 usage, 3 error, 4 unsupported, 5 timeout\n";

static int usage(FILE *out, int code)
{
	fprintf(out, usage_text, ns_options_usage);
	return code;
}

static pid_t launcher, command;
static bool reaping;

static int run_command(void *arg)
{
	char **argv = arg;

	/* A launcher that dies takes its command along (held namespaces are
	 * the exception: they are meant to outlive it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != launcher)
		return probe_fail(PROBE_ERROR, "the launcher is gone");
	/* Under --reap the command leads a process group of its own, so that a
	 * request to stop reaches all of it (scenarios clean up on SIGTERM). */
	if (reaping && setpgid(0, 0))
		return probe_fail_errno(PROBE_ERROR, errno, "setpgid");
	execvp(argv[0], argv);
	return probe_fail_errno(PROBE_ERROR, errno, "cannot run '%s'", argv[0]);
}

static _Noreturn void hold_forever(unsigned lifetime)
{
	ns_detach(-1);
	signal(SIGALRM, SIG_DFL); /* the bound: die, and the namespace with us */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	alarm(lifetime);
	for (;;)
		pause();
}

static int hold(void *arg)
{
	hold_forever(*(unsigned *)arg);
}

/* As subreaper, a request to stop is passed on to the command's process
 * group, which then ends as it sees fit; what it leaves is ended below. */
static void forward(int sig)
{
	if (command > 0)
		kill(-command, sig);
}

/* The pids whose parent is us: the orphans we adopted as subreaper. */
static int kill_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[64], buf[512], *p;
		pid_t pid = (pid_t)atoi(e->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* after "(comm)": " STATE PPID" */
		if (p && atoi(p + 4) == (int)getpid() && !kill(pid, SIGKILL))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt waitpid */
}

/* Kill what we adopted and reap it, until no child is left; a round waits a
 * second at most, in case a new orphan was adopted meanwhile. */
static void end_descendants(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	for (unsigned round = 0; round < 2 * probe_timeout(); round++) {
		kill_children();
		alarm(1);
		while (waitpid(-1, NULL, 0) > 0)
			;
		alarm(0);
		if (errno == ECHILD)
			return;
	}
	probe_fail(PROBE_ERROR, "--reap: descendants still alive after %u s",
		   2 * probe_timeout());
}

int main(int argc, char **argv)
{
	/* Commands only observe: a kernel that fakes a new IPC namespace must
	 * show up as shared cells, not as a launcher error. */
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .observe_same_ipc = true };
	unsigned lifetime = LIFETIME_DEFAULT, t;
	bool holding = false, lifetime_set = false, entry_set = false, reap = false;
	int i = 1, rc;
	pid_t pid;

	rc = probe_init(argv[0]);
	if (rc)
		return usage(stderr, rc);
	while (i < argc && strcmp(argv[i], "--")) {
		const char *opt = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help"))
			return usage(stdout, PROBE_REACHED);
		if (!strcmp(opt, "--entry"))
			entry_set = true;
		rc = ns_parse_option(argc, argv, &i, &spec);
		if (rc == 1)
			continue;
		if (rc)
			return usage(stderr, rc);
		if (!strcmp(opt, "--hold") || !strcmp(opt, "--reap")) {
			*(opt[2] == 'h' ? &holding : &reap) = true;
			i++;
		} else if (!strcmp(opt, "-t") || !strcmp(opt, "--lifetime")) {
			if (!probe_parse_uint(arg, 1, PROBE_TIMEOUT_MAX, &t)) {
				probe_fail(PROBE_USAGE, "%s wants seconds in 1..%d, got '%.32s'",
					   opt, PROBE_TIMEOUT_MAX, arg ? arg : "");
				return usage(stderr, PROBE_USAGE);
			}
			if (opt[1] == 't') {
				probe_set_timeout(t);
			} else {
				lifetime = t;
				lifetime_set = true;
			}
			i += 2;
		} else {
			probe_fail(PROBE_USAGE, "unknown option '%.64s'", opt);
			return usage(stderr, PROBE_USAGE);
		}
	}
	if (spec.target && !entry_set)
		spec.entry = NS_ENTRY_SETNS;
	rc = ns_check_spec(&spec);
	if (!rc && holding && i < argc)
		rc = probe_fail(PROBE_USAGE, "--hold takes no command");
	if (!rc && !holding && i + 1 >= argc)
		rc = probe_fail(PROBE_USAGE, "missing '-- COMMAND'");
	if (!rc && lifetime_set && !holding)
		rc = probe_fail(PROBE_USAGE, "--lifetime goes with --hold");
	if (!rc && holding && (spec.target || spec.entry == NS_ENTRY_FORK))
		rc = probe_fail(PROBE_USAGE, "--hold makes a new namespace; "
				"not with --join or --entry fork");
	if (!rc && reap && holding)
		rc = probe_fail(PROBE_USAGE, "--reap runs a command; not with --hold");
	if (rc)
		return usage(stderr, rc);
	if (reap && prctl(PR_SET_CHILD_SUBREAPER, 1))
		return probe_fail_errno(PROBE_ERROR, errno, "PR_SET_CHILD_SUBREAPER");
	if (reap) {
		struct sigaction sa = { .sa_handler = forward };
		pid_t parent = getppid();

		/* Even a SIGKILLed caller (run-tests.sh) stops the suite in order:
		 * its death reaches us as SIGTERM, which we pass on. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			return probe_fail(PROBE_ERROR, "--reap: the caller is gone");
		reaping = true;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	launcher = getpid();

	if (holding) {
		rc = ns_start(&spec, hold, &lifetime, &pid);
		if (rc)
			return rc;
		printf("%d\n", (int)pid);
		return fflush(stdout) ? PROBE_ERROR : PROBE_REACHED;
	}
	rc = ns_start(&spec, run_command, argv + i + 1, &pid);
	if (!rc) {
		command = pid;
		rc = ns_wait(pid, probe_timeout(), argv[i + 1]);
	}
	if (reap)
		end_descendants();
	return rc;
}
