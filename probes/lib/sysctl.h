/* SPDX-License-Identifier: MIT
 *
 * The 16 per-namespace IPC sysctls: their table, their values (kernel.sem
 * holds four numbers), and reading and writing them. Every write goes through
 * sysctl_write, which refuses outright in the IPC namespace the probe started
 * in; as a net, the host's values are read at the start (sysctl_host_snapshot)
 * and compared at the end (sysctl_host_check), which puts a changed one back.
 *
 * Then what the sysctl probes (probe-sysctl-defaults, probe-sysctl-writes)
 * share beyond the files: their command line
 *   PROBE [-t SECONDS] SCENARIO [SYSCTL...]
 * through the harness (lib/harness.h), a cell a sysctl asked for, and the
 * steps of their scenarios: A is a new IPC namespace the probe makes; A
 * reads each value and picks a distinct one for whichever side writes; a
 * write is read back (its positive control).
 */
#ifndef IPCNS_SYSCTL_H
#define IPCNS_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#define SYSCTL_COUNT 16
#define SYSCTL_FIELDS 4    /* kernel.sem holds four numbers */
#define SYSCTL_TEXT_MAX 96 /* a value as text */

struct ipc_sysctl {
	const char *name;  /* dotted: also the cell's mechanism */
	const char *needs; /* the kernel option that provides the file */
	long long floor;   /* the smallest value the kernel takes */
	bool is_signed;    /* int fields; shmmax and shmall are unsigned long */
};

extern const struct ipc_sysctl sysctl_table[SYSCTL_COUNT];

struct sysctl_value {
	int n;
	unsigned long long f[SYSCTL_FIELDS]; /* signed fields in two's complement */
};

/* Where the files are (IPCNS_SYSCTL_DIR, for the project's tests: a directory
 * of plain files, which no namespace isolates; else /proc/sys), and the IPC
 * namespace the probe starts in: the one it never writes in. false when
 * IPCNS_SYSCTL_DIR is not an absolute path of at most 200 bytes. */
bool sysctl_init(void);

/* The sysctl of that dotted name, or NULL. */
const struct ipc_sysctl *sysctl_find(const char *name);

void sysctl_path(const struct ipc_sysctl *s, char *buf, size_t len);

/* Reads FD, or a fresh open when FD < 0: 0, or an errno (EBADMSG: the file
 * does not hold numbers). */
int sysctl_read(const struct ipc_sysctl *s, int fd, struct sysctl_value *v);

/* Writes V: 0, or an errno with *CALL naming the call that failed. In the IPC
 * namespace the probe started in (or where its inode cannot be read) it
 * refuses, says so and ends the process with exit 3. */
int sysctl_write(const struct ipc_sysctl *s, const struct sysctl_value *v, const char **call);

/* V as text in BUF (SYSCTL_TEXT_MAX bytes), its numbers separated by SEP:
 * ' ' as written, '_' as a cell reports it. Returns BUF. */
const char *sysctl_show(const struct ipc_sysctl *s, const struct sysctl_value *v, char sep,
			char *buf);

bool sysctl_same(const struct sysctl_value *a, const struct sysctl_value *b);

/* A value the kernel takes that differs from V: each number one down, or one
 * up where it sits at the kernel's minimum. */
struct sysctl_value sysctl_step(const struct ipc_sysctl *s, const struct sysctl_value *v);

/* Reads the host's value of every sysctl, to compare at the end. */
void sysctl_host_snapshot(void);

/* NULL when the snapshot read S; else why not, in words for a cell. *SKIP is
 * set when the file does not exist, and the words then name the kernel option
 * responsible ("... (CONFIG_POSIX_MQUEUE is off)"). */
const char *sysctl_host_missing(const struct ipc_sysctl *s, bool *skip);

/* The net: a host value that differs from the snapshot is put back and
 * reported ("SAFETY: ..."). PROBE_REACHED, or PROBE_ERROR when one changed. */
int sysctl_host_check(void);

/* ---- the sysctl probes ------------------------------------------------ */

/* What the probes' usage says after their own part. */
#define SYSCTL_USAGE \
	"  SYSCTL    kernel.{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni,shm_rmid_forced,\n" \
	"            msg_next_id,sem_next_id,shm_next_id}, fs.mqueue.{queues_max,msg_max,\n" \
	"            msgsize_max,msg_default,msgsize_default}\n" \
	"The host's values are never written; one that changes anyway is put back and\n" \
	"the probe exits 3. IPCNS_SYSCTL_DIR replaces /proc/sys (for the project's\n" \
	"tests: a directory of plain files, which no namespace isolates). A process\n" \
	"that waits for others waits a multiple of -t.\n"

struct sysctl_scenario {
	const char *name;
	const char *entry; /* the cells' entry point: "clone", "unshare" */
	bool userns;       /* its namespaces are always owned by a new user namespace */
	int (*run)(void);  /* on the host: measures every open cell */
};

/* harness_main with the sysctl probes' arguments: declares the cells, reads
 * the host's values (a missing file is a skip naming the option), runs the
 * scenario asked for, prints the cells and checks the host. USAGE ends with
 * SYSCTL_USAGE; SCENARIOS with a { NULL } entry. */
int sysctl_probe_main(int argc, char **argv, const char *usage,
		      const struct sysctl_scenario *scenarios);

/* Cell K measures sysctl_cell[K] (in table order). */
extern const struct ipc_sysctl *sysctl_cell[SYSCTL_COUNT];
extern size_t sysctl_ncells;
extern struct sysctl_value sysctl_before[SYSCTL_COUNT]; /* A's value before anyone wrote */
extern struct sysctl_value sysctl_wrote[SYSCTL_COUNT];  /* the distinct value written */

/* Cell K has no answer yet. */
bool sysctl_open(size_t k);

/* Cell K's value V as text in BUF (SYSCTL_TEXT_MAX bytes), ' ' between numbers. */
const char *sysctl_text(size_t k, const struct sysctl_value *v, char *buf);

/* Reads cell K's sysctl, or answers the cell with why WHO could not. */
bool sysctl_read_or_set(size_t k, struct sysctl_value *v, const char *who);

/* WHO writes sysctl_wrote[K] and must read it back; else the cell says why
 * (a skip where an ordinary user's namespace root may not write). */
bool sysctl_write_checked(size_t k, const char *who);

/* WHO reads each open cell's value into sysctl_before and picks sysctl_wrote. */
void sysctl_read_and_pick(const char *who);

#endif
