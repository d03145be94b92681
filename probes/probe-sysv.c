/* SPDX-License-Identifier: MIT
 *
 * probe-sysv: the command-line face of one family of named mechanisms
 * (probes/lib/mech-sysv.c): MECH VERB NAME [VALUE], the probe contract.
 */
#include "lib/mech.h"

int main(int argc, char **argv)
{
	return probe_main(&probe_sysv_family, argc, argv);
}
