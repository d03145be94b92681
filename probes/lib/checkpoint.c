/* SPDX-License-Identifier: MIT
 *
 * Pipes between two processes and the bounded waits on them: a checkpoint
 * is one byte, or '!' and the reason the other side gave up.
 */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int probe_pipe_pair(int a[2], int b[2])
{
	int err;

	if (!pipe2(a, O_CLOEXEC)) {
		if (!pipe2(b, O_CLOEXEC))
			return PROBE_REACHED;
		err = errno;
		close(a[0]);
		close(a[1]);
		errno = err;
	}
	err = errno;
	probe_fail_errno(PROBE_ERROR, err, "pipe");
	errno = err; /* for callers that tell errnos apart */
	return PROBE_ERROR;
}

static long ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

int probe_wait_fd(int fd, short events, unsigned seconds, const char *what)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		long left = ms_left(&end);
		int n = poll(&p, 1, left < 0 ? 0 : (int)left);

		if (n > 0)
			return 0;
		if (n == 0)
			return probe_fail(PROBE_TIMEOUT, "timed out after %u s waiting for %s",
					  seconds, what);
		if (errno != EINTR)
			return probe_fail_errno(PROBE_ERROR, errno, "poll (%s)", what);
	}
}

int probe_checkpoint_read(int fd, char expect, unsigned seconds, const char *what)
{
	char c;
	ssize_t n;
	int rc = probe_wait_fd(fd, POLLIN, seconds, what);

	if (rc)
		return rc;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "read (%s)", what);
	if (c == '!') { /* the other side gave up; what follows is why */
		char why[PROBE_MESSAGE_MAX];

		do
			n = read(fd, why, sizeof(why) - 1);
		while (n < 0 && errno == EINTR);
		why[n > 0 ? n : 0] = '\0';
		probe_keep_message(why);
		return 1;
	}
	if (c != expect)
		return probe_fail(PROBE_ERROR, "checkpoint %s: got '%c', expected '%c'",
				  what, c, expect);
	return 0;
}

void probe_checkpoint_give_up(int fd)
{
	char buf[1 + PROBE_MESSAGE_MAX];
	int n = snprintf(buf, sizeof(buf), "!%s", probe_last_message());
	ssize_t w;

	/* One write below PIPE_BUF: the reader gets all of it or nothing. */
	do
		w = write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	while (w < 0 && errno == EINTR);
}

int probe_checkpoint_write(int fd, char c)
{
	ssize_t n;

	do
		n = write(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}
