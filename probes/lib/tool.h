/* SPDX-License-Identifier: MIT
 *
 * Running a tool (util-linux's unshare or nsenter, say) around a probe,
 * bounded, keeping what it printed. A tool that failed itself ("unshare:
 * unshare failed: ...") before the probe ran is told apart from the probe's
 * own answer: never read as a probe's "not reachable".
 */
#ifndef IPCNS_TOOL_H
#define IPCNS_TOOL_H

struct tool_result {
	int rc;         /* the command's exit code, or as below */
	char out[64];   /* the first line of its standard output */
	char why[300];  /* the first line of its standard error */
};

/* Runs ARGV (ARGV[0] found in PATH) for at most probe_timeout() seconds.
 * FLAGS (CLONE_NEW*) are the namespaces the tool was asked to make or enter,
 * to name what a refusal means. R->rc is the command's exit code, or
 * PROBE_UNSUPPORTED when the tool is not installed or the kernel refused it,
 * PROBE_ERROR when the tool failed otherwise; R->why then says so. */
void tool_run(const char *const argv[], int flags, struct tool_result *r);

#endif
