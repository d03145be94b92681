/* SPDX-License-Identifier: MIT
 *
 * Unit tests of the probes' shared library (probes/lib): argument checks,
 * kernel names, values, errno mapping, the namespace option syntax and the
 * pipe checkpoint. The exit codes and limits are a documented contract, so
 * their values are tested too, not only their use.
 *
 * Runs as TAP for meson: CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent.
 * Diagnostics that the library prints to stderr are expected noise.
 */
#include "cells.h"
#include "harness.h"
#include "mounts.h"
#include "ns.h"
#include "peer.h"
#include "probe.h"
#include "sysctl.h"
#include "target.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* Restores the library's global state: with CK_FORK=no (valgrind) every
 * test runs in one process, and a timeout or alarm must not leak on. */
static void reset_globals(void)
{
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	unsetenv("IPCNS_TIMEOUT");
	probe_set_timeout(PROBE_TIMEOUT_DEFAULT);
	probe_prog = "test-probe-lib";
}

/* ---- exit codes and limits ------------------------------------------- */

START_TEST(test_exit_codes_are_the_documented_numbers)
{
	ck_assert_int_eq(PROBE_REACHED, 0);
	ck_assert_int_eq(PROBE_ABSENT, 1);
	ck_assert_int_eq(PROBE_USAGE, 2);
	ck_assert_int_eq(PROBE_ERROR, 3);
	ck_assert_int_eq(PROBE_UNSUPPORTED, 4);
	ck_assert_int_eq(PROBE_TIMEOUT, 5);
	ck_assert_int_eq(PROBE_EXISTS, 6);
}
END_TEST

START_TEST(test_limits_are_the_documented_numbers)
{
	ck_assert_uint_eq(PROBE_VALUE_MAX, 32767);
	ck_assert_int_eq(PROBE_TOKEN_MAX, 64);
	ck_assert_int_eq(PROBE_PATH_MAX, 107);
	ck_assert_int_eq(PROBE_TIMEOUT_DEFAULT, 10);
	ck_assert_int_eq(PROBE_TIMEOUT_MAX, 3600);
}
END_TEST

/* ---- probe_parse_uint / value / pid ---------------------------------- */

static const struct {
	const char *s;
	unsigned min, max;
	bool ok;
	unsigned want;
} uint_cases[] = {
	{ "0", 0, 10, true, 0 },
	{ "7", 0, 10, true, 7 },
	{ "007", 0, 10, true, 7 },          /* leading zeros are decimal, not octal */
	{ "0000000001", 0, 10, true, 1 },   /* 10 characters: still accepted */
	{ "00000000001", 0, 10, false, 0 }, /* 11 characters: overlong, whatever the value */
	{ "4294967295", 0, UINT_MAX, true, UINT_MAX },
	{ "4294967296", 0, UINT_MAX, false, 0 }, /* 10 digits, above UINT_MAX */
	{ "9999999999", 0, UINT_MAX, false, 0 },
	{ "99999999999", 0, UINT_MAX, false, 0 },
	{ "18446744073709551616", 0, UINT_MAX, false, 0 }, /* strtoul overflow */
	{ "", 0, 10, false, 0 },
	{ "-1", 0, 10, false, 0 },
	{ "+1", 0, 10, false, 0 },
	{ "-0", 0, 10, false, 0 },
	{ " 1", 0, 10, false, 0 },
	{ "1 ", 0, 10, false, 0 },
	{ "\t1", 0, 10, false, 0 },
	{ "1\n", 0, 10, false, 0 },
	{ "0x1", 0, 10, false, 0 },
	{ "1.0", 0, 10, false, 0 },
	{ "1e3", 0, 5000, false, 0 },
	{ "abc", 0, 10, false, 0 },
	{ "5", 5, 10, true, 5 },   /* min is inclusive */
	{ "4", 5, 10, false, 0 },
	{ "10", 5, 10, true, 10 }, /* max is inclusive */
	{ "11", 5, 10, false, 0 },
	{ "1", 1, 3600, true, 1 },
	{ "0", 1, 3600, false, 0 },
	{ "3600", 1, 3600, true, 3600 },
	{ "3601", 1, 3600, false, 0 },
};

START_TEST(test_parse_uint_table)
{
	unsigned out = 12345;
	bool ok = probe_parse_uint(uint_cases[_i].s, uint_cases[_i].min, uint_cases[_i].max, &out);

	ck_assert_msg(ok == uint_cases[_i].ok, "probe_parse_uint(\"%s\", %u, %u) = %d",
		      uint_cases[_i].s, uint_cases[_i].min, uint_cases[_i].max, ok);
	/* callers pass their live setting (probe_init: the timeout), so a
	 * rejected string must leave *out alone */
	ck_assert_uint_eq(out, ok ? uint_cases[_i].want : 12345);
}
END_TEST

START_TEST(test_parse_uint_null)
{
	unsigned out = 1;

	ck_assert(!probe_parse_uint(NULL, 0, 10, &out));
	ck_assert_uint_eq(out, 1);
}
END_TEST

static const struct {
	const char *s;
	bool ok;
	unsigned want;
} value_cases[] = {
	{ "0", true, 0 },        { "1", true, 1 },         { "32767", true, 32767 },
	{ "32768", false, 0 },   { "65535", false, 0 },    { "-1", false, 0 },
	{ "1x", false, 0 },      { "1e3", false, 0 },      { "", false, 0 },
	{ " 5", false, 0 },
};

START_TEST(test_parse_value_table)
{
	unsigned out = 999;
	bool ok = probe_parse_value(value_cases[_i].s, &out);

	ck_assert_msg(ok == value_cases[_i].ok, "probe_parse_value(\"%s\") = %d",
		      value_cases[_i].s, ok);
	if (ok)
		ck_assert_uint_eq(out, value_cases[_i].want);
}
END_TEST

static const struct {
	const char *s;
	bool ok;
	pid_t want;
} pid_cases[] = {
	{ "1", true, 1 },          { "4194304", true, 4194304 },
	{ "2147483647", true, INT_MAX },
	{ "2147483648", false, 0 }, /* would wrap to a negative pid_t */
	{ "0", false, 0 },          /* kill(0) means the process group */
	{ "-1", false, 0 },         /* kill(-1) means everyone */
	{ "abc", false, 0 },        { "", false, 0 },
	{ "99999999999", false, 0 }, { "12 ", false, 0 },
};

START_TEST(test_parse_pid_table)
{
	pid_t out = 777;
	bool ok = probe_parse_pid(pid_cases[_i].s, &out);

	ck_assert_msg(ok == pid_cases[_i].ok, "probe_parse_pid(\"%s\") = %d", pid_cases[_i].s, ok);
	ck_assert_int_eq(out, ok ? pid_cases[_i].want : 777);
}
END_TEST

START_TEST(test_parse_pid_null)
{
	pid_t out = 777;

	ck_assert(!probe_parse_pid(NULL, &out));
	ck_assert_int_eq(out, 777);
}
END_TEST

/* ---- probe_init and the timeout -------------------------------------- */

START_TEST(test_init_takes_basename_and_default_timeout)
{
	ck_assert_int_eq(probe_init("/some/dir/probe-x"), PROBE_REACHED);
	ck_assert_str_eq(probe_prog, "probe-x");
	ck_assert_uint_eq(probe_timeout(), PROBE_TIMEOUT_DEFAULT);
	ck_assert_int_eq(probe_init("bare"), PROBE_REACHED);
	ck_assert_str_eq(probe_prog, "bare");
}
END_TEST

START_TEST(test_init_reads_ipcns_timeout)
{
	setenv("IPCNS_TIMEOUT", "7", 1);
	ck_assert_int_eq(probe_init("p"), PROBE_REACHED);
	ck_assert_uint_eq(probe_timeout(), 7);
}
END_TEST

static const char *const bad_timeouts[] = { "0", "3601", "x", "", "-1", " 5", "1e3" };

START_TEST(test_init_rejects_bad_ipcns_timeout)
{
	setenv("IPCNS_TIMEOUT", bad_timeouts[_i], 1);
	ck_assert_int_eq(probe_init("p"), PROBE_USAGE);
	ck_assert_uint_eq(probe_timeout(), PROBE_TIMEOUT_DEFAULT);
}
END_TEST

START_TEST(test_set_timeout)
{
	probe_set_timeout(3);
	ck_assert_uint_eq(probe_timeout(), 3);
}
END_TEST

/* ---- probe_valid_token ----------------------------------------------- */

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static const struct {
	const char *s;
	bool ok;
} token_cases[] = {
	{ "a", true },   { "Z", true },   { "0", true },   { "_", true },  { "-", true },
	{ "abcxyz", true }, { "ABCXYZ", true }, { "0123456789", true },
	{ "a.b", true }, { "...", true }, { ".a", true },  { "a..", true },
	{ "run-42_x.y", true },
	{ "", false },   { ".", false },  { "..", false }, /* directories */
	{ "a/b", false }, { "/a", false }, { "/", false },
	{ " ", false },  { "a b", false }, { "a\tb", false }, { "a\nb", false },
	{ "caf\xc3\xa9", false }, /* non-ASCII */
	{ "\x80", false }, { "a:b", false }, { "a@b", false }, { "a*", false },
	{ "a\x7f", false }, { "a+b", false }, { "a%b", false },
};

START_TEST(test_valid_token_table)
{
	ck_assert_msg(probe_valid_token(token_cases[_i].s) == token_cases[_i].ok,
		      "probe_valid_token(\"%s\") should be %d", token_cases[_i].s,
		      token_cases[_i].ok);
}
END_TEST

START_TEST(test_valid_token_lengths)
{
	char *one = repeat('x', 1), *max = repeat('x', PROBE_TOKEN_MAX),
	     *over = repeat('x', PROBE_TOKEN_MAX + 1);

	ck_assert(probe_valid_token(one));
	ck_assert(probe_valid_token(max));
	ck_assert(!probe_valid_token(over));
	free(one);
	free(max);
	free(over);
}
END_TEST

START_TEST(test_valid_token_null)
{
	ck_assert(!probe_valid_token(NULL));
}
END_TEST

/* ---- probe_valid_path ------------------------------------------------ */

static const struct {
	const char *s;
	bool ok;
} path_cases[] = {
	{ "/tmp/x", true },   { "/a", true },        { "/tmp/with space", true },
	{ "tmp/x", false },   { "./x", false },      { "x", false },
	{ "", false },        { "/", false },        { "/tmp/", false },
	{ "/tmp/x/", false }, { "/tmp/a\nb", false }, { "/tmp/a\tb", false },
	{ "/tmp/\x01", false }, { "/tmp/\x1f", false }, { "/tmp/\x7f", false },
};

START_TEST(test_valid_path_table)
{
	ck_assert_msg(probe_valid_path(path_cases[_i].s) == path_cases[_i].ok,
		      "probe_valid_path(\"%s\") should be %d", path_cases[_i].s,
		      path_cases[_i].ok);
}
END_TEST

START_TEST(test_valid_path_lengths)
{
	/* sun_path holds 108 bytes including the NUL: 107 fit, 108 do not */
	char *fits = repeat('p', PROBE_PATH_MAX), *over = repeat('p', PROBE_PATH_MAX + 1);

	fits[0] = over[0] = '/';
	ck_assert_uint_eq(strlen(fits), 107);
	ck_assert(probe_valid_path(fits));
	ck_assert(!probe_valid_path(over));
	free(fits);
	free(over);
}
END_TEST

START_TEST(test_valid_path_null)
{
	ck_assert(!probe_valid_path(NULL));
}
END_TEST

/* ---- kernel names ---------------------------------------------------- */

/* FNV-1a 32, written here again so the test does not trust the library. */
static uint32_t fnv1a32(const char *s)
{
	uint32_t h = 0x811c9dc5u;

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 0x01000193u;
	}
	return h;
}

START_TEST(test_sysv_key_is_fnv1a)
{
	/* published FNV-1a 32 test vectors */
	ck_assert_uint_eq(fnv1a32("a"), 0xe40c292cu);
	ck_assert_uint_eq(fnv1a32("foobar"), 0xbf9cf968u);
	ck_assert_uint_eq((uint32_t)probe_sysv_key("a"), 0xe40c292cu);
	ck_assert_uint_eq((uint32_t)probe_sysv_key("foobar"), 0xbf9cf968u);
	ck_assert_uint_eq((uint32_t)probe_sysv_key("run-42_x.y"), fnv1a32("run-42_x.y"));
	/* the key is part of the contract scripts see: it must not drift */
	ck_assert_int_eq(probe_sysv_key("a"), probe_sysv_key("a"));
}
END_TEST

START_TEST(test_sysv_key_is_never_ipc_private)
{
	/* "qzs0UD" hashes to 0 (found offline); 0 is IPC_PRIVATE, which would
	 * make a new object on every call, so the library substitutes 1 */
	ck_assert_uint_eq(fnv1a32("qzs0UD"), 0);
	ck_assert_int_eq(probe_sysv_key("qzs0UD"), 1);
	ck_assert_int_ne(probe_sysv_key(""), 0);
}
END_TEST

START_TEST(test_sysv_key_differs_between_names)
{
	static const char *const names[] = { "a", "b", "ab", "ba", "run-1", "run-2", "A" };

	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		for (size_t j = i + 1; j < N_ELEMENTS(names); j++)
			ck_assert_msg(probe_sysv_key(names[i]) != probe_sysv_key(names[j]),
				      "\"%s\" and \"%s\" share a key", names[i], names[j]);
}
END_TEST

START_TEST(test_posix_name_adds_slash)
{
	char buf[PROBE_TOKEN_MAX + 2];
	char *max = repeat('m', PROBE_TOKEN_MAX);

	probe_posix_name("obj", buf, sizeof(buf));
	ck_assert_str_eq(buf, "/obj");
	/* the probes size their buffers as TOKEN_MAX + 2: the longest fits */
	probe_posix_name(max, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), PROBE_TOKEN_MAX + 1);
	ck_assert_int_eq(buf[0], '/');
	ck_assert_str_eq(buf + 1, max);
	free(max);
}
END_TEST

START_TEST(test_posix_name_truncates_safely)
{
	char buf[4];

	memset(buf, 'Z', sizeof(buf));
	probe_posix_name("abcdef", buf, sizeof(buf));
	ck_assert_str_eq(buf, "/ab");
}
END_TEST

/* ---- values ---------------------------------------------------------- */

static const unsigned round_trip_values[] = { 0, 1, 9, 10, 99, 100, 4242, 32766, 32767 };

START_TEST(test_value_round_trip)
{
	char buf[16];
	unsigned v = round_trip_values[_i], back = 99999;
	int n = probe_format_value(buf, sizeof(buf), v);

	ck_assert_int_gt(n, 1);
	ck_assert_uint_eq((size_t)n, strlen(buf));
	ck_assert_int_eq(buf[n - 1], '\n');
	ck_assert(probe_scan_value(buf, (size_t)n, &back));
	ck_assert_uint_eq(back, v);
}
END_TEST

START_TEST(test_format_value_text)
{
	char buf[16];

	ck_assert_int_eq(probe_format_value(buf, sizeof(buf), 0), 2);
	ck_assert_str_eq(buf, "0\n");
	ck_assert_int_eq(probe_format_value(buf, sizeof(buf), 32767), 6);
	ck_assert_str_eq(buf, "32767\n");
}
END_TEST

static const struct {
	const char *buf;
	size_t len;
	bool ok;
	unsigned want;
} scan_cases[] = {
	{ "12", 2, true, 12 },
	{ "12\n", 3, true, 12 },
	{ "12\0junk", 7, true, 12 },   /* shared memory: a NUL ends the text */
	{ "12\n34\n", 6, true, 12 },   /* a second value is not read */
	{ "123", 2, true, 12 },        /* len is respected */
	{ "0", 1, true, 0 },
	{ "32767", 5, true, 32767 },
	{ "12x", 3, false, 0 },
	{ "", 0, false, 0 },
	{ "\n", 1, false, 0 },
	{ "\0", 1, false, 0 },
	{ "40000", 5, false, 0 },
	{ "32768\n", 6, false, 0 },
	{ "-1", 2, false, 0 },
	{ " 12", 3, false, 0 },
	{ "12 ", 3, false, 0 },
	{ "1234567890123456789", 19, false, 0 }, /* longer than the scan buffer */
	{ "00000000012", 11, false, 0 },        /* 11 digits: overlong */
};

START_TEST(test_scan_value_table)
{
	unsigned out = 99999;
	bool ok = probe_scan_value(scan_cases[_i].buf, scan_cases[_i].len, &out);

	ck_assert_msg(ok == scan_cases[_i].ok, "probe_scan_value(\"%.*s\", %zu) = %d",
		      (int)scan_cases[_i].len, scan_cases[_i].buf, scan_cases[_i].len, ok);
	if (ok)
		ck_assert_uint_eq(out, scan_cases[_i].want);
}
END_TEST

/* ---- errno ----------------------------------------------------------- */

static const struct {
	int err;
	enum probe_exit want;
} errno_cases[] = {
	{ ENOENT, PROBE_ABSENT },       { ECONNREFUSED, PROBE_ABSENT },
	{ EIDRM, PROBE_ABSENT },        { EEXIST, PROBE_EXISTS },
	{ EADDRINUSE, PROBE_EXISTS },   { ENOSYS, PROBE_UNSUPPORTED },
	{ EOPNOTSUPP, PROBE_UNSUPPORTED }, { EAFNOSUPPORT, PROBE_UNSUPPORTED },
	{ EPROTONOSUPPORT, PROBE_UNSUPPORTED }, { ETIMEDOUT, PROBE_TIMEOUT },
	{ EPERM, PROBE_ERROR },         { EINVAL, PROBE_ERROR },
	{ EACCES, PROBE_ERROR },        { ENOMEM, PROBE_ERROR },
	{ 0, PROBE_ERROR },             { 9999, PROBE_ERROR },
};

START_TEST(test_errno_class_table)
{
	ck_assert_msg(probe_errno_class(errno_cases[_i].err) == errno_cases[_i].want,
		      "probe_errno_class(%d) = %d, want %d", errno_cases[_i].err,
		      probe_errno_class(errno_cases[_i].err), errno_cases[_i].want);
}
END_TEST

START_TEST(test_errno_name)
{
#ifdef HAVE_STRERRORNAME_NP
	ck_assert_str_eq(probe_errno_name(ENOENT), "ENOENT");
	ck_assert_str_eq(probe_errno_name(EADDRINUSE), "EADDRINUSE");
#else
	ck_assert_str_eq(probe_errno_name(ENOENT), "errno 2");
#endif
	ck_assert_str_eq(probe_errno_name(9999), "errno 9999");
	ck_assert_str_eq(probe_errno_name(-5), "errno -5");
}
END_TEST

START_TEST(test_fail_returns_its_code)
{
	ck_assert_int_eq(probe_fail(PROBE_ERROR, "expected noise %d", 1), PROBE_ERROR);
	ck_assert_int_eq(probe_fail_errno(PROBE_USAGE, ENOENT, "expected noise"), PROBE_USAGE);
	/* a negative code means "whatever the errno says" */
	ck_assert_int_eq(probe_fail_errno(-1, ENOENT, "expected noise"), PROBE_ABSENT);
	ck_assert_int_eq(probe_fail_errno(-1, EEXIST, "expected noise"), PROBE_EXISTS);
	ck_assert_int_eq(probe_fail_errno(-1, EPERM, "expected noise"), PROBE_ERROR);
}
END_TEST

START_TEST(test_last_message_keeps_the_diagnostic)
{
	probe_kconfig = NULL;
	probe_fail(PROBE_ERROR, "expected noise %d", 7);
	ck_assert_str_eq(probe_last_message(), "expected noise 7");
	probe_fail_errno(PROBE_ERROR, ENOENT, "open %s", "x");
	ck_assert_str_eq(probe_last_message(), "open x: ENOENT (No such file or directory)");
}
END_TEST

/* An "unsupported" errno names the option the mechanism needs; others do not. */
START_TEST(test_unsupported_names_the_kconfig)
{
	probe_kconfig = "CONFIG_POSIX_MQUEUE";
	ck_assert_int_eq(probe_fail_errno(-1, ENOSYS, "mq_open"), PROBE_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "(CONFIG_POSIX_MQUEUE is off)"));
	probe_fail_errno(-1, EACCES, "mq_open");
	ck_assert_ptr_null(strstr(probe_last_message(), "CONFIG_"));
	probe_kconfig = NULL;
	probe_fail_errno(-1, ENOSYS, "mq_open");
	ck_assert_ptr_null(strstr(probe_last_message(), "CONFIG_"));
}
END_TEST

/* A refusal from making namespaces names what would enable them; an error
 * that means something broke is no refusal. Which option is named depends on
 * this kernel's /proc/self/ns, so only the shape is checked. */
START_TEST(test_ns_refusal)
{
	const char *why = ns_refusal(CLONE_NEWIPC, EINVAL);

	ck_assert_ptr_nonnull(why);
	if (ns_inode(0, "ipc"))
		ck_assert_ptr_nonnull(strstr(why, "refused, although"));
	else
		ck_assert_ptr_nonnull(strstr(why, "CONFIG_IPC_NS is off"));
	ck_assert_ptr_nonnull(ns_refusal(CLONE_NEWIPC, EPERM));
	ck_assert_ptr_nonnull(strstr(ns_refusal(CLONE_NEWIPC, EPERM), ns_inode(0, "ipc") ?
				     "CAP_SYS_ADMIN" : "CONFIG_IPC_NS is off"));
	ck_assert_ptr_null(ns_refusal(CLONE_NEWIPC, ENOMEM));
	ck_assert_ptr_null(ns_refusal(CLONE_NEWIPC, EBADF));
}
END_TEST

/* ---- the cell table and the peer ------------------------------------- */

/* Declared cells keep their order; the first answer stands; a child's answer
 * reaches the parent; what nobody answered gets the rest's reason. */
START_TEST(test_cells_table)
{
	size_t a, b, c;
	pid_t pid;

	ck_assert_int_eq(cells_init(), 0);
	a = cell_declare("sysv-shm", "held", "setns", "ipc");
	b = cell_declare("posix-mq", "held", "setns", "ipc");
	c = cell_declare("sysv-shm", "gone", "-", "ipc");
	ck_assert_uint_eq(cell_declare("posix-mq", "held", "setns", "ipc"), b);
	ck_assert_uint_eq(cells_count(), 3);
	cell_set(a, "survives", "read %d\twith a tab", 42);
	cell_set(a, "gone", "a second answer is ignored");
	pid = fork();
	if (pid == 0) {
		cell_set(b, "skip", "no queues here");
		_exit(0);
	}
	ck_assert_int_eq(ns_wait(pid, 5, "the child"), 0);
	cells_rest("", "the step broke");
	ck_assert_str_eq(cell_at(a)->observed, "survives");
	ck_assert_str_eq(cell_at(a)->detail, "read 42 with a tab");
	ck_assert_str_eq(cell_at(b)->observed, "skip");
	ck_assert_str_eq(cell_at(b)->detail, "no queues here");
	ck_assert_str_eq(cell_at(c)->observed, "");
	ck_assert_str_eq(cell_at(c)->detail, "the step broke");
	ck_assert_ptr_null(cell_at(3));
}
END_TEST

static int echo_doubled(struct peer *self, void *arg)
{
	long v;

	(void)arg;
	if (peer_hear(self, &v))
		return 3;
	return peer_tell(self, 2 * v) ? 3 : 7;
}

START_TEST(test_peer_round_trip)
{
	struct peer p;
	long v = 0;

	ck_assert_int_eq(peer_start(&p, echo_doubled, NULL), 0);
	ck_assert_int_eq(peer_tell(&p, 21), 0);
	ck_assert_int_eq(peer_hear(&p, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(peer_end(&p), 7); /* the child's exit code */
}
END_TEST

static int says_nothing(struct peer *self, void *arg)
{
	(void)self;
	(void)arg;
	return 0;
}

/* A child that exits without a word is EOF, at once, with a reason. */
START_TEST(test_peer_eof)
{
	struct peer p;
	long v;

	ck_assert_int_eq(peer_start(&p, says_nothing, NULL), 0);
	ck_assert_int_eq(peer_hear(&p, &v), -1);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "stopped early"));
	ck_assert_int_eq(peer_end(&p), 0);
}
END_TEST

/* A peer in a new IPC namespace: proved new before it runs, and talking. */
static int tells_its_ipc(struct peer *self, void *arg)
{
	(void)arg;
	return peer_tell(self, (long)ns_inode(0, "ipc")) ? 3 : 9;
}

START_TEST(test_peer_in_new_namespace)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = geteuid() ? NS_WANT_USER : 0 };
	struct peer p;
	long v = 0;
	int rc = peer_start_ns(&p, &spec, tells_its_ipc, NULL);

	if (rc == PROBE_UNSUPPORTED) { /* no namespaces for us here: said why */
		ck_assert_str_ne(probe_last_message(), "");
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(peer_hear(&p, &v), 0);
	ck_assert(v != 0 && (unsigned long)v != ns_inode(0, "ipc"));
	ck_assert_int_eq(peer_end(&p), 9);
}
END_TEST

/* ---- the sysctls' values and files ------------------------------------ */

/* A directory of plain files in place of /proc/sys: the library never
 * writes a real sysctl here. */
static char sysctl_dir[64];

/* REL in the directory (one static buffer). */
static const char *fake(const char *rel)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/%s", sysctl_dir, rel);
	return path;
}

static void write_text(const char *rel, const char *text)
{
	FILE *f = fopen(fake(rel), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void sysctl_setup(void)
{
	reset_globals();
	snprintf(sysctl_dir, sizeof(sysctl_dir), "/tmp/probe-lib-sysctl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sysctl_dir));
	ck_assert_int_eq(mkdir(fake("kernel"), 0755) || mkdir(fake("fs"), 0755) ||
			 mkdir(fake("fs/mqueue"), 0755), 0);
	setenv("IPCNS_SYSCTL_DIR", sysctl_dir, 1);
	ck_assert(sysctl_init());
}

static void sysctl_teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", sysctl_dir);
	ck_assert_int_eq(system(cmd), 0);
	unsetenv("IPCNS_SYSCTL_DIR");
	ck_assert(sysctl_init());
	reset_globals();
}

START_TEST(test_sysctl_values)
{
	const struct ipc_sysctl *sem = sysctl_find("kernel.sem");
	const struct ipc_sysctl *shmmax = sysctl_find("kernel.shmmax");
	const struct ipc_sysctl *next = sysctl_find("kernel.msg_next_id");
	const struct ipc_sysctl *msg_max = sysctl_find("fs.mqueue.msg_max");
	char buf[SYSCTL_TEXT_MAX];
	struct sysctl_value v, d;

	ck_assert_ptr_null(sysctl_find("kernel/sem"));
	ck_assert(sem && shmmax && next && msg_max);
	sysctl_path(msg_max, buf, sizeof(buf));
	ck_assert_str_eq(buf + strlen(sysctl_dir), "/fs/mqueue/msg_max");
	write_text("kernel/sem", "32000\t1024000000\t500\t32000\n");
	ck_assert_int_eq(sysctl_read(sem, -1, &v), 0);
	ck_assert_str_eq(sysctl_show(sem, &v, '_', buf), "32000_1024000000_500_32000");
	d = sysctl_step(sem, &v);
	ck_assert_str_eq(sysctl_show(sem, &d, ' ', buf), "31999 1023999999 499 31999");
	ck_assert(!sysctl_same(&v, &d) && sysctl_same(&v, &v));
	write_text("kernel/shmmax", "18446744073692774399\n");
	ck_assert_int_eq(sysctl_read(shmmax, -1, &v), 0);
	ck_assert_str_eq(sysctl_show(shmmax, &v, '_', buf), "18446744073692774399");
	write_text("kernel/shmmax", "-1\n"); /* unsigned long: no sign */
	ck_assert_int_eq(sysctl_read(shmmax, -1, &v), EBADMSG);
	write_text("kernel/msg_next_id", "-1\n"); /* at the floor: one up */
	ck_assert_int_eq(sysctl_read(next, -1, &v), 0);
	d = sysctl_step(next, &v);
	ck_assert_str_eq(sysctl_show(next, &d, ' ', buf), "0");
	write_text("fs/mqueue/msg_max", "1\n");
	ck_assert_int_eq(sysctl_read(msg_max, -1, &v), 0);
	d = sysctl_step(msg_max, &v);
	ck_assert_str_eq(sysctl_show(msg_max, &d, ' ', buf), "2");
	ck_assert_int_eq(sysctl_read(sysctl_find("kernel.msgmax"), -1, &v), ENOENT);
}
END_TEST

/* The namespace the probe started in is never written: the process ends. */
START_TEST(test_sysctl_write_refuses_the_start_namespace)
{
	const struct ipc_sysctl *s = sysctl_find("kernel.msgmax");
	struct sysctl_value v = { 1, { 7 } }, back;
	const char *call = NULL;
	pid_t pid;

	write_text("kernel/msgmax", "8192\n");
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(sysctl_write(s, &v, &call) == 0 ? 0 : 1);
	ck_assert_int_eq(ns_wait(pid, 5, "the writer"), PROBE_ERROR);
	ck_assert_int_eq(sysctl_read(s, -1, &back), 0);
	ck_assert_uint_eq(back.f[0], 8192);
}
END_TEST

/* A missing file names the option responsible, and only that one. */
START_TEST(test_sysctl_missing_names_the_option)
{
	bool skip = false;
	const char *why;

	write_text("kernel/msgmax", "8192\n");
	write_text("fs/mqueue/msg_max", "10\n");
	sysctl_host_snapshot();
	ck_assert_ptr_null(sysctl_host_missing(sysctl_find("kernel.msgmax"), &skip));
	why = sysctl_host_missing(sysctl_find("kernel.shm_next_id"), &skip);
	ck_assert(skip);
	ck_assert_ptr_nonnull(strstr(why, "(CONFIG_CHECKPOINT_RESTORE is off)"));
	why = sysctl_host_missing(sysctl_find("kernel.sem"), &skip); /* its group is here */
	ck_assert(!skip);
	ck_assert_ptr_nonnull(strstr(why, "ENOENT"));
	ck_assert_ptr_null(sysctl_host_missing(sysctl_find("fs.mqueue.msg_max"), &skip));
	ck_assert_int_eq(unlink(fake("kernel/msgmax")), 0);
	ck_assert_int_eq(unlink(fake("fs/mqueue/msg_max")), 0);
	ck_assert_int_eq(rmdir(fake("fs/mqueue")), 0);
	sysctl_host_snapshot();
	why = sysctl_host_missing(sysctl_find("kernel.msg_next_id"), &skip);
	ck_assert(skip);
	ck_assert_ptr_nonnull(strstr(why, "lacks System V IPC (CONFIG_SYSVIPC is off)"));
	why = sysctl_host_missing(sysctl_find("fs.mqueue.queues_max"), &skip);
	ck_assert(skip);
	ck_assert_ptr_nonnull(strstr(why, "lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"));
	ck_assert_int_eq(sysctl_host_check(), PROBE_REACHED); /* nothing to compare */
}
END_TEST

/* The net: a host value that changed is put back, and said. */
START_TEST(test_sysctl_check_restores)
{
	const struct ipc_sysctl *s = sysctl_find("kernel.msgmax");
	struct sysctl_value back;

	write_text("kernel/msgmax", "8192\n");
	sysctl_host_snapshot();
	ck_assert_int_eq(sysctl_host_check(), PROBE_REACHED);
	write_text("kernel/msgmax", "8191\n");
	ck_assert_int_eq(sysctl_host_check(), PROBE_ERROR);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "SAFETY: the host's kernel.msgmax"));
	ck_assert_int_eq(sysctl_read(s, -1, &back), 0);
	ck_assert_uint_eq(back.f[0], 8192);
}
END_TEST

/* A note made in a child reaches the parent; errno survives making it. */
START_TEST(test_cells_note)
{
	pid_t pid;

	ck_assert_int_eq(cells_init(), 0);
	ck_assert_int_eq(cells_note(5, 0, "first %d", 1), 5);
	ck_assert_str_eq(cells_why(), "first 1");
	pid = fork();
	if (pid == 0) {
		errno = ENOSPC;
		cells_note(0, ENOENT, "in the child");
		_exit(errno == ENOSPC ? 0 : 1);
	}
	ck_assert_int_eq(ns_wait(pid, 5, "the child"), 0);
	ck_assert_str_eq(cells_why(), "in the child: ENOENT");
	cells_note(0, 0, "%s, and then", cells_why()); /* the old note, said again */
	ck_assert_str_eq(cells_why(), "in the child: ENOENT, and then");
}
END_TEST

static int tells_its_ipc_ns(struct peer *self, void *arg)
{
	(void)arg;
	return peer_tell(self, (long)ns_inode(0, "ipc")) ? 3 : 0;
}

/* peer_clone: the child is in a new IPC namespace (as root), or the errno
 * of clone comes back (anyone else: EPERM). */
START_TEST(test_peer_clone)
{
	struct peer p;
	long ino = 0;

	if (peer_clone(&p, CLONE_NEWIPC, tells_its_ipc_ns, NULL)) {
		ck_assert_int_ne(geteuid(), 0);
		ck_assert_int_eq(errno, EPERM);
		return;
	}
	ck_assert_int_eq(peer_hear(&p, &ino), 0);
	ck_assert_int_ne(ino, 0);
	ck_assert_int_ne((unsigned long)ino, ns_inode(0, "ipc"));
	ck_assert_int_eq(peer_end(&p), 0);
}
END_TEST

/* ---- the harness ------------------------------------------------------ */

static int answers_first(void)
{
	cell_set(cell_declare("h-mech", "one", "clone", harness_ns()), "isolated", "measured");
	return 0;
}

static int keeps_args(int argc, char **argv)
{
	cell_declare("h-mech", argc ? argv[0] : "none", "-", harness_ns());
	return argc == 1 ? 0 : harness_usage_error("one word, not ", argc ? argv[1] : "none");
}

/* harness_main in a child, its stdout in BUF: its exit code. */
static int run_harness(const struct harness *h, int argc, char **argv, char *buf, size_t len)
{
	int out[2], rc;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(out), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(open("/dev/null", O_WRONLY), STDERR_FILENO);
		rc = harness_main(h, argc, argv);
		fflush(NULL); /* as exit would */
		_exit(rc);
	}
	close(out[1]);
	n = read(out[0], buf, len - 1); /* a few lines: one read */
	buf[n > 0 ? n : 0] = '\0';
	close(out[0]);
	rc = ns_wait(pid, 10, "the probe");
	return rc;
}

/* The command line: help on stdout, bad bounds and extra words are usage
 * errors; the declared cells are printed, answered or with a reason. */
START_TEST(test_harness_main)
{
	const struct harness plain = { .usage = "usage: p\n", .cells = "h-mech one clone;"
				       "h-mech two clone ipc+net", .measure = answers_first,
				       .on_host = true };
	const struct harness with_args = { .usage = "usage: p WORD\n", .args = keeps_args,
					   .measure = answers_first, .on_host = true };
	char *help[] = { "p", "--help", NULL }, *bad[] = { "p", "-t", "0", NULL },
	     *extra[] = { "p", "-t", "5", "extra", NULL }, *none[] = { "p", NULL },
	     *word[] = { "p", "word", NULL }, *words[] = { "p", "a", "b", NULL }, buf[2048];

	ck_assert_int_eq(run_harness(&plain, 2, help, buf, sizeof(buf)), PROBE_REACHED);
	ck_assert_ptr_nonnull(strstr(buf, "usage: p\n"));
	ck_assert_ptr_nonnull(strstr(buf, "OBSERVE mechanism scenario"));
	ck_assert_int_eq(run_harness(&plain, 3, bad, buf, sizeof(buf)), PROBE_USAGE);
	ck_assert_int_eq(run_harness(&plain, 4, extra, buf, sizeof(buf)), PROBE_USAGE);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(run_harness(&plain, 1, none, buf, sizeof(buf)), PROBE_REACHED);
	ck_assert_ptr_nonnull(strstr(buf, "OBSERVE\th-mech\tone\tclone\tipc"));
	ck_assert_ptr_nonnull(strstr(buf, "\tisolated\tmeasured\n"));
	ck_assert_ptr_nonnull(strstr(buf, "OBSERVE\th-mech\ttwo\tclone\tipc+net\t\tthe process "
				     "measuring this cell ended without an answer\n"));
	ck_assert_int_eq(run_harness(&with_args, 2, word, buf, sizeof(buf)), PROBE_REACHED);
	ck_assert_ptr_nonnull(strstr(buf, "OBSERVE\th-mech\tword\t-\t"));
	ck_assert_int_eq(run_harness(&with_args, 3, words, buf, sizeof(buf)), PROBE_USAGE);
}
END_TEST

static int answers_and_fails(void *arg)
{
	cell_set(*(size_t *)arg, "shared", "answered before failing");
	return PROBE_ERROR;
}

/* A step that ends badly: what it answered stands, the rest says so. */
START_TEST(test_harness_run_answers_the_rest)
{
	size_t a, b;

	ck_assert_int_eq(cells_init(), 0);
	a = cell_declare("h-run", "answered", "fork", "ipc");
	b = cell_declare("h-run", "left", "fork", "ipc");
	ck_assert_int_eq(harness_run(NS_ENTRY_FORK, 0, answers_and_fails, &a, 1, "the step"),
			 PROBE_ERROR);
	ck_assert_str_eq(cell_at(a)->observed, "shared");
	ck_assert_str_eq(cell_at(b)->observed, "");
	ck_assert_ptr_nonnull(strstr(cell_at(b)->detail, "the step stopped early (exit 3)"));
}
END_TEST

static int answers_nothing(void *arg)
{
	(void)arg;
	cells_note(0, 0, "nothing measured here");
	return 0;
}

/* A user namespace of the probe's own: the cell asked for gets the reason
 * (the note, or a skip naming what would allow it), the others do not. */
START_TEST(test_harness_userns_run_answers_its_cell)
{
	size_t mine, other;

	ck_assert_int_eq(cells_init(), 0);
	harness_net_init();
	mine = cell_declare("h-userns", "mine", "clone", "ipc+user");
	other = cell_declare("h-userns", "other", "clone", "ipc+user");
	harness_userns_run(answers_nothing, NULL, 1, mine);
	ck_assert(cell_at(mine)->done);
	if (strcmp(cell_at(mine)->observed, "skip"))
		ck_assert_ptr_nonnull(strstr(cell_at(mine)->detail, "nothing measured here"));
	else
		ck_assert_ptr_nonnull(strstr(cell_at(mine)->detail, "cannot make a user namespace"));
	ck_assert(!cell_at(other)->done);
	cell_set(other, "", "done with");
	ck_assert_int_eq(harness_net_check(), 0);
}
END_TEST

/* ---- ns entries ------------------------------------------------------ */

static const struct {
	const char *name;
	enum ns_entry entry;
	bool join;
} entry_cases[] = {
	{ "fork", NS_ENTRY_FORK, false },       { "clone", NS_ENTRY_CLONE, false },
	{ "clone3", NS_ENTRY_CLONE3, false },   { "unshare", NS_ENTRY_UNSHARE, false },
	{ "setns", NS_ENTRY_SETNS, true },      { "pidfd", NS_ENTRY_PIDFD, true },
};

START_TEST(test_entry_round_trip)
{
	enum ns_entry e = (enum ns_entry)-1;

	ck_assert(ns_parse_entry(entry_cases[_i].name, &e));
	ck_assert_int_eq(e, entry_cases[_i].entry);
	ck_assert_str_eq(ns_entry_name(e), entry_cases[_i].name);
	ck_assert(ns_is_join(e) == entry_cases[_i].join);
}
END_TEST

static const char *const bad_entries[] = { "", "Fork", "CLONE", "clone ", " clone",
					   "clone4", "set", "setns2", "pid", "join" };

START_TEST(test_entry_rejects)
{
	enum ns_entry e = NS_ENTRY_UNSHARE;

	ck_assert_msg(!ns_parse_entry(bad_entries[_i], &e), "accepted \"%s\"", bad_entries[_i]);
	ck_assert_int_eq(e, NS_ENTRY_UNSHARE);
}
END_TEST

START_TEST(test_entry_rejects_null)
{
	enum ns_entry e = NS_ENTRY_UNSHARE;

	ck_assert(!ns_parse_entry(NULL, &e));
	ck_assert_int_eq(e, NS_ENTRY_UNSHARE);
}
END_TEST

/* ---- ns_parse_option ------------------------------------------------- */

#define OPT_ARGS_MAX 3
#define UNCHANGED_ENTRY NS_ENTRY_CLONE3 /* a start value no option sets by accident */

static const struct {
	const char *args[OPT_ARGS_MAX]; /* after argv[0]; NULL-terminated */
	int rc;                         /* 1 taken, 0 not ours, PROBE_USAGE */
	int next;                       /* *i afterwards */
	enum ns_entry entry;
	unsigned want;
	pid_t target;
} option_cases[] = {
	{ { "--mnt" }, 1, 2, UNCHANGED_ENTRY, NS_WANT_MNT, 0 },
	{ { "--net" }, 1, 2, UNCHANGED_ENTRY, NS_WANT_NET, 0 },
	{ { "--user" }, 1, 2, UNCHANGED_ENTRY, NS_WANT_USER, 0 },
	{ { "--mnt", "--net" }, 1, 2, UNCHANGED_ENTRY, NS_WANT_MNT, 0 }, /* one at a time */
	{ { "--entry", "fork" }, 1, 3, NS_ENTRY_FORK, 0, 0 },
	{ { "--entry", "clone" }, 1, 3, NS_ENTRY_CLONE, 0, 0 },
	{ { "--entry", "clone3" }, 1, 3, NS_ENTRY_CLONE3, 0, 0 },
	{ { "--entry", "unshare" }, 1, 3, NS_ENTRY_UNSHARE, 0, 0 },
	{ { "--entry", "setns" }, 1, 3, NS_ENTRY_SETNS, 0, 0 },
	{ { "--entry", "pidfd" }, 1, 3, NS_ENTRY_PIDFD, 0, 0 },
	{ { "--join", "42" }, 1, 3, UNCHANGED_ENTRY, 0, 42 },
	{ { "--join", "2147483647" }, 1, 3, UNCHANGED_ENTRY, 0, INT_MAX },
	/* malformed: usage, nothing consumed */
	{ { "--entry" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--entry", "bogus" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--entry", "" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join", "0" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join", "-1" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join", "abc" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join", "99999999999" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--join", "" }, PROBE_USAGE, 1, UNCHANGED_ENTRY, 0, 0 },
	/* someone else's options: left for the caller */
	{ { "-t", "5" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--hold" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--mount" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--mn" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "--users" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "mnt" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
	{ { "-entry", "fork" }, 0, 1, UNCHANGED_ENTRY, 0, 0 },
};

START_TEST(test_parse_option_table)
{
	char *argv[OPT_ARGS_MAX + 2] = { "prog" };
	struct ns_spec spec = { .entry = UNCHANGED_ENTRY };
	int argc = 1, i = 1, rc;

	for (int k = 0; k < OPT_ARGS_MAX && option_cases[_i].args[k]; k++)
		argv[argc++] = (char *)option_cases[_i].args[k];
	rc = ns_parse_option(argc, argv, &i, &spec);
	ck_assert_msg(rc == option_cases[_i].rc, "%s %s: rc %d, want %d", argv[1],
		      argc > 2 ? argv[2] : "", rc, option_cases[_i].rc);
	ck_assert_int_eq(i, option_cases[_i].next);
	ck_assert_int_eq(spec.entry, option_cases[_i].entry);
	ck_assert_uint_eq(spec.want, option_cases[_i].want);
	ck_assert_int_eq(spec.target, option_cases[_i].target);
}
END_TEST

START_TEST(test_parse_option_accumulates)
{
	char *argv[] = { "prog", "--user", "--entry", "unshare", "--net", "--mnt", "--net", "rest" };
	int argc = (int)N_ELEMENTS(argv), i = 1, rc;
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE };

	while ((rc = ns_parse_option(argc, argv, &i, &spec)) == 1)
		;
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(argv[i], "rest");
	ck_assert_uint_eq(spec.want, NS_WANT_MNT | NS_WANT_NET | NS_WANT_USER);
	ck_assert_int_eq(spec.entry, NS_ENTRY_UNSHARE);
	ck_assert_int_eq(spec.target, 0);
}
END_TEST

/* ---- ns_check_spec --------------------------------------------------- */

#define ALL_WANT (NS_WANT_MNT | NS_WANT_NET | NS_WANT_USER)

static const struct {
	struct ns_spec spec;
	int rc;
} spec_cases[] = {
	{ { .entry = NS_ENTRY_FORK, .want = 0, .target = 0 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_CLONE, .want = 0, .target = 0 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_CLONE, .want = ALL_WANT, .target = 0 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_CLONE3, .want = NS_WANT_MNT, .target = 0 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_UNSHARE, .want = NS_WANT_NET | NS_WANT_USER, .target = 0 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_SETNS, .want = 0, .target = 1234 }, PROBE_REACHED },
	{ { .entry = NS_ENTRY_PIDFD, .want = 0, .target = 1234 }, PROBE_REACHED },
	/* --join without a join entry */
	{ { .entry = NS_ENTRY_CLONE, .want = 0, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_CLONE3, .want = 0, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_UNSHARE, .want = 0, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_FORK, .want = 0, .target = 1234 }, PROBE_USAGE },
	/* a join entry without --join */
	{ { .entry = NS_ENTRY_SETNS, .want = 0, .target = 0 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_PIDFD, .want = 0, .target = 0 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_SETNS, .want = NS_WANT_MNT, .target = 0 }, PROBE_USAGE },
	/* --join with new-namespace options */
	{ { .entry = NS_ENTRY_SETNS, .want = NS_WANT_MNT, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_SETNS, .want = NS_WANT_NET, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_SETNS, .want = NS_WANT_USER, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_PIDFD, .want = NS_WANT_MNT, .target = 1234 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_PIDFD, .want = ALL_WANT, .target = 1234 }, PROBE_USAGE },
	/* fork makes no namespace to add to */
	{ { .entry = NS_ENTRY_FORK, .want = NS_WANT_MNT, .target = 0 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_FORK, .want = NS_WANT_NET, .target = 0 }, PROBE_USAGE },
	{ { .entry = NS_ENTRY_FORK, .want = NS_WANT_USER, .target = 0 }, PROBE_USAGE },
};

START_TEST(test_check_spec_table)
{
	const struct ns_spec *s = &spec_cases[_i].spec;

	ck_assert_msg(ns_check_spec(s) == spec_cases[_i].rc,
		      "entry %s want %u target %d: want rc %d", ns_entry_name(s->entry), s->want,
		      (int)s->target, spec_cases[_i].rc);
}
END_TEST

START_TEST(test_ns_inode)
{
	ck_assert_uint_ne(ns_inode(0, "ipc"), 0);
	ck_assert_uint_eq(ns_inode(0, "ipc"), ns_inode(getpid(), "ipc"));
	errno = 0;
	ck_assert_uint_eq(ns_inode(0, "no-such-namespace"), 0);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- the pipe checkpoint --------------------------------------------- */

static int pipe_fds[2] = { -1, -1 };

static void open_pipe(void)
{
	reset_globals();
	ck_assert_int_eq(pipe2(pipe_fds, O_CLOEXEC), 0);
}

static void close_pipe(void)
{
	for (int k = 0; k < 2; k++)
		if (pipe_fds[k] >= 0) {
			close(pipe_fds[k]);
			pipe_fds[k] = -1;
		}
	signal(SIGPIPE, SIG_DFL);
}

static void close_writer(void)
{
	close(pipe_fds[1]);
	pipe_fds[1] = -1;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

START_TEST(test_checkpoint_right_byte)
{
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'g'), 0);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "test"), 0);
}
END_TEST

START_TEST(test_checkpoint_sequence)
{
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'e'), 0);
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'r'), 0);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'e', 1, "first"), 0);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'r', 1, "second"), 0);
}
END_TEST

START_TEST(test_checkpoint_wrong_byte)
{
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'x'), 0);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "test"), PROBE_ERROR);
}
END_TEST

START_TEST(test_checkpoint_eof)
{
	close_writer();
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "test"), 1);
}
END_TEST

START_TEST(test_checkpoint_byte_then_eof)
{
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'g'), 0);
	close_writer();
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "test"), 0);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "test"), 1);
}
END_TEST

/* The reader learns why the other side gave up, as if it had said it. */
START_TEST(test_checkpoint_give_up_hands_over_the_reason)
{
	probe_kconfig = NULL;
	probe_fail(PROBE_UNSUPPORTED, "unshare: expected noise");
	probe_checkpoint_give_up(pipe_fds[1]);
	close_writer();
	probe_fail(PROBE_ERROR, "something else");
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'e', 1, "test"), 1);
	ck_assert_str_eq(probe_last_message(), "unshare: expected noise");
}
END_TEST

/* The longest reason kept (one short of PROBE_MESSAGE_MAX) crosses whole. */
START_TEST(test_checkpoint_give_up_hands_over_the_longest_reason)
{
	char longer[PROBE_MESSAGE_MAX + 100];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	probe_keep_message(longer);
	ck_assert_uint_eq(strlen(probe_last_message()), PROBE_MESSAGE_MAX - 1);
	probe_checkpoint_give_up(pipe_fds[1]);
	close_writer();
	probe_keep_message("");
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'e', 1, "test"), 1);
	longer[PROBE_MESSAGE_MAX - 1] = '\0';
	ck_assert_str_eq(probe_last_message(), longer);
}
END_TEST

START_TEST(test_checkpoint_timeout)
{
	struct timespec start;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(probe_checkpoint_read(pipe_fds[0], 'g', 1, "silence"), PROBE_TIMEOUT);
	ms = elapsed_ms(&start);
	/* it waited for the bound, and not much more */
	ck_assert_int_ge(ms, 950);
	ck_assert_int_le(ms, 1500);
}
END_TEST

START_TEST(test_checkpoint_write_to_closed_pipe)
{
	signal(SIGPIPE, SIG_IGN); /* else EPIPE arrives as a fatal signal */
	close(pipe_fds[0]);
	pipe_fds[0] = -1;
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'g'), -1);
	ck_assert_int_eq(errno, EPIPE);
}
END_TEST

/* In a child, so that this process keeps what it has: as root, uid and gid
 * 65534, no groups, still dumpable; as anyone else, nothing changes. */
START_TEST(test_drop_root)
{
	uid_t before = geteuid();
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		bool ok = probe_drop_root() == 0 && prctl(PR_GET_DUMPABLE) == 1;

		if (before == 0)
			ok = ok && getuid() == PROBE_NOBODY && geteuid() == PROBE_NOBODY &&
			     getgid() == PROBE_NOBODY && getgroups(0, NULL) == 0;
		else
			ok = ok && geteuid() == before;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(test_wait_fd_ready)
{
	ck_assert_int_eq(probe_checkpoint_write(pipe_fds[1], 'g'), 0);
	ck_assert_int_eq(probe_wait_fd(pipe_fds[0], POLLIN, 1, "ready"), 0);
	ck_assert_int_eq(probe_wait_fd(pipe_fds[1], POLLOUT, 1, "room"), 0);
}
END_TEST

/* ---- probe_main: dispatch and argument checks ------------------------- */

struct call {
	const char *verb;
	char name[PROBE_PATH_MAX + 1];
	unsigned value;
	unsigned timeout;
};

static struct call last_call;
static int op_rc; /* what the fake ops return */

static void record(const char *verb, const char *name, unsigned value)
{
	last_call.verb = verb;
	snprintf(last_call.name, sizeof(last_call.name), "%s", name);
	last_call.value = value;
	last_call.timeout = probe_timeout();
}

static int fake_create(const char *n, unsigned v) { record("create", n, v); return op_rc; }
static int fake_put(const char *n, unsigned v) { record("put", n, v); return op_rc; }
static int fake_remove(const char *n) { record("remove", n, 0); return op_rc; }
static int fake_stat(const char *n) { record("stat", n, 0); return op_rc; }
static int fake_address(const char *n) { record("address", n, 0); return op_rc; }

static int fake_get(const char *n, unsigned *v)
{
	record("get", n, 0);
	*v = 321;
	return op_rc;
}

static const struct probe_mech fake_mechs[] = {
	{ "tok", NAME_TOKEN, fake_create, fake_get, fake_put, fake_remove, fake_stat, fake_address, NULL },
	{ "path", NAME_PATH, fake_create, fake_get, fake_put, fake_remove, fake_stat, fake_address, NULL },
	{ "bare", NAME_TOKEN, fake_create, NULL, NULL, NULL, NULL, NULL, NULL }, /* verbs that do not apply */
};

static const struct probe_family fake_family = {
	"fake", "A family for tests.", fake_mechs, N_ELEMENTS(fake_mechs), "fake-",
};

static char captured[4096];

/* Runs probe_main with stdout in a memfd (stdout is the TAP stream) and
 * returns its exit code; what it printed lands in captured[]. */
static int run_main(int argc, char **argv)
{
	int saved, fd, rc;
	ssize_t n;

	memset(&last_call, 0, sizeof(last_call));
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = memfd_create("stdout", MFD_CLOEXEC);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDOUT_FILENO);
	rc = probe_main(&fake_family, argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	alarm(0); /* probe_main armed the deadline */
	n = pread(fd, captured, sizeof(captured) - 1, 0);
	captured[n < 0 ? 0 : n] = '\0';
	close(fd);
	return rc;
}

#define RUN_MAIN(...) \
	run_main((int)N_ELEMENTS(((char *[]){ "fake", __VA_ARGS__ })), \
		 (char *[]){ "fake", __VA_ARGS__ })

static void main_setup(void)
{
	reset_globals();
	op_rc = PROBE_REACHED;
}

START_TEST(test_main_get_prints_value)
{
	ck_assert_int_eq(RUN_MAIN("tok", "get", "obj"), PROBE_REACHED);
	ck_assert_str_eq(last_call.verb, "get");
	ck_assert_str_eq(last_call.name, "obj");
	ck_assert_str_eq(captured, "321\n");
}
END_TEST

START_TEST(test_main_get_prints_nothing_on_failure)
{
	op_rc = PROBE_ABSENT;
	ck_assert_int_eq(RUN_MAIN("tok", "get", "obj"), PROBE_ABSENT);
	ck_assert_str_eq(captured, "");
}
END_TEST

START_TEST(test_main_passes_value_and_timeout)
{
	ck_assert_int_eq(RUN_MAIN("-t", "3", "path", "create", "/tmp/x", "32767"), PROBE_REACHED);
	ck_assert_str_eq(last_call.verb, "create");
	ck_assert_str_eq(last_call.name, "/tmp/x");
	ck_assert_uint_eq(last_call.value, 32767);
	ck_assert_uint_eq(last_call.timeout, 3);
	ck_assert_int_eq(RUN_MAIN("tok", "put", "obj", "0"), PROBE_REACHED);
	ck_assert_str_eq(last_call.verb, "put");
	ck_assert_uint_eq(last_call.value, 0);
}
END_TEST

START_TEST(test_main_op_code_passes_through)
{
	static const int codes[] = { PROBE_ABSENT, PROBE_ERROR, PROBE_UNSUPPORTED,
				     PROBE_TIMEOUT, PROBE_EXISTS };

	for (size_t k = 0; k < N_ELEMENTS(codes); k++) {
		op_rc = codes[k];
		ck_assert_int_eq(RUN_MAIN("tok", "remove", "obj"), codes[k]);
		ck_assert_int_eq(RUN_MAIN("tok", "stat", "obj"), codes[k]);
		ck_assert_int_eq(RUN_MAIN("tok", "address", "obj"), codes[k]);
	}
}
END_TEST

START_TEST(test_main_help)
{
	ck_assert_int_eq(RUN_MAIN("-h"), PROBE_REACHED);
	ck_assert_ptr_null(last_call.verb);
	ck_assert_msg(!strncmp(captured, "usage: fake ", 12), "help printed '%.40s'", captured);
	ck_assert_int_eq(RUN_MAIN("--help"), PROBE_REACHED);
	ck_assert_msg(!strncmp(captured, "usage: fake ", 12), "help printed '%.40s'", captured);
}
END_TEST

/* Every one of these is a usage error: exit 2, nothing dispatched, nothing
 * on stdout (the usage goes to stderr). */
static const char *const usage_cases[][6] = {
	{ NULL },
	{ "tok", NULL },
	{ "tok", "get", NULL },
	{ "nosuch", "get", "obj", NULL },
	{ "tok", "fetch", "obj", NULL },
	{ "tok", "get", "obj", "extra", NULL },
	{ "tok", "create", "obj", NULL },               /* missing VALUE */
	{ "tok", "put", "obj", "1", "2", NULL },
	{ "tok", "get", "", NULL },
	{ "tok", "get", "a/b", NULL },
	{ "tok", "get", "..", NULL },
	{ "tok", "get", "/abs", NULL },
	{ "path", "get", "rel/x", NULL },
	{ "path", "get", "/", NULL },
	{ "tok", "create", "obj", "-1", NULL },
	{ "tok", "create", "obj", "32768", NULL },
	{ "tok", "create", "obj", "1e3", NULL },
	{ "tok", "create", "obj", "", NULL },
	{ "-t", "0", "tok", "get", "obj", NULL },
	{ "-t", "3601", "tok", "get", "obj", NULL },
	{ "-t", "x", "tok", "get", "obj", NULL },
	{ "-t", NULL },
	{ "bare", "get", "obj", NULL },                  /* verb does not apply */
	{ "bare", "put", "obj", "1", NULL },
	{ "bare", "remove", "obj", NULL },
	{ "bare", "stat", "obj", NULL },
	{ "bare", "address", "obj", NULL },
};

START_TEST(test_main_usage_errors)
{
	char *argv[8] = { "fake" };
	int argc = 1;

	for (int k = 0; usage_cases[_i][k]; k++)
		argv[argc++] = (char *)usage_cases[_i][k];
	ck_assert_int_eq(run_main(argc, argv), PROBE_USAGE);
	ck_assert_str_eq(captured, "");
	ck_assert_ptr_null(last_call.verb);
}
END_TEST

/* ---- the runner ------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name, void (*setup)(void), void (*teardown)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup ? setup : reset_globals,
				  teardown ? teardown : reset_globals);
	suite_add_tcase(s, tc);
	return tc;
}

#define LOOP(tc, fn, table) tcase_add_loop_test(tc, fn, 0, (int)N_ELEMENTS(table))

/* A target pinned, alive: checks pass; its start time changed under the
 * same pid (what a reused pid looks like) or the process gone: errors. */
START_TEST(test_target_pin_check_exit)
{
	struct target t;
	int go[2], rc;
	pid_t pid;

	ck_assert_int_eq(pipe(go), 0);
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	rc = target_pin(&t, pid);
	if (rc == PROBE_UNSUPPORTED) { /* valgrind knows no pidfd_open */
		close(go[1]);
		ns_wait(pid, 5, "child");
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_ge(t.pidfd, 0);
	ck_assert_int_eq(target_check(&t), 0);
	t.start++; /* as if another process now had that pid */
	ck_assert_int_eq(target_check(&t), PROBE_ERROR);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "now names another process"));
	t.start--;
	close(go[1]); /* the child ends; a zombie, then reaped */
	ck_assert_int_eq(ns_wait(pid, 5, "child"), 0);
	ck_assert_int_eq(target_check(&t), PROBE_ERROR);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "exited during the measurement"));
	target_unpin(&t);
	ck_assert_int_eq(target_pin(&t, pid), PROBE_USAGE); /* gone: bad input */
	target_unpin(&t);
	ck_assert_int_eq(target_pin(&t, getpid()), 0); /* ourselves: pinnable */
	target_unpin(&t);
}
END_TEST

/* A zombie has exited: bad input, said so. */
START_TEST(test_target_pin_zombie)
{
	struct target t;
	siginfo_t info;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	/* waitid(WNOWAIT) waits for the exit without reaping: a zombie now */
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	ck_assert_int_eq(target_pin(&t, pid), PROBE_USAGE);
	ck_assert_ptr_nonnull(strstr(probe_last_message(), "has exited"));
	target_unpin(&t);
	waitpid(pid, NULL, 0);
}
END_TEST

/* The target's file, reached through a mount of the same filesystem on the
 * other side: the same path where it is mounted alike, another where the
 * other side sees it elsewhere (podman's /dev/shm), none where it has none. */
START_TEST(test_mounts_path_in)
{
	static const struct mount theirs[] = {
		{ 0, 50, "/", "/", "overlay" },
		{ 0, 60, "/", "/dev/shm", "tmpfs" },
		{ 8, 1, "/srv/data", "/data", "ext4" },
		{ 0, 70, "/", "/run", "tmpfs" },
	}, ours[] = {
		{ 8, 1, "/", "/", "ext4" },
		{ 0, 50, "/", "/var/lib/c/merged", "overlay" },
		{ 0, 60, "/", "/var/lib/c/userdata/shm", "tmpfs" },
		{ 8, 1, "/srv/data", "/data", "ext4" },
	};
	char out[PATH_MAX];

	ck_assert(mounts_path_in(theirs, 4, ours, 4, "/dev/shm", out, sizeof(out)));
	ck_assert_str_eq(out, "/var/lib/c/userdata/shm");
	ck_assert(mounts_path_in(theirs, 4, ours, 4, "/tmp", out, sizeof(out)));
	ck_assert_str_eq(out, "/var/lib/c/merged/tmp");
	ck_assert(mounts_path_in(theirs, 4, ours, 4, "/data", out, sizeof(out)));
	ck_assert_str_eq(out, "/data"); /* the same path wins over /srv/data */
	ck_assert(mounts_path_in(theirs, 4, ours, 4, "/data/x", out, sizeof(out)));
	ck_assert_str_eq(out, "/data/x");
	ck_assert(!mounts_path_in(theirs, 4, ours, 4, "/run", out, sizeof(out)));
	ck_assert(mounts_pseudo_fs("proc") && !mounts_pseudo_fs("tmpfs"));
}
END_TEST

/* Our own mountinfo parses, escapes undone: / is there. */
START_TEST(test_mounts_read_self)
{
	struct mount *m;
	size_t n;
	bool root = false;

	ck_assert_int_eq(mounts_read(0, &m, &n), 0);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		root = root || !strcmp(m[i].point, "/");
	free(m);
	ck_assert(root);
	ck_assert_int_eq(mounts_read(999999999, &m, &n), -1);
}
END_TEST

static Suite *probe_lib_suite(void)
{
	Suite *s = suite_create("probe-lib");
	TCase *tc;

	tc = tcase(s, "contract", NULL, NULL);
	tcase_add_test(tc, test_exit_codes_are_the_documented_numbers);
	tcase_add_test(tc, test_limits_are_the_documented_numbers);

	tc = tcase(s, "parse", NULL, NULL);
	LOOP(tc, test_parse_uint_table, uint_cases);
	tcase_add_test(tc, test_parse_uint_null);
	LOOP(tc, test_parse_value_table, value_cases);
	LOOP(tc, test_parse_pid_table, pid_cases);
	tcase_add_test(tc, test_parse_pid_null);

	tc = tcase(s, "init", NULL, NULL);
	tcase_add_test(tc, test_init_takes_basename_and_default_timeout);
	tcase_add_test(tc, test_init_reads_ipcns_timeout);
	LOOP(tc, test_init_rejects_bad_ipcns_timeout, bad_timeouts);
	tcase_add_test(tc, test_set_timeout);

	tc = tcase(s, "names", NULL, NULL);
	LOOP(tc, test_valid_token_table, token_cases);
	tcase_add_test(tc, test_valid_token_lengths);
	tcase_add_test(tc, test_valid_token_null);
	LOOP(tc, test_valid_path_table, path_cases);
	tcase_add_test(tc, test_valid_path_lengths);
	tcase_add_test(tc, test_valid_path_null);
	tcase_add_test(tc, test_sysv_key_is_fnv1a);
	tcase_add_test(tc, test_sysv_key_is_never_ipc_private);
	tcase_add_test(tc, test_sysv_key_differs_between_names);
	tcase_add_test(tc, test_posix_name_adds_slash);
	tcase_add_test(tc, test_posix_name_truncates_safely);

	tc = tcase(s, "values", NULL, NULL);
	LOOP(tc, test_value_round_trip, round_trip_values);
	tcase_add_test(tc, test_format_value_text);
	LOOP(tc, test_scan_value_table, scan_cases);

	tc = tcase(s, "errno", NULL, NULL);
	LOOP(tc, test_errno_class_table, errno_cases);
	tcase_add_test(tc, test_errno_name);
	tcase_add_test(tc, test_fail_returns_its_code);
	tcase_add_test(tc, test_last_message_keeps_the_diagnostic);
	tcase_add_test(tc, test_unsupported_names_the_kconfig);

	tc = tcase(s, "ns-options", NULL, NULL);
	LOOP(tc, test_entry_round_trip, entry_cases);
	LOOP(tc, test_entry_rejects, bad_entries);
	tcase_add_test(tc, test_entry_rejects_null);
	LOOP(tc, test_parse_option_table, option_cases);
	tcase_add_test(tc, test_parse_option_accumulates);
	LOOP(tc, test_check_spec_table, spec_cases);
	tcase_add_test(tc, test_ns_inode);
	tcase_add_test(tc, test_ns_refusal);
	tcase_add_test(tc, test_cells_table);
	tcase_add_test(tc, test_peer_round_trip);
	tcase_add_test(tc, test_peer_eof);
	tcase_add_test(tc, test_peer_in_new_namespace);
	tcase_add_test(tc, test_cells_note);
	tcase_add_test(tc, test_peer_clone);
	tcase_add_test(tc, test_harness_main);
	tcase_add_test(tc, test_harness_run_answers_the_rest);
	tcase_add_test(tc, test_harness_userns_run_answers_its_cell);
	tcase_add_test(tc, test_drop_root);
	tcase_add_test(tc, test_target_pin_check_exit);
	tcase_add_test(tc, test_target_pin_zombie);
	tcase_add_test(tc, test_mounts_path_in);
	tcase_add_test(tc, test_mounts_read_self);

	tc = tcase(s, "checkpoint", open_pipe, close_pipe);
	tcase_add_test(tc, test_checkpoint_right_byte);
	tcase_add_test(tc, test_checkpoint_sequence);
	tcase_add_test(tc, test_checkpoint_wrong_byte);
	tcase_add_test(tc, test_checkpoint_eof);
	tcase_add_test(tc, test_checkpoint_byte_then_eof);
	tcase_add_test(tc, test_checkpoint_give_up_hands_over_the_reason);
	tcase_add_test(tc, test_checkpoint_give_up_hands_over_the_longest_reason);
	tcase_add_test(tc, test_checkpoint_timeout);
	tcase_add_test(tc, test_checkpoint_write_to_closed_pipe);
	tcase_add_test(tc, test_wait_fd_ready);

	tc = tcase(s, "sysctl", sysctl_setup, sysctl_teardown);
	tcase_add_test(tc, test_sysctl_values);
	tcase_add_test(tc, test_sysctl_write_refuses_the_start_namespace);
	tcase_add_test(tc, test_sysctl_missing_names_the_option);
	tcase_add_test(tc, test_sysctl_check_restores);
	tc = tcase(s, "probe_main", main_setup, reset_globals);
	tcase_add_test(tc, test_main_get_prints_value);
	tcase_add_test(tc, test_main_get_prints_nothing_on_failure);
	tcase_add_test(tc, test_main_passes_value_and_timeout);
	tcase_add_test(tc, test_main_op_code_passes_through);
	tcase_add_test(tc, test_main_help);
	LOOP(tc, test_main_usage_errors, usage_cases);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(probe_lib_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
