/* SPDX-License-Identifier: MIT */
#include "cells.h"
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static struct table {
	size_t n;
	struct cell cell[CELLS_MAX];
	char why[CELL_DETAIL_MAX];
} *table;

int cells_init(void)
{
	if (table)
		return PROBE_REACHED;
	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (table == MAP_FAILED) {
		table = NULL;
		return probe_fail_errno(PROBE_ERROR, errno, "mmap (the cell table)");
	}
	return PROBE_REACHED;
}

size_t cell_declare(const char *mech, const char *scen, const char *entry, const char *ns)
{
	struct cell *c;

	for (size_t i = 0; i < table->n; i++) {
		c = &table->cell[i];
		if (!strcmp(c->mech, mech) && !strcmp(c->scen, scen) && !strcmp(c->entry, entry) &&
		    !strcmp(c->ns, ns))
			return i;
	}
	if (table->n == CELLS_MAX) /* a probe's own table overflowed: its bug */
		return CELLS_MAX - 1;
	c = &table->cell[table->n];
	snprintf(c->mech, sizeof(c->mech), "%s", mech);
	snprintf(c->scen, sizeof(c->scen), "%s", scen);
	snprintf(c->entry, sizeof(c->entry), "%s", entry);
	snprintf(c->ns, sizeof(c->ns), "%s", ns);
	return table->n++;
}

static void vset(size_t i, const char *observed, const char *fmt, va_list ap)
{
	struct cell *c;

	if (i >= table->n || table->cell[i].done)
		return;
	c = &table->cell[i];
	snprintf(c->observed, sizeof(c->observed), "%s", observed);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	for (char *p = c->detail; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	c->done = true;
}

void cell_set(size_t i, const char *observed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(i, observed, fmt, ap);
	va_end(ap);
}

void cells_rest(const char *observed, const char *fmt, ...)
{
	char detail[CELL_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < table->n; i++)
		cell_set(i, observed, "%s", detail);
}

int cells_note(int code, int err, const char *fmt, ...)
{
	char why[sizeof(table->why)]; /* the old note may be an argument */
	int saved = errno, n;
	va_list ap;

	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(why))
		snprintf(why + n, sizeof(why) - (size_t)n, ": %s", probe_errno_name(err));
	memcpy(table->why, why, strlen(why) + 1);
	errno = saved;
	return code;
}

const char *cells_why(void)
{
	return table ? table->why : "";
}

size_t cells_count(void)
{
	return table ? table->n : 0;
}

const struct cell *cell_at(size_t i)
{
	return i < cells_count() ? &table->cell[i] : NULL;
}

int cells_print(void)
{
	cells_rest("", "the process measuring this cell ended without an answer");
	for (size_t i = 0; i < table->n; i++) {
		const struct cell *c = &table->cell[i];

		printf("OBSERVE\t%s\t%s\t%s\t%s\t%s\t%s\n", c->mech, c->scen, c->entry, c->ns,
		       c->observed, c->detail);
	}
	return fflush(stdout) ? PROBE_ERROR : PROBE_REACHED;
}
