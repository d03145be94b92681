/* SPDX-License-Identifier: MIT
 *
 * The command line of the named mechanisms' probes (probe-sysv, probe-posix,
 * probe-endpoint): "[-t SECONDS] MECH VERB NAME [VALUE]", checked, then
 * dispatched to the family's table (mech.h).
 */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

pid_t probe_server_pid;

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
