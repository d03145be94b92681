/* SPDX-License-Identifier: MIT
 *
 * What a probe's arguments may be, and what they become: numbers, the
 * values objects carry, object names and their kernel names.
 */
#include "probe.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
