/* SPDX-License-Identifier: MIT */
#include "peer.h"
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int peer_tell(struct peer *p, long v)
{
	ssize_t n;

	do /* one write of 8 bytes: atomic */
		n = write(p->to, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(v) ? 0 : -1;
}

int peer_hear(struct peer *p, long *v)
{
	ssize_t n;

	if (probe_wait_fd(p->from, POLLIN, probe_timeout(), "the other side"))
		return -1;
	do
		n = read(p->from, v, sizeof(*v));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*v))
		return 0;
	if (n < 0)
		probe_fail_errno(PROBE_ERROR, errno, "the other side stopped early");
	else
		probe_fail(PROBE_ERROR, "the other side stopped early (EOF)");
	return -1;
}

int peer_start(struct peer *p, peer_fn fn, void *arg)
{
	int down[2], up[2];

	if (pipe2(down, O_CLOEXEC))
		return probe_fail_errno(-1, errno, "pipe"), -1;
	if (pipe2(up, O_CLOEXEC)) {
		probe_fail_errno(PROBE_ERROR, errno, "pipe");
		close(down[0]);
		close(down[1]);
		return -1;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	p->pid = fork();
	if (p->pid == 0) {
		struct peer self = { 0, up[1], down[0] };

		close(up[0]);
		close(down[1]);
		_exit(fn(&self, arg));
	}
	close(up[1]);
	close(down[0]);
	p->to = down[1];
	p->from = up[0];
	if (p->pid > 0)
		return 0;
	probe_fail_errno(PROBE_ERROR, errno, "fork");
	close(p->to);
	close(p->from);
	return -1;
}

int peer_end(struct peer *p)
{
	close(p->to);
	close(p->from);
	return ns_wait(p->pid, probe_timeout(), "the child");
}

int peer_run(peer_fn child, peer_fn steps, void *arg)
{
	char why[256] = "";
	struct peer p;
	int rc;

	if (peer_start(&p, child, arg))
		return -1;
	rc = steps(&p, arg);
	if (rc) /* the first reason: reaping may say another */
		snprintf(why, sizeof(why), "%s", probe_last_message());
	if (peer_end(&p) && rc)
		probe_fail(PROBE_ERROR, "%s", why);
	return rc;
}
