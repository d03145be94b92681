/* SPDX-License-Identifier: MIT
 *
 * probe-lifetime: how long IPC objects outlive their processes. A child
 * makes objects in a new IPC namespace and exits, so that only an nsfs fd
 * held by the parent keeps the namespace. Does a process that setns()es
 * through the fd find them? Once the fd is closed, are they destroyed (does
 * their memory leave Shmem)? One run measures three cells and prints a line
 * a cell for suites/scenario.sh --observe.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/mech.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VALUE 4242             /* what every object carries */
#define SMALL_BYTES 4096
#define BIG_BYTES (32ul << 20) /* large enough to stand out in Shmem */
#define FREE_BOUND_MS 5000
#define CHUNK_BYTES (1ul << 20)
/* What ENOSYS from shmget means */
#define NO_SYSVIPC "this kernel lacks SysV IPC (CONFIG_SYSVIPC is off)"

static const char usage_text[] =
	"usage: probe-lifetime [-t SECONDS]\n"
	"Objects of a namespace held only by an nsfs fd: reached by setns\n"
	"(survives/gone), destroyed once the fd is closed (destroyed/kept: Shmem in\n"
	"/proc/meminfo).\n";

static bool rootless;
static const struct probe_mech *posix_mq; /* its verbs: lib/mech-posix.c */

enum { SHM_HELD, MQ_HELD, SHM_DESTROYED };

struct lifetime {
	int small_key, big_key;
	char mq_token[PROBE_TOKEN_MAX + 1];
	int made[2], opened[2]; /* checkpoints: objects made ('m'), fds open ('o') */
	int ipc_fd, user_fd;
	unsigned long held_ino;
};

/* A fresh segment of BYTES carrying VALUE, every page written so that it
 * really takes memory. */
static int shm_make(int key, size_t bytes)
{
	int id = shmget(key, bytes, IPC_CREAT | IPC_EXCL | 0600);
	char *p;

	if (id < 0)
		return cells_note(-1, errno, "shmget(0x%08x, %zu, IPC_CREAT|IPC_EXCL)",
				  (unsigned)key, bytes);
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return cells_note(-1, errno, "shmat(%d)", id);
	/* A window at a time, each given back once written: the segment keeps
	 * the pages (Shmem), this process does not hold them all at once. */
	for (size_t at = 0; at < bytes; at += CHUNK_BYTES) {
		size_t n = bytes - at < CHUNK_BYTES ? bytes - at : CHUNK_BYTES;

		memset(p + at, 'x', n);
		madvise(p + at, n, MADV_DONTNEED);
	}
	probe_format_value(p, bytes, VALUE);
	shmdt(p);
	return 0;
}

/* PROBE_REACHED with the value, PROBE_ABSENT when the key is not there. */
static int shm_read(int key, unsigned *value)
{
	int id = shmget(key, 0, 0), rc = PROBE_REACHED;
	char *p;

	if (id < 0)
		return cells_note(errno == ENOENT ? PROBE_ABSENT : PROBE_ERROR, errno,
				  "shmget(0x%08x, 0)", (unsigned)key);
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return cells_note(PROBE_ERROR, errno, "shmat(%d)", id);
	if (!probe_scan_value(p, SMALL_BYTES, value))
		rc = cells_note(PROBE_ERROR, 0, "segment %d holds no value", id);
	shmdt(p);
	return rc;
}

/* The queue's create or get (PROBE_REACHED with the value, PROBE_ABSENT when
 * it is not there); a failure's words in the note, naming the kernel option
 * where the errno means that the kernel lacks queues. */
static int mq_verb(const struct lifetime *l, bool create, unsigned *value)
{
	int rc;

	probe_kconfig = posix_mq->kconfig;
	rc = create ? posix_mq->create(l->mq_token, VALUE) : posix_mq->get(l->mq_token, value);
	probe_kconfig = NULL;
	return rc ? cells_note(rc, 0, "%s", probe_last_message()) : rc;
}

/* The child, in its new namespace: the objects, the positive control (it
 * reads both values back), then it waits for the parent's fds and exits. */
static int make_objects(void *arg)
{
	struct lifetime *l = arg;
	unsigned in_shm = VALUE, in_mq = VALUE;
	bool shm = true, mq = true;
	int rc;

	close(l->made[0]);
	close(l->opened[1]);
	/* A kernel without one of the two: its cells skip, the other is measured */
	if (shm_make(l->small_key, SMALL_BYTES)) {
		if (errno != ENOSYS)
			return PROBE_ERROR;
		cell_set(SHM_HELD, "skip", "%s: " NO_SYSVIPC, cells_why());
		cell_set(SHM_DESTROYED, "skip", "%s: " NO_SYSVIPC, cells_why());
		shm = false;
	}
	if ((rc = mq_verb(l, true, NULL))) {
		if (rc != PROBE_UNSUPPORTED)
			return PROBE_ERROR;
		cell_set(MQ_HELD, "skip", "%s", cells_why());
		mq = false;
	}
	if ((shm && (shm_make(l->big_key, BIG_BYTES) || shm_read(l->small_key, &in_shm))) ||
	    (mq && mq_verb(l, false, &in_mq)))
		return PROBE_ERROR;
	if (in_shm != VALUE || in_mq != VALUE)
		return cells_note(PROBE_ERROR, 0, "read back %u and %u, not %u", in_shm, in_mq,
				  VALUE);
	if (probe_checkpoint_write(l->made[1], 'm'))
		return PROBE_ERROR;
	return probe_checkpoint_read(l->opened[0], 'o', probe_timeout(), "the parent's fds")
		       ? PROBE_ERROR : PROBE_REACHED;
}

/* While the maker waits: the parent's own references to its namespaces
 * (setns into its IPC namespace needs CAP_SYS_ADMIN in the owner: rootless,
 * the user namespace's too). */
static int hold(struct lifetime *l, pid_t pid)
{
	struct stat st;

	l->ipc_fd = ns_open(pid, "ipc");
	if (l->ipc_fd < 0 || fstat(l->ipc_fd, &st))
		return cells_note(-1, errno, "holding the namespace: open /proc/%d/ns/ipc",
				  (int)pid);
	l->held_ino = (unsigned long)st.st_ino;
	if (rootless && (l->user_fd = ns_open(pid, "user")) < 0)
		return cells_note(-1, errno, "holding the namespace: open /proc/%d/ns/user",
				  (int)pid);
	return 0;
}

static void judge_held(size_t cell, int rc, unsigned value)
{
	if (rc == PROBE_ABSENT)
		cell_set(cell, "gone", "after setns through the fd: %s", cells_why());
	else if (rc == PROBE_REACHED && value == VALUE)
		cell_set(cell, "survives", "after setns through the fd, with no process left "
			 "in the namespace, the object still holds %u", value);
	else
		cell_set(cell, "", "after setns: %s (read %u)", rc ? cells_why() : "", value);
}

/* The joiner, a peer: joins the held namespace through the fds, looks, and
 * tells how many pages of shm the namespace has resident (SHM_INFO). */
static int join_and_look(struct peer *self, void *arg)
{
	const struct lifetime *l = arg;
	struct shm_info info = { 0 };
	unsigned value = 0;
	int rc;

	if (l->user_fd >= 0 && setns(l->user_fd, CLONE_NEWUSER))
		return cells_note(0, errno, "setns(/proc/PID/ns/user fd)");
	if (setns(l->ipc_fd, CLONE_NEWIPC))
		return cells_note(0, errno, "setns(/proc/PID/ns/ipc fd, CLONE_NEWIPC)");
	if (ns_inode(0, "ipc") != l->held_ino)
		return cells_note(0, 0, "setns did not take us into the held namespace");
	rc = shm_read(l->small_key, &value);
	judge_held(SHM_HELD, rc, value);
	rc = mq_verb(l, false, &value);
	judge_held(MQ_HELD, rc, value);
	shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info);
	return peer_tell(self, (long)info.shm_rss) ? PROBE_ERROR : PROBE_REACHED;
}

/* "survives" would mean nothing if the host had the same names. */
static void host_must_not_see(const struct lifetime *l)
{
	unsigned value;

	if (shm_read(l->small_key, &value) != PROBE_ABSENT)
		cell_set(SHM_HELD, "", "control failed: the host reaches key 0x%08x too",
			 (unsigned)l->small_key);
	if (mq_verb(l, false, &value) != PROBE_ABSENT)
		cell_set(MQ_HELD, "", "control failed: the host reaches /%s too", l->mq_token);
}

static long shmem_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f) && sscanf(line, "Shmem: %ld kB", &kib) != 1)
		;
	if (f)
		fclose(f);
	return kib;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Closes the last references, then watches the big segment's memory go. */
static void watch_free(struct lifetime *l, long rss_pages)
{
	long need = (long)(BIG_BYTES / 1024) * 9 / 10, held = shmem_kib(), now = held, ms;
	unsigned long rss_kib = (unsigned long)rss_pages * (unsigned long)sysconf(_SC_PAGESIZE)
				/ 1024;
	struct timespec t0;

	if (held < 0)
		return cell_set(SHM_DESTROYED, "skip", "no Shmem line in /proc/meminfo");
	if ((long)rss_kib < need)
		return cell_set(SHM_DESTROYED, "", "positive control failed: while held, the "
				"namespace had %lu KiB of shm resident (SHM_INFO), not %lu",
				rss_kib, BIG_BYTES / 1024);
	close(l->ipc_fd);
	if (l->user_fd >= 0)
		close(l->user_fd);
	l->ipc_fd = l->user_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* No fd or event tells when the kernel has freed a namespace: since 5.8
	 * put_ipc_ns leaves it to a work queue after an RCU grace period. So
	 * poll Shmem, in short sleeps, for FREE_BOUND_MS at most. */
	while ((ms = ms_since(&t0)) < FREE_BOUND_MS && held - (now = shmem_kib()) < need)
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	if (held - now >= need)
		cell_set(SHM_DESTROYED, "destroyed", "Shmem fell by %ld KiB within %ld ms of "
			 "closing the last fd (while held: %lu KiB of shm resident in the "
			 "namespace)", held - now, ms, rss_kib);
	else
		cell_set(SHM_DESTROYED, "kept", "Shmem fell by %ld KiB only in %d ms after "
			 "closing the last fd (while held: %lu KiB of shm resident in the "
			 "namespace)", held - now, FREE_BOUND_MS, rss_kib);
}

static void measure_held(struct lifetime *l)
{
	struct peer joiner;
	long rss_pages = 0;
	int rc = PROBE_ERROR;

	host_must_not_see(l); /* first: the first word on a cell stands */
	if (!peer_start(&joiner, join_and_look, l)) {
		if (peer_hear(&joiner, &rss_pages))
			rss_pages = 0;
		rc = peer_end(&joiner);
	}
	cell_set(SHM_HELD, "", "%s (exit %d)", cells_why(), rc);
	cell_set(MQ_HELD, "", "%s (exit %d)", cells_why(), rc);
	watch_free(l, rss_pages);
}

static int lifetime(void)
{
	struct lifetime l = { .ipc_fd = -1, .user_fd = -1 };
	char token[PROBE_TOKEN_MAX + 1];
	pid_t pid;
	int rc;

	posix_mq = probe_find_mech("posix-mq", NULL);
	probe_quiet = true; /* a verb's diagnostic is a cell's detail here */
	probe_arm_deadline("lifetime");
	rootless = harness_rootless();
	/* names of this process, so that the host cannot have them */
	snprintf(token, sizeof(token), "ipcns-lifetime-%d-small", (int)getpid());
	l.small_key = probe_sysv_key(token);
	snprintf(token, sizeof(token), "ipcns-lifetime-%d-big", (int)getpid());
	l.big_key = probe_sysv_key(token);
	snprintf(l.mq_token, sizeof(l.mq_token), "ipcns-lifetime-%d", (int)getpid());
	if (pipe2(l.made, O_CLOEXEC) || pipe2(l.opened, O_CLOEXEC))
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");

	cells_note(0, 0, "the child making the objects gave no word");
	rc = harness_start(NS_ENTRY_CLONE, rootless ? NS_WANT_USER : 0, make_objects, &l, &pid);
	close(l.made[1]);
	close(l.opened[0]);
	if (rc) {
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "%s", cells_why());
		return PROBE_REACHED;
	}
	rc = probe_checkpoint_read(l.made[0], 'm', probe_timeout(), "the objects");
	if (rc)
		cells_rest("", "positive control failed: in the new namespace: %s", cells_why());
	if (!rc && (hold(&l, pid) || probe_checkpoint_write(l.opened[1], 'o')))
		rc = PROBE_ERROR;
	close(l.opened[1]); /* on failure, EOF tells the child to give up */
	close(l.made[0]);
	if (ns_wait(pid, probe_timeout(), "the child making the objects") == 0 && !rc)
		measure_held(&l);
	cells_rest("", "%s", cells_why());
	if (l.ipc_fd >= 0)
		close(l.ipc_fd);
	if (l.user_fd >= 0)
		close(l.user_fd);
	return PROBE_REACHED;
}

int main(int argc, char **argv)
{
	static const struct harness h = {
		.usage = usage_text, .on_host = true, .measure = lifetime,
		.cells = "sysv-shm held-by-nsfs-fd setns;posix-mq held-by-nsfs-fd setns;"
			 "sysv-shm destroyed-with-last-holder setns",
	};

	return harness_main(&h, argc, argv);
}
