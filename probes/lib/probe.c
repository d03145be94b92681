/* SPDX-License-Identifier: MIT
 *
 * The probe process: its name, the time bound on its blocking calls, and
 * dropping root before it measures what an unprivileged user may do.
 */
#include "probe.h"

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

const char *probe_prog = "probe";
static unsigned timeout_s = PROBE_TIMEOUT_DEFAULT;
static char deadline_msg[256];
static size_t deadline_len;

int probe_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	const char *env = getenv("IPCNS_TIMEOUT");

	if (argv0)
		probe_prog = slash ? slash + 1 : argv0;
	if (env && !probe_parse_uint(env, 1, PROBE_TIMEOUT_MAX, &timeout_s))
		return probe_fail(PROBE_USAGE,
				  "IPCNS_TIMEOUT='%.32s' is not a number of seconds in 1..%d",
				  env, PROBE_TIMEOUT_MAX);
	return PROBE_REACHED;
}

unsigned probe_timeout(void)
{
	return timeout_s;
}

void probe_set_timeout(unsigned seconds)
{
	timeout_s = seconds;
}

int probe_take_timeout(int argc, char **argv, int *i)
{
	unsigned t;

	if (*i >= argc || strcmp(argv[*i], "-t"))
		return 0;
	if (*i + 1 >= argc || !probe_parse_uint(argv[*i + 1], 1, PROBE_TIMEOUT_MAX, &t))
		return probe_fail(PROBE_USAGE, "-t wants seconds in 1..%d, got '%.32s'",
				  PROBE_TIMEOUT_MAX, *i + 1 < argc ? argv[*i + 1] : "");
	probe_set_timeout(t);
	*i += 2;
	return 0;
}

int probe_usage(const char *usage, const char *what, const char *arg)
{
	if (what && *what) /* "": the complaint was said already */
		fprintf(stderr, "%s: %s%.64s\n", probe_prog, what, arg ? arg : "");
	fputs(usage, what ? stderr : stdout);
	return what ? PROBE_USAGE : PROBE_REACHED;
}

static void on_deadline(int sig)
{
	(void)sig;
	if (write(STDERR_FILENO, deadline_msg, deadline_len) < 0)
		_exit(PROBE_TIMEOUT);
	_exit(PROBE_TIMEOUT);
}

void probe_arm_deadline(const char *what)
{
	struct sigaction sa = { .sa_handler = on_deadline };
	int n;

	n = snprintf(deadline_msg, sizeof(deadline_msg),
		     "%s: timed out after %u s in %s\n", probe_prog, timeout_s, what);
	deadline_len = n < 0 ? 0 : (size_t)n < sizeof(deadline_msg) ? (size_t)n
								  : sizeof(deadline_msg) - 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(timeout_s);
}

int probe_drop_root(void)
{
	if (geteuid() != 0)
		return 0;
	/* groups and gid first: once uid is 65534 we may no longer change them */
	if (setgroups(0, NULL) || setresgid(PROBE_NOBODY, PROBE_NOBODY, PROBE_NOBODY) ||
	    setresuid(PROBE_NOBODY, PROBE_NOBODY, PROBE_NOBODY))
		return -1;
	/* a changed uid clears "dumpable", and with it /proc/PID/uid_map access */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
