/* SPDX-License-Identifier: MIT
 *
 * probe-limits: the limits on IPC namespaces, and what IPC namespaces of one
 * user share. Two cells, a line each, for suites/scenario.sh --observe:
 *
 * max-ipc-namespaces      with max_ipc_namespaces lowered, does the clone
 *                         over it get ENOSPC?
 * rlimit-msgqueue-shared  is RLIMIT_MSGQUEUE one budget across the user's IPC
 *                         namespaces, or one each?
 *
 * Both are measured in a user namespace the probe makes (lib/harness.h):
 * the counts are per user namespace and user, so nothing else running is
 * counted with the probe's, and the limit is written only there. The host's
 * value is compared before and after as a net.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/peer.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define LOW_LIMIT 3           /* max_ipc_namespaces for the first cell */
#define MQ_MAXMSG 8           /* the second cell's queues: 8 x 4 KiB, some 33 KiB */
#define MQ_MSGSIZE 4096       /* with the kernel's bookkeeping */
#define MQ_BUDGET (48 * 1024) /* RLIMIT_MSGQUEUE: one such queue fits, two do not */

static const char usage_text[] =
	"usage: probe-limits [-t SECONDS]\n"
	"Measures two cells in a user namespace it makes (root first becomes uid\n"
	"65534), where max_ipc_namespaces and RLIMIT_MSGQUEUE count only its own:\n"
	"  ipc-ns max-ipc-namespaces       what the clone over the limit got (enospc),\n"
	"                                  or exceeded when it worked\n"
	"  posix-mq rlimit-msgqueue-shared shared | isolated\n";

enum { MAX_NS, RLIMIT_MQ };

/* max_ipc_namespaces=LOW_LIMIT in the sandbox, whose own IPC namespace (made
 * with it) is the first; then more, each held by an fd, until one fails. */
static int limit_in_userns(void *arg)
{
	int held[LOW_LIMIT], n = 0, err = 0, rc, i;
	char word[32];

	(void)arg;
	if ((rc = harness_set_limit(LOW_LIMIT))) {
		if (rc == PROBE_UNSUPPORTED)
			cell_set(MAX_NS, "skip", "no %s on this kernel (Linux 4.9 or later)",
				 HARNESS_LIMIT_FILE);
		cell_set(MAX_NS, "", "could not set %s in the probe's user namespace: %s",
			 HARNESS_LIMIT_FILE, probe_last_message());
		return PROBE_REACHED;
	}
	while (n < LOW_LIMIT && !(err = harness_hold_one(&held[n])))
		n++;
	for (i = 0; i < n; i++)
		close(held[i]);
	if (err < 0) {
		cell_set(MAX_NS, "", "making and holding IPC namespace %d: %s", n + 2,
			 probe_last_message());
	} else if (!err) {
		cell_set(MAX_NS, "exceeded", "max_ipc_namespaces=%d in the probe's user namespace: "
			 "its own IPC namespace and %d more were made", LOW_LIMIT, n);
	} else if (n + 1 < LOW_LIMIT) {
		cell_set(MAX_NS, "", "clone(CLONE_NEWIPC): %s after only %d IPC namespaces (the "
			 "probe's own and %d more), below max_ipc_namespaces=%d",
			 probe_errno_name(err), n + 1, n, LOW_LIMIT);
	} else {
		for (i = 0; probe_errno_name(err)[i] && i < (int)sizeof(word) - 1; i++)
			word[i] = (char)(probe_errno_name(err)[i] | 0x20); /* ENOSPC -> enospc */
		word[i] = '\0';
		cell_set(MAX_NS, word, "max_ipc_namespaces=%d in the probe's user namespace: its "
			 "own IPC namespace and %d more were made; the next "
			 "clone(CLONE_NEWIPC): %s", LOW_LIMIT, n, probe_errno_name(err));
	}
	return PROBE_REACHED;
}

static const struct mq_attr big_queue = { .mq_maxmsg = MQ_MAXMSG, .mq_msgsize = MQ_MSGSIZE };

/* In a new IPC namespace: 0 when a big queue fits, else mq_open's errno. The
 * queue stays until the namespace goes. */
static int try_big_queue(void *name)
{
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &big_queue);

	if (q == (mqd_t)-1)
		return errno;
	mq_close(q);
	return 0;
}

/* FN(ARG) in a kid in a new IPC namespace: its result, or -1 (said why). */
static int in_new_ipc_ns(harness_kid_fn fn, void *arg)
{
	struct peer k;
	int result;

	if (harness_kid(&k, fn, arg))
		return -1;
	result = harness_kid_result(&k, ns_inode(0, "ipc"));
	if (result >= 0 && peer_end(&k))
		return -1;
	return result;
}

/* RLIMIT_MSGQUEUE=MQ_BUDGET; a big queue here, the same in a new IPC
 * namespace: EMFILE means the budget is the user's, across namespaces. */
static int rlimit_in_userns(void *arg)
{
	struct rlimit budget = { MQ_BUDGET, MQ_BUDGET };
	char name[64];
	int second, control;
	mqd_t q;

	(void)arg;
	snprintf(name, sizeof(name), "/ipcns-limits-%d-budget", (int)getpid());
	if (setrlimit(RLIMIT_MSGQUEUE, &budget))
		return cells_note(0, 0, "setrlimit(RLIMIT_MSGQUEUE, %d): %s", MQ_BUDGET,
				  probe_errno_name(errno));
	q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &big_queue);
	if (q == (mqd_t)-1 && errno == ENOSYS)
		cell_set(RLIMIT_MQ, "skip", "no POSIX message queues on this kernel "
			 "(CONFIG_POSIX_MQUEUE is off): mq_open: ENOSYS");
	if (q == (mqd_t)-1)
		return cells_note(0, 0, "the first queue (%d x %d bytes) did not fit "
				  "RLIMIT_MSGQUEUE=%d: %s", MQ_MAXMSG, MQ_MSGSIZE, MQ_BUDGET,
				  probe_errno_name(errno));
	second = in_new_ipc_ns(try_big_queue, name);
	if (second < 0)
		return cells_note(0, 0, "the second queue's IPC namespace: %s",
				  probe_last_message());
	if (second == 0)
		cell_set(RLIMIT_MQ, "isolated", "RLIMIT_MSGQUEUE=%d: a queue of %d x %d bytes fit "
			 "in a new IPC namespace while the same queue lived in the probe's own",
			 MQ_BUDGET, MQ_MAXMSG, MQ_MSGSIZE);
	if (second != EMFILE)
		return cells_note(0, 0, "the second queue, in a new IPC namespace: mq_open: %s",
				  probe_errno_name(second));
	/* The control: the same queue fits once the first one is gone. */
	mq_close(q);
	if (mq_unlink(name))
		return cells_note(0, 0, "removing the first queue: %s", probe_errno_name(errno));
	control = in_new_ipc_ns(try_big_queue, name);
	if (control)
		return cells_note(0, 0, "control failed: with the first queue removed, the "
				  "second (in a new IPC namespace) still gave %s", control < 0
				  ? probe_last_message() : probe_errno_name(control));
	cell_set(RLIMIT_MQ, "shared", "RLIMIT_MSGQUEUE=%d: a queue of %d x %d bytes in the probe's"
		 " IPC namespace left too little for the same in a new IPC namespace of the same "
		 "user (EMFILE); with the first removed, it fit (the control)",
		 MQ_BUDGET, MQ_MAXMSG, MQ_MSGSIZE);
	return PROBE_REACHED;
}

/* Each cell measured in a user namespace of its own. */
static int measure(void)
{
	harness_userns_run(limit_in_userns, NULL, 3, MAX_NS);
	harness_userns_run(rlimit_in_userns, NULL, 3, RLIMIT_MQ);
	return PROBE_REACHED;
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.usage = usage_text, .on_host = true, .measure = measure,
		.cells = "ipc-ns max-ipc-namespaces clone ipc+user;"
			 "posix-mq rlimit-msgqueue-shared clone ipc+user",
	};

	return harness_main(&h, argc, argv);
}
