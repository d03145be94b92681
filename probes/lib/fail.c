/* SPDX-License-Identifier: MIT
 *
 * Diagnostics: naming an errno, the exit code it means, and "PROG: what:
 * ENAME (text)", with the kernel option to enable when the kernel lacks it.
 */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *probe_kconfig;
bool probe_quiet;
static char last_message[PROBE_MESSAGE_MAX];

const char *probe_last_message(void)
{
	return last_message;
}

void probe_keep_message(const char *msg)
{
	snprintf(last_message, sizeof(last_message), "%s", msg);
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
