/* SPDX-License-Identifier: MIT */
#include "sandbox.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long host_user_ns; /* inode of the host's user namespace */
static long host_limit;            /* the host's max_ipc_namespaces */
static bool has_limit_file;

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

void sandbox_init(void)
{
	/* 0 on a kernel without user namespaces: no sandbox will be made, and
	 * sandbox_start's refusal names CONFIG_USER_NS */
	host_user_ns = ns_inode(0, "user");
	has_limit_file = !read_long(SANDBOX_LIMIT_FILE, &host_limit);
}

int sandbox_check_host(void)
{
	long now = 0;

	if (!has_limit_file || (!read_long(SANDBOX_LIMIT_FILE, &now) && now == host_limit))
		return PROBE_REACHED;
	return probe_fail(PROBE_ERROR, "SAFETY: the host's %s changed during this run (was %ld, "
			  "now %ld)%s", SANDBOX_LIMIT_FILE, host_limit, now, geteuid() == 0 &&
			  !write_long(SANDBOX_LIMIT_FILE, host_limit) ? "; restored it" : "");
}

int sandbox_set_limit(long limit)
{
	unsigned long user = ns_inode(0, "user");
	long back = -1;
	int err;

	if (!user || user == host_user_ns)
		return probe_fail(PROBE_ERROR, "refusing to write %s: not in a user namespace "
				  "of this probe's (user inode %lu, the host's %lu)",
				  SANDBOX_LIMIT_FILE, user, host_user_ns);
	if ((err = write_long(SANDBOX_LIMIT_FILE, limit)) ||
	    (err = read_long(SANDBOX_LIMIT_FILE, &back)))
		return probe_fail_errno(err == ENOENT ? PROBE_UNSUPPORTED : PROBE_ERROR, err,
					"setting %s to %ld in the probe's user namespace",
					SANDBOX_LIMIT_FILE, limit);
	if (back != limit)
		return probe_fail(PROBE_ERROR, "%s reads %ld after writing %ld",
				  SANDBOX_LIMIT_FILE, back, limit);
	return PROBE_REACHED;
}

pid_t sandbox_start(ns_child_fn fn, void *arg, unsigned bound, int close_fd)
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

static int nothing(struct peer *self, void *arg)
{
	(void)self;
	(void)arg;
	return PROBE_REACHED;
}

const char *sandbox_refusal(void)
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
	sandbox_fn fn;
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

int sandbox_kid(struct peer *k, sandbox_fn fn, void *arg)
{
	struct kid_args a = { fn, arg };

	return peer_clone(k, CLONE_NEWIPC, kid_main, &a) ? errno : 0;
}

int sandbox_kid_result(struct peer *k, unsigned long parent_ipc)
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

int sandbox_hold_one(int *fd)
{
	struct peer k;
	int err = sandbox_kid(&k, no_objects, NULL);

	if (err)
		return err;
	if (sandbox_kid_result(&k, ns_inode(0, "ipc")) < 0)
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
