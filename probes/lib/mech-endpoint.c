/* SPDX-License-Identifier: MIT
 *
 * Named endpoints that need a peer to carry a value: FIFOs,
 * pathname AF_UNIX sockets and abstract AF_UNIX sockets. "create" makes the
 * endpoint, forks a server that hands VALUE to every reader, and gives the
 * server's pid (probe_server_pid); the server lives until SIGTERM or for SERVER_LIFETIME seconds.
 */
#include "ns.h"
#include "mech.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SERVER_LIFETIME 60

enum kind { FIFO, UNIX_PATH, UNIX_ABSTRACT };

static char served_path[PROBE_PATH_MAX + 1]; /* unlinked when the server ends */

static void on_end(int sig)
{
	(void)sig;
	if (served_path[0])
		unlink(served_path);
	_exit(0);
}

static socklen_t unix_address(enum kind k, const char *name, struct sockaddr_un *a)
{
	size_t n = strlen(name);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (k == UNIX_ABSTRACT) /* a leading NUL: no file, a name in the netns */
		memcpy(a->sun_path + 1, name, n);
	else
		memcpy(a->sun_path, name, n + 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static void serve(enum kind k, int listener, const char *name, unsigned value)
{
	char buf[16];
	int n = probe_format_value(buf, sizeof(buf), value);

	ns_detach(listener);
	if (k != UNIX_ABSTRACT)
		snprintf(served_path, sizeof(served_path), "%s", name);
	signal(SIGTERM, on_end);
	signal(SIGINT, on_end);
	signal(SIGALRM, on_end);
	signal(SIGPIPE, SIG_IGN); /* a reader that leaves early is not our end */
	alarm(SERVER_LIFETIME);
	for (;;) {
		int fd = k == FIFO ? open(name, O_WRONLY | O_CLOEXEC)
				   : accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue; /* EINTR; anything else ends with the alarm */
		/* A FIFO whose reader is still open takes copy after copy:
		 * each is a whole line, and a reader reads exactly one. */
		if (write(fd, buf, (size_t)n) < 0)
			(void)0; /* the reader sees what it got */
		close(fd);
	}
}

static int create(enum kind k, const char *name, unsigned value)
{
	struct sockaddr_un a;
	int fd = -1;
	pid_t pid;

	if (k == FIFO) {
		if (mkfifo(name, 0600))
			return probe_fail_errno(-1, errno, "mkfifo(%s)", name);
	} else {
		socklen_t len = unix_address(k, name, &a);

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return probe_fail_errno(-1, errno, "socket(AF_UNIX)");
		if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, 16)) {
			int err = errno;
			close(fd);
			return probe_fail_errno(-1, err, "bind(%s%s)",
						k == UNIX_ABSTRACT ? "@" : "", name);
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		serve(k, fd, name, value);
	if (fd >= 0)
		close(fd);
	if (pid < 0) {
		int err = errno;
		if (k != UNIX_ABSTRACT)
			unlink(name);
		return probe_fail_errno(PROBE_ERROR, err, "fork (server)");
	}
	probe_server_pid = pid;
	return PROBE_REACHED;
}

/* Read the value's line, every wait bounded. */
static int read_value(int fd, const char *name, unsigned *value)
{
	char buf[16];
	size_t got = 0;

	for (;;) {
		ssize_t n;
		int rc = probe_wait_fd(fd, POLLIN, probe_timeout(), name);

		if (rc)
			return rc;
		n = read(fd, buf + got, 1); /* byte by byte: never past our line */
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return probe_fail_errno(PROBE_ERROR, errno, "read(%s)", name);
		if (n == 0 && got == 0)
			return PROBE_ABSENT; /* EOF before a byte: a writer that was leaving */
		if (n == 0 || buf[(got += (size_t)n) - 1] == '\n' || got == sizeof(buf) - 1)
			break; /* a value is one line */
	}
	if (!probe_scan_value(buf, got, value))
		return probe_fail(PROBE_ERROR, "%s: not a value (%zu bytes)", name, got);
	return PROBE_REACHED;
}

static bool deadline_passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

#define RETRY (-1)

/* One try; RETRY when a FIFO reader met the EOF of a writer that was leaving. */
static int get_once(enum kind k, const char *name, unsigned *value,
		    const struct timespec deadline)
{
	struct sockaddr_un a;
	struct stat st;
	int fd, rc;

	if (k == FIFO) {
		/* O_NONBLOCK: the open never waits; the poll in read_value does */
		fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return probe_fail_errno(-1, errno, "open(%s)", name);
		if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
			close(fd);
			return probe_fail(PROBE_ERROR, "%s is not a FIFO", name);
		}
	} else {
		socklen_t len = unix_address(k, name, &a);

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return probe_fail_errno(-1, errno, "socket(AF_UNIX)");
		if (connect(fd, (struct sockaddr *)&a, len)) {
			int err = errno;
			close(fd);
			return probe_fail_errno(-1, err, "connect(%s%s)",
						k == UNIX_ABSTRACT ? "@" : "", name);
		}
	}
	rc = read_value(fd, name, value);
	close(fd);
	if (rc == PROBE_ABSENT && k == FIFO && !deadline_passed(&deadline))
		return RETRY;
	if (rc == PROBE_ABSENT)
		return probe_fail(PROBE_ERROR, "%s: EOF before a value", name);
	return rc;
}

static int remove_path(const char *name)
{
	return unlink(name) ? probe_fail_errno(-1, errno, "unlink(%s)", name) : PROBE_REACHED;
}

static int stat_path(const char *name)
{
	struct stat st;

	if (lstat(name, &st))
		return probe_fail_errno(-1, errno, "lstat(%s)", name);
	printf("path=%s type=%s ino=%llu\n", name, S_ISFIFO(st.st_mode) ? "fifo"
	       : S_ISSOCK(st.st_mode) ? "socket" : "other", (unsigned long long)st.st_ino);
	return PROBE_REACHED;
}

static int address_path(const char *name)
{
	printf("%s\n", name);
	return PROBE_REACHED;
}

static int address_abstract(const char *name)
{
	printf("@%s\n", name);
	return PROBE_REACHED;
}

static int fifo_create(const char *n, unsigned v) { return create(FIFO, n, v); }
static int path_create(const char *n, unsigned v) { return create(UNIX_PATH, n, v); }
static int abst_create(const char *n, unsigned v) { return create(UNIX_ABSTRACT, n, v); }
static int get(enum kind k, const char *name, unsigned *value)
{
	struct timespec deadline;

	int rc;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += probe_timeout();
	/* A FIFO opened while the server was closing its last reader's end sees
	 * that EOF: the server opens it again for us; bounded by the deadline. */
	do
		rc = get_once(k, name, value, deadline);
	while (rc == RETRY);
	return rc;
}

static int fifo_get(const char *n, unsigned *v) { return get(FIFO, n, v); }
static int path_get(const char *n, unsigned *v) { return get(UNIX_PATH, n, v); }
static int abst_get(const char *n, unsigned *v) { return get(UNIX_ABSTRACT, n, v); }

static const struct probe_mech mechs[] = {
	{ "fifo", NAME_PATH, fifo_create, fifo_get, NULL, remove_path, stat_path, address_path,
	  NULL },
	{ "unix-path", NAME_PATH, path_create, path_get, NULL, remove_path, stat_path,
	  address_path, "CONFIG_UNIX" },
	{ "unix-abstract", NAME_TOKEN, abst_create, abst_get, NULL, NULL, NULL,
	  address_abstract, "CONFIG_UNIX" },
};

const struct probe_family probe_endpoint_family = {
	"probe-endpoint",
	"FIFOs and AF_UNIX sockets; create starts a server that hands VALUE to\n"
		"every reader and prints its pid (it ends on SIGTERM or after 60 s).",
	mechs, sizeof(mechs) / sizeof(mechs[0]), "",
};
