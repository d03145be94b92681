/* SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the probes' argument parsing: the input, split at NUL
 * bytes, is an argv for probe_main (over a family whose verbs do nothing)
 * and for the namespace options' parser. Whatever it is, parsing must end
 * with a code of the contract, never a crash or a read out of bounds.
 * Run it with -close_fd_mask=3 (tools/fuzz.sh does): usage texts by the
 * million would drown libFuzzer's own report.
 */
#include "ns.h"
#include "probe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 16

static int op_value(const char *n, unsigned v) { (void)n; (void)v; return PROBE_REACHED; }
static int op_get(const char *n, unsigned *v) { (void)n; *v = 1; return PROBE_REACHED; }
static int op_name(const char *n) { (void)n; return PROBE_REACHED; }

static const struct probe_mech mechs[] = {
	{ "tok", NAME_TOKEN, op_value, op_get, op_value, op_name, op_name, op_name, NULL },
	{ "path", NAME_PATH, op_value, op_get, NULL, NULL, NULL, NULL, NULL },
};
static const struct probe_family fam = { "fuzz", "fuzzing", mechs, 2, "" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *args[MAX_ARGS + 2] = { "fuzz" };
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE };
	int argc = 1, rc, i = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; p <= buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;

	rc = probe_main(&fam, argc, args);
	alarm(0); /* probe_main arms a deadline for its verb */
	if (rc < PROBE_REACHED || rc > PROBE_EXISTS)
		abort();
	while (i < argc && (rc = ns_parse_option(argc, args, &i, &spec)) == 1)
		;
	if (rc != 0 && rc != 1 && rc != PROBE_USAGE)
		abort();
	rc = ns_check_spec(&spec);
	if (rc != PROBE_REACHED && rc != PROBE_USAGE)
		abort();
	probe_set_timeout(PROBE_TIMEOUT_DEFAULT);
	free(buf);
	return 0;
}
