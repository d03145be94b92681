/* SPDX-License-Identifier: MIT
 *
 * The harness of the probes that measure many cells in one process, in the
 * spirit of LTP's tst_test: the cells are declared before anything is
 * measured, in memory shared with every child, so that whichever process
 * measures a cell fills it in, a child that dies does not take its answer
 * along, and whatever is left unanswered is printed with one reason. The
 * record therefore always has every declared cell.
 *
 * A cell's answer is an observed word ("isolated", "survives", ...), "skip"
 * (the kernel or privilege does not offer it: the detail says what would),
 * or "" (no valid observation: the measurement broke; the detail says how).
 * The first answer a cell gets stands.
 *
 * One printer: a line a cell, tab-separated, for suites/scenario.sh --observe:
 *   OBSERVE mechanism scenario entry namespaces observed detail
 */
#ifndef IPCNS_CELLS_H
#define IPCNS_CELLS_H

#include "ns.h"

#include <stdbool.h>
#include <stddef.h>

#define CELLS_MAX 64
#define CELL_DETAIL_MAX 400

struct cell {
	char mech[32], scen[48], entry[16], ns[24];
	char observed[48]; /* a value read, too: kernel.sem's four numbers */
	char detail[CELL_DETAIL_MAX];
	bool done;
};

/* Maps the table (MAP_SHARED, inherited by every child). 0, or an exit code
 * of the probe contract with the reason printed. */
int cells_init(void);

/* Declares a cell; returns its index (the table's order is the printing
 * order). Declaring the same cell twice returns the first. */
size_t cell_declare(const char *mech, const char *scen, const char *entry, const char *ns);

/* Answers cell I unless it already has an answer. Tabs and newlines in the
 * detail become spaces. */
void cell_set(size_t i, const char *observed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Answers every cell still open with OBSERVED and the same detail: a step
 * that broke takes the cells it was to measure along, with its reason. */
void cells_rest(const char *observed, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Why a step failed, in words, kept in the table's shared memory: whichever
 * process failed, the one that answers the cells can say why. Like
 * probe_fail_errno it returns CODE, and ERR (when not 0) is appended as
 * ": ENAME"; errno is left as it was. cells_why() is the last note, or "". */
int cells_note(int code, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *cells_why(void);

/* The table, for inspection (tests). */
size_t cells_count(void);
const struct cell *cell_at(size_t i);

/* Prints every cell (an open one: "" and "the process measuring this cell
 * ended without an answer"). 0, or PROBE_ERROR when stdout failed. */
int cells_print(void);

#endif
