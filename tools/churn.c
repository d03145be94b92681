/* SPDX-License-Identifier: MIT
 *
 * churn: IPC namespaces in numbers, for tools/stress.sh (not one of the
 * suite's probes: it measures no cell, and is not installed).
 *
 * "churn N [SECONDS [LIMIT]]" makes and destroys N IPC namespaces one after
 * another, each with a SysV message queue, semaphore set and shared memory
 * segment (pages touched) and a POSIX message queue, made and read back
 * inside while the host is checked not to see them; then the count of IPC
 * namespaces must be back where it was (the headroom under
 * max_ipc_namespaces).
 *
 * It works in a user namespace of its own (lib/harness.h: root first becomes
 * uid 65534, whom a user namespace maps to 0 without the host's privileges):
 * max_ipc_namespaces is counted per user namespace, so there nothing else
 * running is counted with the churn, and the sysctl is written only there.
 * The host's value is compared before and after as a net.
 */
#include "peer.h"
#include "probe.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define HEADROOM_LIMIT 8 /* max_ipc_namespaces for the check after the churn */
#define SHM_PAGES 4
#define CHURN_MAX 1000000u
#define LIMIT_MAX 4096u

static const char usage_text[] =
	"usage: churn [-t SECONDS] N [SECONDS [LIMIT]]\n"
	"Makes and destroys N IPC namespaces (1..1000000) one after another, for at\n"
	"most SECONDS (1..3600, default 60), each with a SysV msg queue, sem set and\n"
	"shm segment and a POSIX mq, read back inside and looked for on the host;\n"
	"ENOSPC is retried and counted. All in a user namespace it makes (root first\n"
	"becomes uid 65534), where max_ipc_namespaces counts only its own. LIMIT\n"
	"(2..4096): max_ipc_namespaces during the churn (default: not lowered). Then\n"
	"checks that the count of IPC namespaces is back. Prints lines of words\n"
	"KEY=VALUE:\n"
	"  CHURN made asked seconds per_second enospc retries limit mq stopped\n"
	"  HEADROOM held limit extra waited_ms retries\n"
	"  HOST checked visible key name\n"
	"  -t  bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 done, 2 usage, 3 failure (what failed, on stderr), 4 unsupported\n"
	"      here (no user namespace for it), 5 timeout\n";

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The kernel gives no signal when its queued namespace frees are done
 * (ipc/namespace.c free_ipc_work): a retry after ENOSPC waits 1 ms. */
static void pause_1ms(void)
{
	poll(NULL, 0, 1);
}

/* ---- objects in each churned namespace ---------------------------------- */

struct objects {
	int key;           /* SysV key, the same in every namespace */
	char mq_name[96];  /* POSIX name, likewise */
	bool mq;           /* POSIX message queues exist on this kernel */
	unsigned value;    /* what this namespace's objects carry */
	long page;
};

struct msgbuf_value {
	long mtype;
	unsigned value;
};

/* In a new IPC namespace: each object made exclusively (EEXIST would mean the
 * namespace is not fresh), given VALUE, then found by its name and read back. */
static int make_objects(void *p)
{
	const struct objects *o = p;
	struct msgbuf_value m = { 1, o->value }, back = { 0, 0 };
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = sizeof(unsigned) };
	unsigned got = 0;
	size_t bytes = SHM_PAGES * (size_t)o->page;
	unsigned char *seg;
	int id;
	mqd_t q;

	if ((id = msgget(o->key, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "msgget(create)");
	if (msgsnd(id, &m, sizeof(m.value), IPC_NOWAIT) ||
	    (id = msgget(o->key, 0)) < 0 ||
	    msgrcv(id, &back, sizeof(back.value), 0, IPC_NOWAIT) != (ssize_t)sizeof(back.value))
		return probe_fail_errno(PROBE_ERROR, errno, "message queue: send, find, receive");
	if (back.value != o->value)
		return probe_fail(PROBE_ERROR, "message queue: read %u back, sent %u",
				  back.value, o->value);

	if ((id = semget(o->key, 1, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "semget(create)");
	if (semctl(id, 0, SETVAL, (int)o->value) || (id = semget(o->key, 1, 0)) < 0 ||
	    semctl(id, 0, GETVAL) != (int)o->value)
		return probe_fail_errno(PROBE_ERROR, errno, "semaphore: set, find, read back");

	if ((id = shmget(o->key, bytes, IPC_CREAT | IPC_EXCL | 0600)) < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "shmget(create)");
	if ((seg = shmat(id, NULL, 0)) == (void *)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "shmat");
	for (size_t off = 0; off < bytes; off += (size_t)o->page)
		seg[off] = (unsigned char)o->value; /* every page made resident */
	shmdt(seg);
	if ((id = shmget(o->key, 0, 0)) < 0 || (seg = shmat(id, NULL, SHM_RDONLY)) == (void *)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "shared memory: find, attach");
	for (size_t off = 0; off < bytes; off += (size_t)o->page)
		if (seg[off] != (unsigned char)o->value)
			return probe_fail(PROBE_ERROR, "shared memory: page %zu lost its byte",
					  off / (size_t)o->page);
	shmdt(seg);

	if (!o->mq)
		return PROBE_REACHED;
	q = mq_open(o->mq_name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "mq_open(create)");
	if (mq_send(q, (const char *)&o->value, sizeof(o->value), 0))
		return probe_fail_errno(PROBE_ERROR, errno, "mq_send");
	mq_close(q);
	q = mq_open(o->mq_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t)-1 || mq_receive(q, (char *)&got, sizeof(got), NULL) != sizeof(got))
		return probe_fail_errno(PROBE_ERROR, errno, "POSIX queue: find, receive");
	mq_close(q);
	if (got != o->value)
		return probe_fail(PROBE_ERROR, "POSIX queue: read %u back, sent %u", got, o->value);
	return PROBE_REACHED; /* the objects die with the namespace */
}

/* On the host: is any object of that key or name there? 0 no, 1 yes (said
 * which), PROBE_ERROR when the answer was neither. As uid 65534, a foreign
 * object would answer EACCES: that is "there" as well. */
static int host_sees(const struct objects *o)
{
	static const char *const kinds[] = { "message queue", "semaphore set",
					     "shared memory segment" };
	int id, err;
	mqd_t q;

	for (int i = 0; i < 3; i++) {
		id = i == 0 ? msgget(o->key, 0) : i == 1 ? semget(o->key, 0, 0)
							 : shmget(o->key, 0, 0);
		err = errno;
		if (id < 0 && err == ENOENT)
			continue;
		if (id >= 0 || err == EACCES)
			return probe_fail(1, "the host sees a %s of key %d", kinds[i], o->key);
		return probe_fail_errno(PROBE_ERROR, err, "looking for a %s of key %d on the "
					"host", kinds[i], o->key);
	}
	q = mq_open(o->mq_name, O_RDONLY | O_CLOEXEC);
	err = errno;
	if (q != (mqd_t)-1)
		mq_close(q);
	if (q != (mqd_t)-1 || err == EACCES)
		return probe_fail(1, "the host sees POSIX queue %s", o->mq_name);
	if (err == ENOENT || err == ENOSYS) /* ENOSYS: no queues anywhere */
		return 0;
	return probe_fail_errno(PROBE_ERROR, err, "mq_open(%s) on the host", o->mq_name);
}

/* ---- churn --------------------------------------------------------------- */

struct churn {
	unsigned asked, seconds, limit; /* limit: max_ipc_namespaces, 0 as it is */
	struct objects obj;
	int ask_host, host_said; /* the sandbox's ends of the pipes to the checker */
};

static int ask_host(const struct churn *c)
{
	char answer = 0;
	ssize_t n;

	if (probe_checkpoint_write(c->ask_host, '?'))
		return probe_fail_errno(PROBE_ERROR, errno, "asking the host side");
	if (probe_wait_fd(c->host_said, POLLIN, probe_timeout(), "the host side's answer"))
		return PROBE_TIMEOUT;
	n = read(c->host_said, &answer, 1);
	if (n == 1 && answer == 'n')
		return PROBE_REACHED;
	return probe_fail(PROBE_ERROR, "the host side %s", n == 1 ? "saw this namespace's "
			  "objects (above)" : "stopped answering");
}

/* Is the count of our IPC namespaces back to 1 (the sandbox's own)? With
 * max_ipc_namespaces=HEADROOM_LIMIT, HEADROOM_LIMIT - 1 more then fit at once
 * (held by nsfs fds) and one more is ENOSPC; a namespace the churn leaked
 * would take a place. Those it ended may still be queued for freeing: there
 * ENOSPC is retried until DEADLINE (Linux 6.3 and later wait in the kernel). */
static int headroom(double deadline)
{
	int held[HEADROOM_LIMIT], n = 0, i, err = 0, rc;
	unsigned retries = 0;
	double start = now_s();

	if ((rc = harness_set_limit(HEADROOM_LIMIT))) {
		if (rc == PROBE_UNSUPPORTED) /* before Linux 4.9: no count to observe */
			printf("HEADROOM held=- limit=- extra=- waited_ms=- retries=-\n");
		return rc == PROBE_UNSUPPORTED ? PROBE_REACHED : rc;
	}
	while (n < HEADROOM_LIMIT) {
		err = harness_hold_one(&held[n]);
		if (err == ENOSPC && n < HEADROOM_LIMIT - 1 && now_s() < deadline) {
			retries++;
			pause_1ms();
			continue;
		}
		if (err)
			break;
		n++;
	}
	printf("HEADROOM held=%d limit=%d extra=%s waited_ms=%.0f retries=%u\n", n,
	       HEADROOM_LIMIT, n == HEADROOM_LIMIT ? "made" : n == HEADROOM_LIMIT - 1 && err > 0
	       ? probe_errno_name(err) : "-", (now_s() - start) * 1000, retries);
	for (i = 0; i < n; i++)
		close(held[i]);
	if (err < 0)
		return PROBE_ERROR;
	if (n < HEADROOM_LIMIT - 1)
		return probe_fail_errno(PROBE_ERROR, err, "only %d IPC namespaces fit under "
					"max_ipc_namespaces=%d besides the churn's own, %.0f "
					"ms after the churn: the churn's are still counted", n,
					HEADROOM_LIMIT, (now_s() - start) * 1000);
	if (n == HEADROOM_LIMIT)
		return probe_fail(PROBE_ERROR, "max_ipc_namespaces=%d did not hold: %d IPC "
				  "namespaces were made besides the churn's own", HEADROOM_LIMIT,
				  n);
	if (err != ENOSPC)
		return probe_fail_errno(PROBE_ERROR, err, "one IPC namespace over the limit");
	return PROBE_REACHED;
}

/* The sandbox. With a LIMIT, the churn runs under that max_ipc_namespaces:
 * namespaces queued for freeing then meet it, as in fast container churn
 * (before Linux 6.3 that was a spurious ENOSPC; 6.3 waits for the frees).
 * Without, under the user namespace's own (INT_MAX): the plain rate. */
static int churn_in_userns(void *p)
{
	struct churn *c = p;
	unsigned long mine = ns_inode(0, "ipc");
	unsigned made = 0, enospc = 0, retries = 0;
	double start, deadline, give_up = 0, took;
	const char *stopped = "no";
	char limit[16];
	int rc = PROBE_REACHED, result, err;
	struct peer k;
	mqd_t q;

	signal(SIGPIPE, SIG_IGN); /* a host side that died is an error, not a signal */
	if (c->limit && (rc = harness_set_limit(c->limit)))
		return rc;
	q = mq_open(c->obj.mq_name, O_RDONLY | O_CLOEXEC);
	c->obj.mq = !(q == (mqd_t)-1 && errno == ENOSYS);
	if (q != (mqd_t)-1)
		mq_close(q);
	start = now_s();
	deadline = start + c->seconds;
	while (made < c->asked) {
		if (now_s() >= deadline) {
			stopped = "time";
			break;
		}
		c->obj.value = made & PROBE_VALUE_MAX;
		err = harness_kid(&k, make_objects, &c->obj);
		if (err == ENOSPC) { /* retried, as LTP's safe_clone does, and counted */
			if (!give_up) {
				enospc++;
				give_up = now_s() + probe_timeout();
			}
			retries++;
			if (now_s() < give_up) {
				pause_1ms();
				continue;
			}
			rc = probe_fail(PROBE_ERROR, "clone(CLONE_NEWIPC): ENOSPC for %u s "
					"after %u namespaces (%u retries)", probe_timeout(), made,
					retries);
			break;
		}
		if (err) {
			rc = PROBE_ERROR;
			break;
		}
		give_up = 0;
		result = harness_kid_result(&k, mine);
		if (result < 0) {
			rc = PROBE_ERROR;
			break;
		}
		if (result == 0) /* the objects live until peer_end */
			result = ask_host(c);
		rc = peer_end(&k);
		if (result || rc) {
			rc = result ? result : rc;
			probe_fail(rc, "namespace %u of %u failed (above)", made + 1, c->asked);
			break;
		}
		made++;
	}
	took = now_s() - start;
	snprintf(limit, sizeof(limit), "%u", c->limit);
	printf("CHURN made=%u asked=%u seconds=%.3f per_second=%.0f enospc=%u retries=%u "
	       "limit=%s mq=%s stopped=%s\n", made, c->asked, took, made / took, enospc,
	       retries, c->limit ? limit : "none", c->obj.mq ? "yes" : "no", stopped);
	return rc ? rc : headroom(now_s() + probe_timeout());
}

/* The host side: answers the sandbox's "does the host see them?" while the
 * objects of each namespace live, until EOF (the sandbox is gone). */
static int serve_host(int asks, int answers, const struct objects *o, double deadline,
		      unsigned *checked, unsigned *visible)
{
	char ask;
	ssize_t n;
	int rc, seen;

	for (;;) {
		double left = deadline - now_s();

		rc = probe_wait_fd(asks, POLLIN, left < 1 ? 1 : (unsigned)left, "the churn");
		if (rc)
			return rc;
		do
			n = read(asks, &ask, 1);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return PROBE_REACHED;
		if (n < 0)
			return probe_fail_errno(PROBE_ERROR, errno, "read (the churn)");
		seen = host_sees(o);
		(*checked)++;
		*visible += seen == 1;
		if (probe_checkpoint_write(answers, seen ? 'y' : 'n'))
			return probe_fail_errno(PROBE_ERROR, errno, "answering the churn");
	}
}

static int churn(unsigned asked, unsigned seconds, unsigned limit)
{
	struct churn c = { .asked = asked, .seconds = seconds, .limit = limit };
	unsigned bound = seconds + 3 * probe_timeout(), checked = 0, visible = 0;
	int asks[2], answers[2], rc, served, last;
	char token[PROBE_TOKEN_MAX + 1];
	pid_t runner;

	snprintf(token, sizeof(token), "ipcns-churn-%d", (int)getpid());
	c.obj.key = probe_sysv_key(token);
	probe_posix_name(token, c.obj.mq_name, sizeof(c.obj.mq_name));
	c.obj.page = sysconf(_SC_PAGESIZE);
	c.obj.mq = true; /* the host side takes ENOSYS for "not there" */
	if (probe_pipe_pair(asks, answers))
		return PROBE_ERROR;
	c.ask_host = asks[1];
	c.host_said = answers[0];
	runner = harness_userns_start(churn_in_userns, &c, bound, asks[1]);
	close(asks[1]);
	close(answers[0]);
	served = runner < 0 ? PROBE_ERROR : serve_host(asks[0], answers[1], &c.obj,
						       now_s() + bound, &checked, &visible);
	close(asks[0]);
	close(answers[1]);
	rc = runner < 0 ? PROBE_ERROR : ns_wait(runner, bound + probe_timeout(), "the churn");
	last = host_sees(&c.obj); /* and once more, with every namespace gone */
	printf("HOST checked=%u visible=%u key=%d name=%s\n", checked, visible + (last == 1),
	       c.obj.key, c.obj.mq_name);
	if (rc == PROBE_UNSUPPORTED)
		probe_fail(rc, "%s", harness_userns_refusal());
	return rc ? rc : served ? served : last ? PROBE_ERROR : visible ? PROBE_ERROR : 0;
}
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "churn: %s%.32s\n", what, arg);
	fputs(usage_text, stderr);
	return PROBE_USAGE;
}

int main(int argc, char **argv)
{
	unsigned asked = 0, seconds = 60, limit = 0;
	int i = 1, rc;

	if (probe_init(argv[0])) {
		fputs(usage_text, stderr);
		return PROBE_USAGE;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return fputs(usage_text, stdout) < 0 ? PROBE_ERROR : PROBE_REACHED;
	if (probe_take_timeout(argc, argv, &i)) {
		fputs(usage_text, stderr);
		return PROBE_USAGE;
	}
	if (argc - i < 1 || argc - i > 3)
		return usage_error("wants N [SECONDS [LIMIT]]", "");
	if (!probe_parse_uint(argv[i], 1, CHURN_MAX, &asked))
		return usage_error("N wants 1..1000000, got ", argv[i]);
	if (argc - i >= 2 && !probe_parse_uint(argv[i + 1], 1, PROBE_TIMEOUT_MAX, &seconds))
		return usage_error("SECONDS wants 1..3600, got ", argv[i + 1]);
	if (argc - i == 3 && !probe_parse_uint(argv[i + 2], 2, LIMIT_MAX, &limit))
		return usage_error("LIMIT wants 2..4096, got ", argv[i + 2]);
	harness_net_init();
	rc = churn(asked, seconds, limit);
	/* The net: the host's limit must be as it was (it is only ever written in
	 * a user namespace of ours); root puts it back. */
	return harness_net_check() ? PROBE_ERROR : rc;
}
