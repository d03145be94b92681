/* SPDX-License-Identifier: MIT */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

const char *probe_prog = "probe";
const char *probe_kconfig;
pid_t probe_server_pid;
bool probe_quiet;
static char last_message[512];

const char *probe_last_message(void)
{
	return last_message;
}
static unsigned timeout_s = PROBE_TIMEOUT_DEFAULT;
static char deadline_msg[256];
static size_t deadline_len;

bool probe_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9' || strlen(s) > 10)
		return false; /* no sign, no space, no empty, no overlong */
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

bool probe_parse_value(const char *s, unsigned *out)
{
	return probe_parse_uint(s, 0, PROBE_VALUE_MAX, out);
}

bool probe_parse_pid(const char *s, pid_t *out)
{
	unsigned v;

	if (!probe_parse_uint(s, 1, INT_MAX, &v))
		return false;
	*out = (pid_t)v;
	return true;
}

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

bool probe_valid_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= PROBE_TOKEN_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	/* "." and ".." would name directories under /dev/shm and /dev/mqueue */
	return n > 0 && strcmp(s, ".") && strcmp(s, "..");
}

bool probe_valid_path(const char *s)
{
	size_t n;

	if (!s || s[0] != '/')
		return false;
	n = strlen(s);
	if (n < 2 || n > PROBE_PATH_MAX || s[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
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

int probe_sysv_key(const char *token)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *token; token++) {
		h ^= (unsigned char)*token;
		h *= 16777619u;
	}
	if (h == 0) /* IPC_PRIVATE would make a new object every time */
		h = 1;
	return (int)h;
}

void probe_posix_name(const char *token, char *buf, size_t len)
{
	snprintf(buf, len, "/%s", token);
}

const char *probe_errno_name(int err)
{
	static char buf[32];
#ifdef HAVE_STRERRORNAME_NP
	const char *name = strerrorname_np(err);

	if (name)
		return name;
#else
	/* musl has no strerrorname_np: the names the probes' diagnostics and
	 * their tests rely on. */
#define NAME(e) case e: return #e;
	switch (err) {
	NAME(EPERM) NAME(ENOENT) NAME(ESRCH) NAME(EINTR) NAME(ENXIO) NAME(EBADF)
	NAME(ECHILD) NAME(EAGAIN) NAME(ENOMEM) NAME(EACCES) NAME(EBUSY) NAME(EEXIST)
	NAME(ENOTDIR) NAME(EINVAL) NAME(EMFILE) NAME(ENOTTY) NAME(ENOSPC) NAME(EPIPE)
	NAME(ERANGE) NAME(ENAMETOOLONG) NAME(ENOSYS) NAME(ENOMSG) NAME(EIDRM)
	NAME(EOPNOTSUPP) NAME(EAFNOSUPPORT) NAME(EPROTONOSUPPORT) NAME(EADDRINUSE)
	NAME(ECONNREFUSED) NAME(ETIMEDOUT) NAME(EUSERS) NAME(EOVERFLOW)
	}
#undef NAME
#endif
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

enum probe_exit probe_errno_class(int err)
{
	switch (err) {
	case ENOENT:
	case ECONNREFUSED:
	case EIDRM:
		return PROBE_ABSENT;
	case EEXIST:
	case EADDRINUSE:
		return PROBE_EXISTS;
	case ENOSYS:
	case EOPNOTSUPP:
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		return PROBE_UNSUPPORTED;
	case ETIMEDOUT:
		return PROBE_TIMEOUT;
	default:
		return PROBE_ERROR;
	}
}

static int vfail(int code, int err, const char *fmt, va_list ap)
{
	int n = vsnprintf(last_message, sizeof(last_message), fmt, ap);
	size_t len = n < 0 ? 0 : strnlen(last_message, sizeof(last_message));

	if (err)
		len += (size_t)snprintf(last_message + len, sizeof(last_message) - len,
					": %s (%s)", probe_errno_name(err), strerror(err));
	if (err && probe_kconfig && probe_errno_class(err) == PROBE_UNSUPPORTED &&
	    len < sizeof(last_message))
		snprintf(last_message + len, sizeof(last_message) - len,
			 ": this kernel lacks it (%s is off)", probe_kconfig);
	if (!probe_quiet)
		fprintf(stderr, "%s: %s\n", probe_prog, last_message);
	return code;
}

int probe_fail_errno(int code, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vfail(code < 0 ? (int)probe_errno_class(err) : code, err, fmt, ap);
	va_end(ap);
	return code;
}

int probe_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = vfail(code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int probe_format_value(char *buf, size_t len, unsigned value)
{
	return snprintf(buf, len, "%u\n", value);
}

bool probe_scan_value(const char *buf, size_t len, unsigned *out)
{
	char tmp[16];
	size_t n = 0;

	while (n < len && n < sizeof(tmp) - 1 && buf[n] >= '0' && buf[n] <= '9') {
		tmp[n] = buf[n];
		n++;
	}
	tmp[n] = '\0';
	/* the digits must end at a newline, a NUL or the end of the buffer */
	if (n < len && buf[n] != '\n' && buf[n] != '\0')
		return false;
	return probe_parse_value(tmp, out);
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
		do
			n = read(fd, last_message, sizeof(last_message) - 1);
		while (n < 0 && errno == EINTR);
		last_message[n > 0 ? n : 0] = '\0';
		return 1;
	}
	if (c != expect)
		return probe_fail(PROBE_ERROR, "checkpoint %s: got '%c', expected '%c'",
				  what, c, expect);
	return 0;
}

void probe_checkpoint_give_up(int fd)
{
	char buf[1 + sizeof(last_message)];
	int n = snprintf(buf, sizeof(buf), "!%s", last_message);
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

static const char *const verbs[] = { "create", "get", "put", "remove", "stat", "address" };

static void usage(const struct probe_family *fam, FILE *out)
{
	fprintf(out, "usage: %s [-t SECONDS] MECH VERB NAME [VALUE]\n%s\n  MECH    ",
		fam->prog, fam->summary);
	for (size_t i = 0; i < fam->nmechs; i++)
		fprintf(out, "%s%s", i ? " | " : "", fam->mechs[i].name);
	fprintf(out,
		"\n"
		"  VERB    create NAME VALUE  create exclusively, holding VALUE\n"
		"          get NAME           open without creating; print its value\n"
		"          put NAME VALUE     store VALUE in the existing object\n"
		"          remove NAME        remove the object\n"
		"          stat NAME          print what the kernel says of it\n"
		"          address NAME       print the kernel's name for NAME\n"
		"  NAME    [A-Za-z0-9._-]{1,%d}, or an absolute path for path mechanisms\n"
		"  VALUE   0..%u\n"
		"  -t      bound on every blocking call, 1..%d s (default %d, or IPCNS_TIMEOUT)\n"
		"exit: 0 reached, 1 not reachable, 2 usage, 3 error, 4 unsupported,\n"
		"      5 timeout, 6 exists\n",
		PROBE_TOKEN_MAX, PROBE_VALUE_MAX, PROBE_TIMEOUT_MAX, PROBE_TIMEOUT_DEFAULT);
}

static int usage_error(const struct probe_family *fam, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct probe_family *fam, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", fam->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(fam, stderr);
	return PROBE_USAGE;
}

int probe_main(const struct probe_family *fam, int argc, char **argv)
{
	const struct probe_mech *m = NULL;
	const char *verb, *name;
	unsigned value = 0;
	size_t v;
	int i = 1, rc, nargs;

	rc = probe_init(argv[0]);
	probe_prog = fam->prog;
	if (rc) {
		usage(fam, stderr);
		return rc;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(fam, stdout);
		return PROBE_REACHED;
	}
	if (probe_take_timeout(argc, argv, &i)) {
		usage(fam, stderr);
		return PROBE_USAGE;
	}
	if (argc - i < 3)
		return usage_error(fam, "missing arguments");
	for (size_t k = 0; k < fam->nmechs; k++)
		if (!strcmp(argv[i], fam->mechs[k].name))
			m = &fam->mechs[k];
	if (!m)
		return usage_error(fam, "unknown mechanism '%.64s'", argv[i]);
	probe_kconfig = m->kconfig;
	verb = argv[i + 1];
	name = argv[i + 2];
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++)
		if (!strcmp(verb, verbs[v]))
			break;
	if (v == sizeof(verbs) / sizeof(verbs[0]))
		return usage_error(fam, "unknown verb '%.64s'", verb);
	nargs = (v == 0 || v == 2) ? 4 : 3;
	if (argc - i != nargs)
		return usage_error(fam, "'%s' takes NAME%s", verb, nargs == 4 ? " VALUE" : "");
	if (m->name_kind == NAME_PATH ? !probe_valid_path(name) : !probe_valid_token(name))
		return usage_error(fam, "'%.64s' is not %s", name, m->name_kind == NAME_PATH
				   ? "an absolute path of at most 107 bytes"
				   : "a name of 1..64 of [A-Za-z0-9._-]");
	if (nargs == 4 && !probe_parse_value(argv[i + 3], &value))
		return usage_error(fam, "'%.32s' is not a value in 0..32767", argv[i + 3]);

	probe_arm_deadline(verb);
	switch (v) {
	case 0:
		rc = m->create ? m->create(name, value) : -1;
		if (rc == PROBE_REACHED && probe_server_pid > 0)
			printf("%d\n", (int)probe_server_pid);
		break;
	case 1:
		rc = m->get ? m->get(name, &value) : -1;
		if (rc == PROBE_REACHED)
			printf("%u\n", value);
		break;
	case 2: rc = m->put ? m->put(name, value) : -1; break;
	case 3: rc = m->remove ? m->remove(name) : -1; break;
	case 4: rc = m->stat ? m->stat(name) : -1; break;
	default: rc = m->address ? m->address(name) : -1; break;
	}
	if (rc < 0)
		return usage_error(fam, "this verb does not apply to %s", m->name);
	if (fflush(stdout))
		return probe_fail_errno(PROBE_ERROR, errno, "writing stdout");
	return rc;
}
