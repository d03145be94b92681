/* SPDX-License-Identifier: MIT
 *
 * probe-sysctl-defaults: the value each IPC sysctl has in a new IPC
 * namespace. A, a namespace the probe makes, writes a value of its own to
 * each and reads it back; B, made from A, reads: A's value (inherited), or
 * another (the kernel's default: fixtures/probe-sysctl-defaults.tsv). A cell
 * a sysctl; the command line, the cells and the host's net: lib/sysctl.h.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/sysctl.h"

#include <stddef.h>

static const char usage_text[] =
	"usage: probe-sysctl-defaults [-t SECONDS] new-ns-default [SYSCTL...]\n"
	"Measures the value each IPC sysctl (default: all 16) has in a new IPC\n"
	"namespace B, made from A (a new one too) while A holds a value of its own,\n"
	"and prints a line a sysctl (the mechanism), in the order below, with what B\n"
	"read as observed (kernel.sem's four numbers as a_b_c_d).\n" SYSCTL_USAGE;

static int in_b(void *arg)
{
	char a0[SYSCTL_TEXT_MAX], d[SYSCTL_TEXT_MAX], b[SYSCTL_TEXT_MAX], cell[SYSCTL_TEXT_MAX];
	struct sysctl_value v;

	(void)arg;
	for (size_t k = 0; k < sysctl_ncells; k++) {
		const struct sysctl_value *was = &sysctl_before[k], *held = &sysctl_wrote[k];

		if (!sysctl_open(k) || !sysctl_read_or_set(k, &v, "B"))
			continue;
		cell_set(k, sysctl_show(sysctl_cell[k], &v, '_', cell), "A started at %s and held "
			 "%s (read back); B, made from A, read %s: %s", sysctl_text(k, was, a0),
			 sysctl_text(k, held, d), sysctl_text(k, &v, b),
			 sysctl_same(&v, held) ? "inherited A's value"
			 : sysctl_same(&v, was) ? "not inherited; what A started at"
			 : "not inherited; neither of A's values");
	}
	return 0;
}

static int in_a(void *arg)
{
	(void)arg;
	sysctl_read_and_pick("A");
	for (size_t k = 0; k < sysctl_ncells; k++)
		if (sysctl_open(k))
			sysctl_write_checked(k, "A");
	harness_run(NS_ENTRY_CLONE, 0, in_b, NULL, 1, "B");
	return 0;
}

static int new_ns_default(void)
{
	harness_run(NS_ENTRY_CLONE, harness_rootless() ? NS_WANT_USER : 0, in_a, NULL, 3, "A");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct sysctl_scenario scenarios[] = {
		{ "new-ns-default", "clone", false, new_ns_default },
		{ NULL, NULL, false, NULL },
	};

	return sysctl_probe_main(argc, argv, usage_text, scenarios);
}
