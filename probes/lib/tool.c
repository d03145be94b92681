/* SPDX-License-Identifier: MIT */
#include "tool.h"
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The first line of what FD holds, in BUF. */
static void first_line(int fd, char *buf, size_t len)
{
	ssize_t got = pread(fd, buf, len - 1, 0);

	buf[got > 0 ? got : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

void tool_run(const char *const argv[], int flags, struct tool_result *r)
{
	int out = memfd_create("out", MFD_CLOEXEC), err = memfd_create("err", MFD_CLOEXEC);
	size_t n = strlen(argv[0]);
	pid_t pid;

	r->rc = PROBE_ERROR, r->out[0] = r->why[0] = '\0';
	fflush(NULL);
	if (out < 0 || err < 0 || (pid = fork()) < 0) {
		snprintf(r->why, sizeof(r->why), "cannot run %s: %s", argv[0], probe_errno_name(errno));
	} else if (pid == 0) {
		dup2(out, STDOUT_FILENO);
		dup2(err, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	} else {
		r->rc = ns_wait(pid, probe_timeout(), argv[0]);
		first_line(out, r->out, sizeof(r->out));
		first_line(err, r->why, sizeof(r->why));
		if (!r->why[0])
			snprintf(r->why, sizeof(r->why), "%s", r->rc ? probe_last_message() : "");
		if (r->rc == 127) {
			r->rc = PROBE_UNSUPPORTED;
			snprintf(r->why, sizeof(r->why), "util-linux %s is not installed", argv[0]);
		} else if (r->rc && !strncmp(r->why, argv[0], n) && r->why[n] == ':') {
			int e = strstr(r->why, "Invalid argument") ? EINVAL
				: strstr(r->why, "not permitted") ? EPERM
				: strstr(r->why, "No space") ? ENOSPC : 0;
			const char *why = e ? ns_refusal(flags, e) : NULL;
			size_t len = strlen(r->why);

			r->rc = why ? PROBE_UNSUPPORTED : PROBE_ERROR;
			if (why)
				snprintf(r->why + len, sizeof(r->why) - len, ": %s", why);
		}
	}
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
}
