/* SPDX-License-Identifier: MIT
 *
 * probe-endpoint: the command-line face of one family of named mechanisms
 * (probes/lib/mech-endpoint.c): MECH VERB NAME [VALUE], the probe contract.
 */
#include "lib/mech.h"

int main(int argc, char **argv)
{
	return probe_main(&probe_endpoint_family, argc, argv);
}
