/* SPDX-License-Identifier: MIT
 *
 * probe-shm-handles: what a process's handles on IPC objects, made before
 * unshare(CLONE_NEWIPC), still reach afterwards: a shmat mapping and an
 * mqueue fd, the old shm id and the queue's name; and what
 * kernel.shm_rmid_forced=1 destroys, at unshare and when it is written. In
 * a sandbox IPC namespace (lib/harness.h): the sysctl is written only
 * there, and the objects die with it. The probe never judges.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#define SEG_BYTES 4096

static const char usage_text[] =
	"usage: probe-shm-handles [-t SECONDS]\n"
	"Measures, in an IPC namespace it makes, whether a shmat mapping and an\n"
	"mqueue fd made before unshare(CLONE_NEWIPC) still work after it, and the\n"
	"old shm id and queue name do not; and what kernel.shm_rmid_forced=1\n"
	"destroys (written only in that namespace).\n";

struct handles {
	int shmid;
	char *map; /* attached before the fork, so the child inherits it; or NULL */
	mqd_t mq;  /* or -1 */
	char mqname[64];
	long stat0, send0, unshared, stat1, send1, unlink1, child_read, reopen;
	bool map200, mq300, map201, mq301;
};

/* The cells, in order: the index each is answered by. */
enum { MAPPING, OLD_ID, MQ_FD, MQ_UNLINK, RMID_AT_UNSHARE, RMID_ORPHANS };
static const char cells[] =
	"sysv-shm mapping-across-unshare unshare; sysv-shm old-id-after-unshare unshare; "
	"posix-mq fd-across-unshare unshare; posix-mq unlink-after-unshare unshare; "
	"sysv-shm rmid-forced-at-unshare unshare; sysv-shm rmid-forced-orphans unshare";

static void put(char *map, unsigned value)
{
	if (map)
		probe_format_value(map, 16, value);
}

static int map_value(const char *map)
{
	unsigned v;

	return map && probe_scan_value(map, 16, &v) ? (int)v : -1;
}

static int mq_value(mqd_t mq)
{
	char buf[64];
	unsigned v;
	ssize_t n = mq_receive(mq, buf, sizeof(buf), NULL);

	return n > 0 && probe_scan_value(buf, (size_t)n, &v) ? (int)v : -1;
}

/* The same handles before (the controls) and after unshare(CLONE_NEWIPC).
 * A handle that is not there fails harmlessly (EINVAL, EBADF). */
static int handles_child(struct peer *self, void *arg)
{
	struct handles *h = arg;
	struct shmid_ds ds;
	long go;

	put(h->map, 200);
	if (peer_tell(self, errno_of(shmctl(h->shmid, IPC_STAT, &ds))) ||
	    peer_tell(self, errno_of(mq_send(h->mq, "300", 4, 0))) || peer_hear(self, &go) ||
	    peer_tell(self, errno_of(unshare(CLONE_NEWIPC))))
		return 1;
	put(h->map, 201);
	peer_tell(self, errno_of(shmctl(h->shmid, IPC_STAT, &ds)));
	peer_tell(self, errno_of(mq_send(h->mq, "301", 4, 0)));
	peer_tell(self, errno_of(mq_unlink(h->mqname)));
	if (peer_hear(self, &go))
		return 1;
	return peer_tell(self, map_value(h->map));
}

static int handles_steps(struct peer *c, void *arg)
{
	struct handles *h = arg;
	mqd_t reopened;

	if (peer_hear(c, &h->stat0) || peer_hear(c, &h->send0))
		return -1;
	h->map200 = map_value(h->map) == 200;
	h->mq300 = mq_value(h->mq) == 300;
	if (peer_tell(c, 0) || peer_hear(c, &h->unshared))
		return -1;
	if (h->unshared)
		return probe_fail(-1, "unshare(CLONE_NEWIPC) in the child: %s",
				  errno_word(h->unshared));
	if (peer_hear(c, &h->stat1) || peer_hear(c, &h->send1) || peer_hear(c, &h->unlink1))
		return -1;
	h->map201 = map_value(h->map) == 201;
	h->mq301 = mq_value(h->mq) == 301;
	reopened = mq_open(h->mqname, O_RDONLY); /* the control of unlink-after-unshare */
	h->reopen = reopened == (mqd_t)-1 ? errno : 0;
	if (!h->reopen)
		mq_close(reopened);
	put(h->map, 202);
	return peer_tell(c, 0) || peer_hear(c, &h->child_read) ? -1 : 0;
}

/* Each cell from what the steps saw; a cell already answered (an object
 * this kernel lacks) keeps its answer. */
static void judge_handles(const struct handles *h)
{
	if (!h->map200)
		cell_set(MAPPING, "", "positive control failed: before unshare the parent did not "
			 "read the child's 200 through the mapping");
	cell_set(MAPPING, h->map201 && h->child_read == 202 ? "crosses" : "blocked", "one shmat "
		 "mapping after the child's unshare(CLONE_NEWIPC): the parent read its 201: %s; "
		 "the child read %ld (the parent wrote 202)", h->map201 ? "yes" : "no",
		 h->child_read);
	if (h->stat0)
		cell_set(OLD_ID, "", "positive control failed: shmctl(IPC_STAT) before unshare: %s",
			 errno_word(h->stat0));
	cell_set(OLD_ID, h->stat1 == EINVAL ? "isolated" : h->stat1 ? "" : "shared", "shmctl(id, "
		 "IPC_STAT): ok before unshare(CLONE_NEWIPC), %s after", errno_word(h->stat1));
	if (h->send0 || !h->mq300)
		cell_set(MQ_FD, "", "positive control failed: before unshare mq_send: %s, the parent "
			 "got 300: %s", errno_word(h->send0), h->mq300 ? "yes" : "no");
	cell_set(MQ_FD, !h->send1 && h->mq301 ? "crosses" : "blocked", "after unshare(CLONE_"
		 "NEWIPC) the child's mq_send on its old fd: %s; the parent received 301: %s",
		 errno_word(h->send1), h->mq301 ? "yes" : "no");
	if (h->unlink1 == ENOENT && h->reopen)
		cell_set(MQ_UNLINK, "", "positive control failed: after the child's mq_unlink "
			 "(ENOENT) the parent's mq_open: %s", errno_word(h->reopen));
	cell_set(MQ_UNLINK, h->unlink1 == ENOENT ? "isolated" : h->unlink1 ? "" : "shared",
		 "mq_unlink by name after unshare(CLONE_NEWIPC): %s; then the parent's mq_open: %s",
		 errno_word(h->unlink1), errno_word(h->reopen));
}

/* The four handle cells; shmget's errno (ENOSYS: no SysV IPC here). */
static long handles_across_unshare(void)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 16 };
	struct handles h = { .mq = (mqd_t)-1 };
	void *map = (void *)-1;
	long shm_err = 0;

	snprintf(h.mqname, sizeof(h.mqname), "/ipcns-boundary-%d", (int)getpid());
	if ((h.shmid = shmget(IPC_PRIVATE, SEG_BYTES, 0600)) < 0 ||
	    (map = shmat(h.shmid, NULL, 0)) == (void *)-1) {
		shm_err = h.shmid < 0 ? errno : 0;
		cell_lacks(MAPPING, errno, h.shmid < 0 ? "shmget" : "shmat", LACKS_SYSVIPC);
		cell_set(OLD_ID, cell_at(MAPPING)->observed, "%s", cell_at(MAPPING)->detail);
	}
	h.map = map == (void *)-1 ? NULL : map;
	h.mq = mq_open(h.mqname, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &attr);
	if (h.mq == (mqd_t)-1) {
		cell_lacks(MQ_FD, errno, "mq_open", LACKS_MQUEUE);
		cell_set(MQ_UNLINK, cell_at(MQ_FD)->observed, "%s", cell_at(MQ_FD)->detail);
	}
	if ((h.map || h.mq != (mqd_t)-1) && peer_run(handles_child, handles_steps, &h))
		for (size_t i = MAPPING; i <= MQ_UNLINK; i++)
			cell_set(i, "", "%s", probe_last_message());
	judge_handles(&h);
	if (h.map)
		shmdt(h.map);
	if (h.shmid >= 0)
		shmctl(h.shmid, IPC_RMID, NULL);
	if (h.mq != (mqd_t)-1)
		mq_close(h.mq);
	mq_unlink(h.mqname); /* the sandbox's own queue: it dies with it anyway */
	return shm_err;
}

/* Writes kernel.shm_rmid_forced, NEVER outside the sandbox: 0, or -1 with
 * cell I answered ("skip" where the kernel refuses us). */
static int set_rmid_forced(size_t i, int value)
{
	unsigned long here = ns_inode(0, "ipc");
	char text[] = { (char)('0' + value), '\n' }, back = '?';
	long err = 0;
	int fd;

	if (!here || !harness_host_ipc() || here == harness_host_ipc())
		return cell_set(i, "", "refusing to write kernel.shm_rmid_forced: IPC namespace "
				"%lu is not one this probe made", here), -1;
	fd = open("/proc/sys/kernel/shm_rmid_forced", O_RDWR | O_CLOEXEC);
	if (fd < 0 || write(fd, text, 2) != 2 || pread(fd, &back, 1, 0) != 1)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err == EPERM || err == EACCES || err == EROFS || err == ENOENT)
		return cell_set(i, "skip", "writing kernel.shm_rmid_forced in the probe's own "
				"namespace: %s (root of its owning user namespace may since Linux "
				"6.9)", errno_word(err)), -1;
	if (err || back != text[0])
		return cell_set(i, "", "writing %d to kernel.shm_rmid_forced: %s, reads back %c",
				value, errno_word(err), back), -1;
	return 0;
}

/* A child's segment, never attached; with unshare, the child unshares when
 * told. What became of it: "destroyed", "kept", or "" (why says why). */
struct segment {
	bool unshare;
	long id;
	const char *fate;
	char why[160];
};

static int segment_child(struct peer *self, void *arg)
{
	const struct segment *s = arg;
	int id = shmget(IPC_PRIVATE, SEG_BYTES, 0600);
	long go;

	if (peer_tell(self, id < 0 ? -errno : id) || id < 0 || !s->unshare || peer_hear(self, &go))
		return 0;
	peer_tell(self, errno_of(unshare(CLONE_NEWIPC)));
	peer_hear(self, &go);
	return 0;
}

/* "destroyed" once the id is EINVAL; else "kept" (and removed). */
static void fate(struct segment *s)
{
	struct shmid_ds ds;
	long err = errno_of(shmctl((int)s->id, IPC_STAT, &ds));

	s->fate = err == EINVAL ? "destroyed" : err ? "" : "kept";
	if (err && err != EINVAL)
		snprintf(s->why, sizeof(s->why), "shmctl(%ld, IPC_STAT): %s", s->id, errno_word(err));
	if (!err)
		shmctl((int)s->id, IPC_RMID, NULL);
}

static int at_unshare_steps(struct peer *c, void *arg)
{
	struct segment *s = arg;
	struct shmid_ds ds;
	long err;

	s->fate = "";
	s->why[0] = '\0';
	if (peer_hear(c, &s->id))
		return -1;
	if (s->id < 0)
		return probe_fail(-1, "the child's shmget: %s", errno_word(-s->id));
	if ((err = errno_of(shmctl((int)s->id, IPC_STAT, &ds))))
		return probe_fail(-1, "positive control failed: shmctl(IPC_STAT) on the child's "
				  "segment before unshare: %s", errno_word(err));
	if (peer_tell(c, 0) || peer_hear(c, &err))
		return -1;
	if (err)
		return probe_fail(-1, "unshare(CLONE_NEWIPC) in the child: %s", errno_word(err));
	fate(s);
	return 0;
}

/* exit_shm at unshare: with shm_rmid_forced=0 (the control) and 1. */
static void rmid_at_unshare(void)
{
	struct segment s = { .unshare = true };

	if (set_rmid_forced(RMID_AT_UNSHARE, 0))
		return;
	if (peer_run(segment_child, at_unshare_steps, &s))
		return cell_set(RMID_AT_UNSHARE, "", "%s", probe_last_message());
	if (strcmp(s.fate, "kept"))
		return cell_set(RMID_AT_UNSHARE, "", "positive control failed: with "
				"shm_rmid_forced=0 the segment was %s at unshare%s%s",
				*s.fate ? s.fate : "not found", *s.why ? ": " : "", s.why);
	if (set_rmid_forced(RMID_AT_UNSHARE, 1))
		return;
	if (peer_run(segment_child, at_unshare_steps, &s))
		return cell_set(RMID_AT_UNSHARE, "", "%s", probe_last_message());
	if (!*s.fate)
		return cell_set(RMID_AT_UNSHARE, "", "%s", s.why);
	cell_set(RMID_AT_UNSHARE, s.fate, "an unattached segment the child made: %s at its "
		 "unshare(CLONE_NEWIPC) with shm_rmid_forced=1, kept with 0 (the control)", s.fate);
}

static int made_steps(struct peer *c, void *arg)
{
	return peer_hear(c, &((struct segment *)arg)->id);
}

/* A segment outlives its creator with shm_rmid_forced=0; then write 1. */
static void rmid_orphans(void)
{
	struct segment s = { .unshare = false, .id = -1 };
	struct shmid_ds ds;
	long err;

	if (set_rmid_forced(RMID_ORPHANS, 0))
		return;
	if (peer_run(segment_child, made_steps, &s))
		return cell_set(RMID_ORPHANS, "", "%s", probe_last_message());
	if (s.id < 0)
		return cell_set(RMID_ORPHANS, "", "the child's shmget: %s", errno_word(-s.id));
	if ((err = errno_of(shmctl((int)s.id, IPC_STAT, &ds))))
		return cell_set(RMID_ORPHANS, "", "positive control failed: the orphan after its "
				"creator exited: %s", errno_word(err));
	if (set_rmid_forced(RMID_ORPHANS, 1)) {
		shmctl((int)s.id, IPC_RMID, NULL);
		return;
	}
	fate(&s);
	if (!*s.fate)
		return cell_set(RMID_ORPHANS, "", "%s", s.why);
	cell_set(RMID_ORPHANS, s.fate, "a segment whose creator exited with shm_rmid_forced=0 "
		 "(control: it was still there): %s right after writing 1", s.fate);
}

static int measure(void)
{
	long shm_err = handles_across_unshare();

	if (shm_err == ENOSYS) { /* and kernel.shm_rmid_forced is not there either */
		cell_lacks(RMID_AT_UNSHARE, shm_err, "shmget", LACKS_SYSVIPC);
		cell_lacks(RMID_ORPHANS, shm_err, "shmget", LACKS_SYSVIPC);
		return 0;
	}
	rmid_at_unshare();
	rmid_orphans();
	set_rmid_forced((size_t)-1, 0); /* the sandbox's, and it dies: tidiness */
	return 0;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .entry = NS_ENTRY_UNSHARE, .cells = cells,
					  .measure = measure };

	return harness_main(&h, argc, argv);
}
