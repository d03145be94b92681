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

struct trampoline {
	peer_fn fn;
	void *arg;
	int up[2], down[2];
};

/* In the child: our ends of the pipes kept, the parent's closed. */
static int child_main(void *p)
{
	const struct trampoline *t = p;
	struct peer self = { 0, t->up[1], t->down[0] };

	close(t->up[0]);
	close(t->down[1]);
	_exit(t->fn(&self, t->arg));
}

static int start(struct peer *p, int flags, peer_fn fn, void *arg)
{
	/* One stack for every clone: without CLONE_VM each child has a copy. */
	static char *stack;
	struct trampoline t = { .fn = fn, .arg = arg };
	int err;

	if (flags && !stack) {
		stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED) {
			err = errno;
			stack = NULL;
			probe_fail_errno(PROBE_ERROR, err, "mmap (a stack)");
			return errno = err, -1;
		}
	}
	if (probe_pipe_pair(t.down, t.up))
		return -1;
	fflush(NULL); /* nothing buffered may be written twice */
	if (flags)
		p->pid = clone(child_main, stack + STACK_SIZE, flags | SIGCHLD, &t);
	else if ((p->pid = fork()) == 0)
		child_main(&t);
	err = errno;
	close(t.up[1]);
	close(t.down[0]);
	p->to = t.down[1];
	p->from = t.up[0];
	if (p->pid > 0)
		return 0;
	if (err != ENOSPC)
		probe_fail_errno(PROBE_ERROR, err, flags ? "clone" : "fork");
	close(p->to);
	close(p->from);
	return errno = err, -1;
}

int peer_start(struct peer *p, peer_fn fn, void *arg)
{
	return start(p, 0, fn, arg);
}

int peer_clone(struct peer *p, int flags, peer_fn fn, void *arg)
{
	return start(p, flags, fn, arg);
}

int peer_end(struct peer *p)
{
	close(p->to);
	close(p->from);
	return ns_wait(p->pid, probe_timeout(), "the child");
}
