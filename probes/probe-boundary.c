/* SPDX-License-Identifier: MIT
 * probe-boundary: placeholder, being written. */
#include "lib/probe.h"

int main(int argc, char **argv)
{
	(void)argc;
	probe_init(argv[0]);
	return probe_fail(PROBE_UNSUPPORTED, "not written yet");
}
