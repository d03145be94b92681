/* SPDX-License-Identifier: MIT */
#include "peer.h"
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
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

#define STACK_SIZE (1024 * 1024)

/* What the child runs: its end, and the parent's closed so that EOF means
 * the parent is gone. */
struct start {
	peer_fn fn;
	void *arg;
	struct peer self;
	int theirs[2];
};

static int child(void *arg)
{
	struct start *s = arg;

	close(s->theirs[0]);
	close(s->theirs[1]);
	return s->fn(&s->self, s->arg);
}

/* Starts the child through SPEC (ns_start), or clone(2) with FLAGS, or a
 * plain fork. 0, or an exit code of the probe contract (said why, but for
 * ENOSPC from clone, which errno then holds). */
static int start(struct peer *p, const struct ns_spec *spec, int flags, peer_fn fn, void *arg)
{
	/* One stack for every clone: without CLONE_VM each child has a copy. */
	static char *stack;
	struct start s = { fn, arg, { 0, -1, -1 }, { -1, -1 } };
	int down[2], up[2], rc = 0, err = 0;

	if (flags && !stack) {
		stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			stack = NULL;
			return probe_fail_errno(PROBE_ERROR, errno, "mmap (a stack)");
		}
	}
	if (probe_pipe_pair(down, up))
		return PROBE_ERROR;
	s.self.to = up[1], s.self.from = down[0];
	s.theirs[0] = up[0], s.theirs[1] = down[1];
	fflush(NULL); /* nothing buffered may be written twice */
	if (spec)
		rc = ns_start(spec, child, &s, &p->pid);
	else if (flags)
		p->pid = clone(child, stack + STACK_SIZE, flags | SIGCHLD, &s);
	else if ((p->pid = fork()) == 0)
		_exit(child(&s));
	if (!spec && p->pid < 0) {
		err = errno;
		rc = err == ENOSPC ? PROBE_ERROR
		   : probe_fail_errno(PROBE_ERROR, err, flags ? "clone" : "fork");
	}
	close(up[1]);
	close(down[0]);
	p->to = down[1];
	p->from = up[0];
	if (!rc)
		return 0;
	close(p->to);
	close(p->from);
	errno = err;
	return rc;
}

int peer_start(struct peer *p, peer_fn fn, void *arg)
{
	return start(p, NULL, 0, fn, arg) ? -1 : 0;
}

int peer_start_ns(struct peer *p, const struct ns_spec *spec, peer_fn fn, void *arg)
{
	return start(p, spec, 0, fn, arg);
}

int peer_clone(struct peer *p, int flags, peer_fn fn, void *arg)
{
	return start(p, NULL, flags, fn, arg) ? -1 : 0;
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
