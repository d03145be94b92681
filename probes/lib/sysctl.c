/* SPDX-License-Identifier: MIT */
#include "sysctl.h"
#include "cells.h"
#include "harness.h"
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* *_next_id: older kernels take nothing below 0, so -1 steps up to 0. */
const struct ipc_sysctl sysctl_table[SYSCTL_COUNT] = {
	{ "kernel.msgmax", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msgmnb", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msgmni", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.sem", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.shmmax", "CONFIG_SYSVIPC", 0, false },
	{ "kernel.shmall", "CONFIG_SYSVIPC", 0, false },
	{ "kernel.shmmni", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.shm_rmid_forced", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msg_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "kernel.sem_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "kernel.shm_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "fs.mqueue.queues_max", "CONFIG_POSIX_MQUEUE", 0, true },
	{ "fs.mqueue.msg_max", "CONFIG_POSIX_MQUEUE", 1, true },
	{ "fs.mqueue.msgsize_max", "CONFIG_POSIX_MQUEUE", 128, true },
	{ "fs.mqueue.msg_default", "CONFIG_POSIX_MQUEUE", 1, true },
	{ "fs.mqueue.msgsize_default", "CONFIG_POSIX_MQUEUE", 128, true },
};

static const char *dir = "/proc/sys";
static unsigned long start_ipc; /* the IPC namespace the probe started in */
static struct sysctl_value host[SYSCTL_COUNT];
static int host_err[SYSCTL_COUNT];
static bool snapped; /* no net before a snapshot: nothing to compare with */

bool sysctl_init(void)
{
	const char *env = getenv("IPCNS_SYSCTL_DIR");

	start_ipc = ns_inode(0, "ipc"); /* 0 without CONFIG_IPC_NS: no write anywhere */
	if (env && (env[0] != '/' || strlen(env) > 200))
		return false;
	dir = env ? env : dir;
	return true;
}

const struct ipc_sysctl *sysctl_find(const char *name)
{
	for (size_t i = 0; i < SYSCTL_COUNT; i++)
		if (!strcmp(name, sysctl_table[i].name))
			return &sysctl_table[i];
	return NULL;
}

void sysctl_path(const struct ipc_sysctl *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, s->name);
	for (char *p = buf + strlen(dir) + 1; *p; p++)
		if (*p == '.')
			*p = '/';
}

static bool parse(const struct ipc_sysctl *s, const char *p, struct sysctl_value *v)
{
	char *end;

	for (v->n = 0;; p = end) {
		p += strspn(p, " \t\n");
		if (!*p)
			return v->n > 0;
		if (v->n == SYSCTL_FIELDS || (!s->is_signed && *p == '-'))
			return false;
		errno = 0;
		v->f[v->n++] = s->is_signed ? (unsigned long long)strtoll(p, &end, 10)
					    : strtoull(p, &end, 10);
		if (errno || end == p)
			return false;
	}
}

int sysctl_read(const struct ipc_sysctl *s, int fd, struct sysctl_value *v)
{
	char path[256], buf[SYSCTL_TEXT_MAX];
	int own = -1, err = 0;
	ssize_t n;

	sysctl_path(s, path, sizeof(path));
	if (fd < 0 && (fd = own = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		err = errno;
	else
		buf[n] = '\0';
	if (own >= 0)
		close(own);
	return err ? err : parse(s, buf, v) ? 0 : EBADMSG;
}

const char *sysctl_show(const struct ipc_sysctl *s, const struct sysctl_value *v, char sep,
			char *buf)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < v->n && off + 1 < SYSCTL_TEXT_MAX; k++) {
		if (k)
			buf[off++] = sep;
		if (s->is_signed)
			snprintf(buf + off, SYSCTL_TEXT_MAX - off, "%lld", (long long)v->f[k]);
		else
			snprintf(buf + off, SYSCTL_TEXT_MAX - off, "%llu", v->f[k]);
		off += strlen(buf + off);
	}
	return buf;
}

/* The one place a sysctl file is opened for writing. */
static int put(const struct ipc_sysctl *s, const struct sysctl_value *v, const char **call)
{
	char path[256], text[SYSCTL_TEXT_MAX + 1];
	int fd, err = 0;
	size_t len;

	sysctl_path(s, path, sizeof(path));
	len = strlen(sysctl_show(s, v, ' ', text));
	text[len++] = '\n';
	*call = "open(O_WRONLY)";
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno;
	*call = "write";
	errno = EIO; /* what a short write means */
	if (write(fd, text, len) != (ssize_t)len)
		err = errno;
	close(fd);
	return err;
}

int sysctl_write(const struct ipc_sysctl *s, const struct sysctl_value *v, const char **call)
{
	unsigned long ipc = ns_inode(0, "ipc");

	if (!ipc || ipc == start_ipc) {
		probe_fail(PROBE_ERROR, "BUG: refusing to write %s outside a namespace this "
			   "probe made (ipc inode %lu)", s->name, ipc);
		_exit(PROBE_ERROR);
	}
	return put(s, v, call);
}

bool sysctl_same(const struct sysctl_value *a, const struct sysctl_value *b)
{
	return a->n == b->n && !memcmp(a->f, b->f, sizeof(a->f[0]) * (size_t)a->n);
}

struct sysctl_value sysctl_step(const struct ipc_sysctl *s, const struct sysctl_value *v)
{
	struct sysctl_value d = *v;

	for (int k = 0; k < d.n; k++) {
		bool at_floor = s->is_signed ? (long long)d.f[k] <= s->floor
					     : d.f[k] <= (unsigned long long)s->floor;
		d.f[k] = at_floor ? d.f[k] + 1 : d.f[k] - 1;
	}
	return d;
}

void sysctl_host_snapshot(void)
{
	for (size_t i = 0; i < SYSCTL_COUNT; i++)
		host_err[i] = sysctl_read(&sysctl_table[i], -1, &host[i]);
	snapped = true;
}

const char *sysctl_host_missing(const struct ipc_sysctl *s, bool *skip)
{
	static char why[600];
	bool mq = !strncmp(s->name, "fs.", 3);
	const char *group = mq ? "CONFIG_POSIX_MQUEUE" : "CONFIG_SYSVIPC";
	char path[256], base[256];
	int err = host_err[s - sysctl_table];

	*skip = false;
	if (!err)
		return NULL;
	sysctl_path(s, path, sizeof(path));
	/* All of a group's files come with its option: the group's first file
	 * (a directory, for queues) tells which option is off. */
	snprintf(base, sizeof(base), "%s/%s", dir, mq ? "fs/mqueue" : "kernel/msgmax");
	*skip = err == ENOENT && (access(base, F_OK) || strcmp(s->needs, group));
	if (!*skip)
		snprintf(why, sizeof(why), "reading the host's %s: %s", path,
			 probe_errno_name(err));
	else if (access(base, F_OK))
		snprintf(why, sizeof(why), "no %s: this kernel lacks %s (%s is off)", base,
			 mq ? "POSIX message queues" : "System V IPC", group);
	else
		snprintf(why, sizeof(why), "no %s on this kernel (%s is off)", path, s->needs);
	return why;
}

int sysctl_host_check(void)
{
	char was[SYSCTL_TEXT_MAX], is[SYSCTL_TEXT_MAX], outcome[96];
	struct sysctl_value now;
	const char *call = "read";
	int changed = 0, err;

	for (size_t i = 0; i < SYSCTL_COUNT && snapped; i++) {
		const struct ipc_sysctl *s = &sysctl_table[i];

		if (host_err[i])
			continue; /* not there at the start: nothing to compare */
		if (!(err = sysctl_read(s, -1, &now)) && sysctl_same(&now, &host[i]))
			continue;
		changed++;
		sysctl_show(s, &host[i], ' ', was);
		if (err)
			snprintf(is, sizeof(is), "unreadable: %s", probe_errno_name(err));
		else
			sysctl_show(s, &now, ' ', is);
		err = err ? err : put(s, &host[i], &call); /* the host's own value, back */
		if (err)
			snprintf(outcome, sizeof(outcome), "could NOT restore it (%s: %s)", call,
				 probe_errno_name(err));
		else
			snprintf(outcome, sizeof(outcome), "restored it");
		probe_fail(PROBE_ERROR, "SAFETY: the host's %s changed during this run (was %s, "
			   "now %s): a write was not isolated; %s", s->name, was, is, outcome);
	}
	return changed ? PROBE_ERROR : PROBE_REACHED;
}

/* ---- the sysctl probes ---------------------------------------------------- */

const struct ipc_sysctl *sysctl_cell[SYSCTL_COUNT];
size_t sysctl_ncells;
struct sysctl_value sysctl_before[SYSCTL_COUNT], sysctl_wrote[SYSCTL_COUNT];
static const struct sysctl_scenario *scenario_list, *scenario;

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
	if (err && harness_rootless() && (err == EACCES || err == EPERM))
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

/* SCENARIO and the sysctls asked for, as cells in table order. */
static int args(int argc, char **argv)
{
	bool asked[SYSCTL_COUNT] = { false }, all = argc < 2;

	if (argc < 1)
		return harness_usage_error("missing SCENARIO", NULL);
	for (scenario = scenario_list; scenario->name && strcmp(argv[0], scenario->name);)
		scenario++;
	if (!scenario->name)
		return harness_usage_error("unknown scenario ", argv[0]);
	for (int i = 1; i < argc; i++) {
		const struct ipc_sysctl *one = sysctl_find(argv[i]);

		if (!one)
			return harness_usage_error("unknown sysctl ", argv[i]);
		asked[one - sysctl_table] = true;
	}
	if (!sysctl_init())
		return harness_usage_error("IPCNS_SYSCTL_DIR is not an absolute path of at most "
					   "200 bytes: ", getenv("IPCNS_SYSCTL_DIR"));
	for (size_t k = 0; k < SYSCTL_COUNT; k++)
		if (all || asked[k]) /* cell sysctl_ncells */
			cell_declare((sysctl_cell[sysctl_ncells++] = &sysctl_table[k])->name,
				     scenario->name, scenario->entry,
				     scenario->userns ? "ipc+user" : harness_ns());
	return PROBE_REACHED;
}

static int prepare(void)
{
	bool skip;

	sysctl_host_snapshot();
	for (size_t k = 0; k < sysctl_ncells; k++) {
		const char *why = sysctl_host_missing(sysctl_cell[k], &skip);

		if (why)
			cell_set(k, skip ? "skip" : "", "%s", why);
	}
	return PROBE_REACHED;
}

static int measure(void)
{
	return scenario->run();
}

int sysctl_probe_main(int argc, char **argv, const char *usage,
		      const struct sysctl_scenario *scenarios)
{
	const struct harness h = { .usage = usage, .args = args, .prepare = prepare,
				   .measure = measure, .on_host = true,
				   .finish = sysctl_host_check };

	scenario_list = scenarios;
	return harness_main(&h, argc, argv);
}
