/* SPDX-License-Identifier: MIT
 *
 * What the sysctl probes (probe-sysctl-defaults, probe-sysctl-writes) share
 * beyond the files themselves (sysctl.h): their command line
 *   PROBE [-t SECONDS] SCENARIO [SYSCTL...]
 * a cell a sysctl asked for, declared before anything is measured (cells.h),
 * the host's net around the run, and the steps of their scenarios: A is a new
 * IPC namespace the probe makes; A reads each value and picks a distinct one
 * for whichever side writes; a write is read back (its positive control).
 */
#ifndef IPCNS_SYSCTL_PROBE_H
#define IPCNS_SYSCTL_PROBE_H

#include "ns.h"
#include "sysctl.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sysctl_scenario {
	const char *name;
	const char *entry; /* the cells' entry point: "clone", "unshare" */
	bool userns;       /* its namespaces are always owned by a new user namespace */
	void (*run)(void); /* measures every open cell */
};

/* Parses the command line, declares the cells, reads the host's values (a
 * missing file is a skip naming the option), runs the scenario asked for,
 * prints the cells and checks the host. Exit: 0, 2 usage, 3 error or a host
 * value changed. OWN_USAGE (the usage line and the scenarios) is printed,
 * followed by what the probes share (SYSCTL, -t, the host, exit codes), for
 * -h and with every usage error; SCENARIOS ends with a { NULL } entry. */
int sysctl_probe_main(int argc, char **argv, const char *own_usage,
		      const struct sysctl_scenario *scenarios);

/* Cell K measures sysctl_cell[K] (in table order). */
extern const struct ipc_sysctl *sysctl_cell[SYSCTL_COUNT];
extern size_t sysctl_ncells;
extern bool sysctl_rootless; /* run by anyone but root: every namespace has a user one */
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

/* FN in a new IPC namespace made through clone (owned by a new user
 * namespace when WANT has NS_WANT_USER), waited for LEVELS bounds (a process
 * that waits for others gets more). If it cannot be made, or ends badly,
 * every open cell says why (a skip naming what would enable it). */
void sysctl_run_in_ns(unsigned want, ns_child_fn fn, void *arg, unsigned levels,
		      const char *who);

/* Waits LEVELS bounds for PID; should it end badly, every open cell says so. */
void sysctl_finish(pid_t pid, unsigned levels, const char *who);

#endif
