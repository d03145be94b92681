/* SPDX-License-Identifier: MIT
 *
 * Where probe-named runs a named mechanism's verb (lib/mech.h): on the host,
 * in a new namespace made through an entry point, in a held namespace
 * joined through setns or a pidfd, or through util-linux's unshare --ipc and
 * nsenter --ipc, which run the command-line probe of the mechanism. Every
 * new namespace is proved new by ns_start; every wait is bounded. What a
 * verb did comes back in place_res, whichever process ran it.
 */
#ifndef IPCNS_PLACE_H
#define IPCNS_PLACE_H

#include "mech.h"
#include "ns.h"

#include <stddef.h>
#include <sys/types.h>

enum verb { CREATE, GET, REMOVE };
enum where { HOST, NEW, JOIN, TOOL_UNSHARE, TOOL_NSENTER };

struct place {
	enum where where;
	enum ns_entry entry; /* NEW: clone, clone3, unshare; JOIN: setns, pidfd */
	pid_t holder;        /* JOIN, TOOL_NSENTER */
	const char *label;   /* for details: "clone", "setns:HOLDER", "host" */
};

/* What a verb did, wherever it ran: in MAP_SHARED memory. */
struct place_result {
	int rc;
	unsigned value;
	pid_t server;
	char why[300];
};

extern struct place_result *place_res;
extern const struct place place_host;

/* The mechanism MECH_ID ("sysv-msg", ...) and the namespaces every new one
 * comes with (NS_WANT_*); a work directory for path names. 0; PROBE_USAGE
 * for an unknown MECH_ID; else PROBE_ERROR (said why). */
int place_init(const char *mech_id, unsigned want);

/* Runs VERB on NAME (with VALUE) at AT; the outcome is in *place_res. */
void place_run(const struct place *at, enum verb verb, const char *name, unsigned value);

/* A new namespace kept alive until place_cleanup; *AT is where its objects
 * are reached (setns). 0, or ns_start's exit code with *WHY. */
int place_hold(struct place *at, const char **why);

/* An object holding VALUE at AT, proved by reading VALUE back there. NULL,
 * or why not, with *OBSERVED "skip" or "". */
const char *place_make(const struct place *at, unsigned value, const char **name,
		       const char **observed);

/* Answers CELL: can AT reach NAME, which holds VALUE? NOTE ends the detail. */
void place_look(size_t cell, const struct place *at, const char *name, unsigned value,
		const char *note);

/* NAME, made at AT, is removed there by place_cleanup. */
void place_undo(const struct place *at, const char *name);

/* Every object removed where it was made, while its holder lives (one made
 * "inside" may well be on the host); then servers and holders end. */
void place_cleanup(void);

#endif
