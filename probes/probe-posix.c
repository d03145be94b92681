/* SPDX-License-Identifier: MIT
 *
 * probe-posix: the command-line face of one family of named mechanisms
 * (probes/lib/mech-posix.c): MECH VERB NAME [VALUE], the probe contract.
 */
#include "lib/mech.h"

int main(int argc, char **argv)
{
	return probe_main(&probe_posix_family, argc, argv);
}
