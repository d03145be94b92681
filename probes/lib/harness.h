/* SPDX-License-Identifier: MIT
 *
 * The harness of a probe that measures one topic's cells in a sandbox: an
 * IPC namespace of its own (owned by a new user namespace when the caller
 * is not root), so that what it makes dies with it. The harness parses
 * "PROBE [-t SECONDS]", declares every cell of the probe (lib/cells.h),
 * makes the sandbox through the probe's entry point, runs the measurement
 * there, and prints every cell. Where the sandbox cannot be made, every
 * cell gets ns_start's reason: "skip" when this kernel or privilege does not
 * offer it (the reason names what would), "" when something broke.
 *
 * exit: 0 measured (whatever was observed), 2 usage (on stderr), 3 the probe
 * broke (the sandbox died or hung; the cells it left say so).
 */
#ifndef IPCNS_HARNESS_H
#define IPCNS_HARNESS_H

#include "ns.h"

#include <stddef.h>

/* What a kernel built without an option says (ENOSYS), in a skip's words:
 * suites/lib.sh confirm_skip checks "CONFIG_X is off" against its config. */
#define LACKS_SYSVIPC "this kernel lacks SysV IPC (CONFIG_SYSVIPC is off)"
#define LACKS_MQUEUE "this kernel lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"

struct harness {
	/* "usage: PROBE [-t SECONDS]\n" and what it measures; the harness adds
	 * the output format, -t and the exit codes */
	const char *usage;
	enum ns_entry entry;   /* how the sandbox is made (the cells' entry, often) */
	/* Every cell, in order (the index measure answers), "MECH SCEN ENTRY"
	 * and ";" between them; a fourth word for other namespaces than the
	 * sandbox's (harness_ns) */
	const char *cells;
	int (*prepare)(void);  /* on the host, once the cells are declared: what
				* must be made there; 0 or an exit code; may be NULL */
	void (*measure)(void); /* in the sandbox: answer the cells, by their index */
	void (*finish)(void);  /* on the host, afterwards; may be NULL */
};

int harness_main(const struct harness *h, int argc, char **argv);

/* The namespaces of the cells measured in the sandbox: "ipc", or
 * "ipc+user" when it comes with a user namespace. */
const char *harness_ns(void);

/* The inode of the IPC namespace the probe started in: never the sandbox's. */
unsigned long harness_host_ipc(void);

/* A child's errno as a message (0 when RC, a call's return, is not < 0),
 * and its name ("ok" for 0). */
long errno_of(int rc);
const char *errno_word(long err);

/* Answers cell I after CALL failed with ERR: "skip" with LACKS (the words
 * above) when ERR is ENOSYS, else "" with the errno. */
void cell_lacks(size_t i, long err, const char *call, const char *lacks);

/* ns_hold, answering the N cells CELLS with its reason when it fails. 0, or
 * its exit code. */
int hold_or_answer(unsigned want, int *ipc, int *user, const size_t *cells, size_t n);

#endif
