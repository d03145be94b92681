/* SPDX-License-Identifier: MIT */
#include "sysctl-probe.h"
#include "cells.h"
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct ipc_sysctl *sysctl_cell[SYSCTL_COUNT];
size_t sysctl_ncells;
bool sysctl_rootless;
struct sysctl_value sysctl_before[SYSCTL_COUNT], sysctl_wrote[SYSCTL_COUNT];

bool sysctl_open(size_t k)
{
	return !cell_at(k)->done;
}

const char *sysctl_text(size_t k, const struct sysctl_value *v, char *buf)
{
	return sysctl_show(sysctl_cell[k], v, ' ', buf);
}

bool sysctl_read_or_set(size_t k, struct sysctl_value *v, const char *who)
{
	int err = sysctl_read(sysctl_cell[k], -1, v);

	if (err)
		cell_set(k, "", "%s could not read %s: %s", who, sysctl_cell[k]->name,
			 probe_errno_name(err));
	return !err;
}

bool sysctl_write_checked(size_t k, const char *who)
{
	char want[SYSCTL_TEXT_MAX], got[SYSCTL_TEXT_MAX];
	struct sysctl_value back;
	const char *call;
	int err = sysctl_write(sysctl_cell[k], &sysctl_wrote[k], &call);

	sysctl_text(k, &sysctl_wrote[k], want);
	if (err && sysctl_rootless && (err == EACCES || err == EPERM))
		cell_set(k, "skip", "this kernel lets only global root write IPC sysctls (%s %s "
			 "as root of the owning user namespace: %s)", call, want,
			 probe_errno_name(err));
	else if (err)
		cell_set(k, "", "positive control failed: %s could not write %s: %s: %s", who, want,
			 call, probe_errno_name(err));
	else if ((err = sysctl_read(sysctl_cell[k], -1, &back)) ||
		 !sysctl_same(&back, &sysctl_wrote[k]))
		cell_set(k, "", "positive control failed: %s wrote %s but read back %s", who, want,
			 err ? probe_errno_name(err) : sysctl_text(k, &back, got));
	else
		return true;
	return false;
}

void sysctl_read_and_pick(const char *who)
{
	for (size_t k = 0; k < sysctl_ncells; k++)
		if (sysctl_open(k) && sysctl_read_or_set(k, &sysctl_before[k], who))
			sysctl_wrote[k] = sysctl_step(sysctl_cell[k], &sysctl_before[k]);
}

void sysctl_finish(pid_t pid, unsigned levels, const char *who)
{
	int rc = ns_wait(pid, probe_timeout() * levels, who);

	if (rc)
		cells_rest("", "%s ended with exit %d before measuring", who, rc);
}

void sysctl_run_in_ns(unsigned want, ns_child_fn fn, void *arg, unsigned levels,
		      const char *who)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	pid_t pid;
	int rc = ns_start(&spec, fn, arg, &pid);

	if (rc) /* ns_start's own words, which name what would enable it */
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "making %s: %s", who,
			   probe_last_message());
	else
		sysctl_finish(pid, levels, who);
}

static const char *usage_text; /* the probe's own part */

static void usage(FILE *f)
{
	fprintf(f, "%s%s", usage_text,
		"  SYSCTL    kernel.{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni,shm_rmid_forced,\n"
		"            msg_next_id,sem_next_id,shm_next_id}, fs.mqueue.{queues_max,msg_max,\n"
		"            msgsize_max,msg_default,msgsize_default}\n"
		"  -t        bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT); a\n"
		"            process that waits for others gets a multiple of it\n"
		"The host's values are never written; one that changes anyway is put back and\n"
		"the probe exits 3. IPCNS_SYSCTL_DIR replaces /proc/sys (for the project's\n"
		"tests: a directory of plain files, which no namespace isolates).\n"
		"exit: 0 measured (whatever was observed), 2 usage, 3 error or a host value\n"
		"      changed\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s%s%.64s%s\n", probe_prog, what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "");
	usage(stderr);
	return PROBE_USAGE;
}

/* SCENARIO and the sysctls asked for, as cells in table order. */
static int parse_args(int argc, char **argv, const struct sysctl_scenario *scenarios,
		      const struct sysctl_scenario **s)
{
	bool asked[SYSCTL_COUNT] = { false }, all = true;
	int i = 1;

	if (probe_take_timeout(argc, argv, &i)) {
		usage(stderr);
		return PROBE_USAGE;
	}
	if (i >= argc)
		return usage_error("missing SCENARIO", NULL);
	for (*s = scenarios; (*s)->name && strcmp(argv[i], (*s)->name); (*s)++)
		;
	if (!(*s)->name)
		return usage_error("unknown scenario", argv[i]);
	for (i++; i < argc; i++, all = false) {
		const struct ipc_sysctl *one = sysctl_find(argv[i]);

		if (!one)
			return usage_error("unknown sysctl", argv[i]);
		asked[one - sysctl_table] = true;
	}
	if (!sysctl_init())
		return usage_error("IPCNS_SYSCTL_DIR is not an absolute path of at most "
				   "200 bytes:", getenv("IPCNS_SYSCTL_DIR"));
	if (cells_init())
		return PROBE_ERROR;
	for (size_t k = 0; k < SYSCTL_COUNT; k++)
		if (all || asked[k]) /* cell sysctl_ncells */
			cell_declare((sysctl_cell[sysctl_ncells++] = &sysctl_table[k])->name,
				     (*s)->name, (*s)->entry,
				     sysctl_rootless || (*s)->userns ? "ipc+user" : "ipc");
	return PROBE_REACHED;
}

int sysctl_probe_main(int argc, char **argv, const char *own_usage,
		      const struct sysctl_scenario *scenarios)
{
	const struct sysctl_scenario *s;
	int rc = probe_init(argv[0]);
	bool skip;

	usage_text = own_usage;
	if (rc || (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		usage(rc ? stderr : stdout); /* IPCNS_TIMEOUT was malformed, or help */
		return rc;
	}
	sysctl_rootless = getuid() != 0;
	if ((rc = parse_args(argc, argv, scenarios, &s)))
		return rc;
	sysctl_host_snapshot();
	for (size_t k = 0; k < sysctl_ncells; k++) {
		const char *why = sysctl_host_missing(sysctl_cell[k], &skip);

		if (why)
			cell_set(k, skip ? "skip" : "", "%s", why);
	}
	s->run();
	rc = cells_print();
	return sysctl_host_check() ? PROBE_ERROR : rc;
}
