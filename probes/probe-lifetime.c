/* SPDX-License-Identifier: MIT
 *
 * probe-lifetime: how long IPC objects outlive their processes, and which
 * namespace an mqueue mount shows. One run measures several cells and prints
 * a line a cell for suites/scenario.sh --observe.
 *
 * lifetime   a child makes objects in a new IPC namespace and exits, so that
 *            only an nsfs fd held by the parent keeps the namespace. Does a
 *            process that setns()es through the fd find them? Once the fd is
 *            closed, are they destroyed (does their memory leave Shmem)?
 * mqueue-fs  in a new private mount namespace: an mqueue mount made before
 *            unshare(CLONE_NEWIPC), one made after, a queue made as a file;
 *            and mounting mqueue inside a new user namespace.
 */
#include "lib/cells.h"
#include "lib/ns.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VALUE 4242             /* what every object carries */
#define SMALL_BYTES 4096
#define BIG_BYTES (32ul << 20) /* large enough to stand out in Shmem */
#define FREE_BOUND_MS 5000
#define WHY_LEN 256
#define DIR_LEN 256            /* the mount directory; its paths fit PATH_LEN */
#define PATH_LEN 512
/* What ENOSYS from mq_open, ENODEV from mounting mqueue, ENOSYS from shmget mean */
#define NO_MQUEUE "this kernel lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"
#define NO_SYSVIPC "this kernel lacks SysV IPC (CONFIG_SYSVIPC is off)"

static const char usage_text[] =
	"usage: probe-lifetime [-t SECONDS] lifetime | mqueue-fs\n"
	"Measures several cells; prints a line each, tab-separated:\n"
	"  OBSERVE mechanism scenario entry namespaces observed detail\n"
	"  lifetime    objects of a namespace held only by an nsfs fd, reached by\n"
	"              setns (survives/gone); destroyed once the fd is closed\n"
	"              (destroyed/kept: Shmem in /proc/meminfo)\n"
	"  mqueue-fs   mqueue mounts made before and after unshare (old-ns/new-ns),\n"
	"              a queue made as a file (visible/invisible), mounting mqueue\n"
	"              in a new user namespace (allowed/denied)\n"
	"  -t          bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error\n";

/* What the processes of a run share besides the cells (lib/cells.h). */
static struct shared {
	char why[WHY_LEN];       /* the last failure, in words */
	unsigned long rss_pages; /* SHM_INFO of the held namespace */
} *sh;

static bool rootless;

static int note(int code, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "WHAT: ENAME" in sh->why, for a detail, like probe_fail_errno: returns
 * CODE, and leaves errno as it was. */
static int note(int code, int err, const char *fmt, ...)
{
	int saved = errno, n;
	va_list ap;

	va_start(ap, fmt);
	n = vsnprintf(sh->why, WHY_LEN, fmt, ap);
	va_end(ap);
	if (err && n >= 0 && n < WHY_LEN)
		snprintf(sh->why + n, (size_t)(WHY_LEN - n), ": %s", probe_errno_name(err));
	errno = saved;
	return code;
}

/* ns_start; on failure its reason (the parent's, or the child's, which it
 * hands back at the checkpoint) is kept in sh->why too, so that a skip can
 * say why. */
static int start(const struct ns_spec *spec, ns_child_fn fn, void *arg, pid_t *pid)
{
	int rc = ns_start(spec, fn, arg, pid);

	if (rc)
		note(0, 0, "%s", probe_last_message()[0] ? probe_last_message()
			 : "making the namespaces failed");
	return rc;
}

/* ---- lifetime --------------------------------------------------------- */

enum { SHM_HELD, MQ_HELD, SHM_DESTROYED };

struct lifetime {
	int small_key, big_key;
	char mq_name[PROBE_TOKEN_MAX + 2];
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
		return note(-1, errno, "shmget(0x%08x, %zu, IPC_CREAT|IPC_EXCL)", (unsigned)key, bytes);
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return note(-1, errno, "shmat(%d)", id);
	memset(p, 'x', bytes);
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
		return note(errno == ENOENT ? PROBE_ABSENT : PROBE_ERROR, errno,
			    "shmget(0x%08x, 0)", (unsigned)key);
	p = shmat(id, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return note(PROBE_ERROR, errno, "shmat(%d)", id);
	if (!probe_scan_value(p, SMALL_BYTES, value))
		rc = note(PROBE_ERROR, 0, "segment %d holds no value", id);
	shmdt(p);
	return rc;
}

static int mq_make(const char *name)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 16 };
	char buf[16];
	int n = probe_format_value(buf, sizeof(buf), VALUE);
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0600, &attr);

	if (q == (mqd_t)-1)
		return note(-1, errno, "mq_open(%s, O_CREAT|O_EXCL)", name);
	n = mq_send(q, buf, (size_t)n, 0);
	mq_close(q);
	return n ? note(-1, errno, "mq_send(%s)", name) : 0;
}

/* Receives the value and sends it back, so that reading can be repeated. */
static int mq_read(const char *name, unsigned *value)
{
	mqd_t q = mq_open(name, O_RDWR | O_NONBLOCK);
	char buf[16];
	ssize_t n;
	int rc = PROBE_REACHED;

	if (q == (mqd_t)-1)
		return note(errno == ENOENT ? PROBE_ABSENT : PROBE_ERROR, errno,
			    "mq_open(%s, O_RDWR)", name);
	n = mq_receive(q, buf, sizeof(buf), NULL);
	if (n < 0 || !probe_scan_value(buf, (size_t)n, value) || mq_send(q, buf, (size_t)n, 0))
		rc = note(PROBE_ERROR, n < 0 ? errno : 0, "reading %s", name);
	mq_close(q);
	return rc;
}

/* The child, in its new namespace: the objects, the positive control (it
 * reads both values back), then it waits for the parent's fds and exits. */
static int make_objects(void *arg)
{
	struct lifetime *l = arg;
	unsigned in_shm = VALUE, in_mq = VALUE;
	bool shm = true, mq = true;

	close(l->made[0]);
	close(l->opened[1]);
	/* A kernel without one of the two: its cells skip, the other is measured */
	if (shm_make(l->small_key, SMALL_BYTES)) {
		if (errno != ENOSYS)
			return PROBE_ERROR;
		cell_set(SHM_HELD, "skip", "%s: " NO_SYSVIPC, sh->why);
		cell_set(SHM_DESTROYED, "skip", "%s: " NO_SYSVIPC, sh->why);
		shm = false;
	}
	if (mq_make(l->mq_name)) {
		if (errno != ENOSYS)
			return PROBE_ERROR;
		cell_set(MQ_HELD, "skip", "%s: " NO_MQUEUE, sh->why);
		mq = false;
	}
	if ((shm && (shm_make(l->big_key, BIG_BYTES) || shm_read(l->small_key, &in_shm))) ||
	    (mq && mq_read(l->mq_name, &in_mq)))
		return PROBE_ERROR;
	if (in_shm != VALUE || in_mq != VALUE)
		return note(PROBE_ERROR, 0, "read back %u and %u, not %u", in_shm, in_mq, VALUE);
	if (probe_checkpoint_write(l->made[1], 'm'))
		return PROBE_ERROR;
	return probe_checkpoint_read(l->opened[0], 'o', probe_timeout(), "the parent's fds")
		       ? PROBE_ERROR : PROBE_REACHED;
}

/* While the maker waits: the parent's own references to its namespaces. */
static int hold(struct lifetime *l, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", (int)pid);
	l->ipc_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->ipc_fd < 0 || fstat(l->ipc_fd, &st))
		return note(-1, errno, "holding the namespace: open %s", path);
	l->held_ino = (unsigned long)st.st_ino;
	if (!rootless)
		return 0;
	/* setns into its IPC namespace needs CAP_SYS_ADMIN in the owner */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	l->user_fd = open(path, O_RDONLY | O_CLOEXEC);
	return l->user_fd < 0 ? note(-1, errno, "holding the namespace: open %s", path) : 0;
}

static void judge_held(size_t cell, int rc, unsigned value)
{
	if (rc == PROBE_ABSENT)
		cell_set(cell, "gone", "after setns through the fd: %s", sh->why);
	else if (rc == PROBE_REACHED && value == VALUE)
		cell_set(cell, "survives", "after setns through the fd, with no process left "
			 "in the namespace, the object still holds %u", value);
	else
		cell_set(cell, "", "after setns: %s (read %u)", rc ? sh->why : "", value);
}

/* Runs in a fork: joins the held namespace through the fds and looks. */
static int join_and_look(const struct lifetime *l)
{
	struct shm_info info;
	unsigned value = 0;
	int rc;

	if (l->user_fd >= 0 && setns(l->user_fd, CLONE_NEWUSER))
		return note(0, errno, "setns(/proc/PID/ns/user fd)");
	if (setns(l->ipc_fd, CLONE_NEWIPC))
		return note(0, errno, "setns(/proc/PID/ns/ipc fd, CLONE_NEWIPC)");
	if (ns_inode(0, "ipc") != l->held_ino)
		return note(0, 0, "setns did not take us into the held namespace");
	rc = shm_read(l->small_key, &value);
	judge_held(SHM_HELD, rc, value);
	rc = mq_read(l->mq_name, &value);
	judge_held(MQ_HELD, rc, value);
	if (shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info) >= 0)
		sh->rss_pages = info.shm_rss;
	return 0;
}

/* "survives" would mean nothing if the host had the same names. */
static void host_must_not_see(const struct lifetime *l)
{
	unsigned value;

	if (shm_read(l->small_key, &value) != PROBE_ABSENT)
		cell_set(SHM_HELD, "", "control failed: the host reaches key 0x%08x too",
			 (unsigned)l->small_key);
	if (mq_read(l->mq_name, &value) != PROBE_ABSENT)
		cell_set(MQ_HELD, "", "control failed: the host reaches %s too", l->mq_name);
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
static void watch_free(struct lifetime *l)
{
	long need = (long)(BIG_BYTES / 1024) * 9 / 10, held = shmem_kib(), now = held, ms;
	unsigned long rss_kib = sh->rss_pages * (unsigned long)sysconf(_SC_PAGESIZE) / 1024;
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
	pid_t pid;
	int rc;

	host_must_not_see(l); /* first: the first word on a cell stands */
	pid = fork();
	if (pid == 0)
		_exit(join_and_look(l));
	rc = pid < 0 ? note(PROBE_ERROR, errno, "fork") : ns_wait(pid, probe_timeout(), "the joiner");
	cell_set(SHM_HELD, "", "%s (exit %d)", sh->why, rc);
	cell_set(MQ_HELD, "", "%s (exit %d)", sh->why, rc);
	watch_free(l);
}

static int lifetime(void)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = rootless ? NS_WANT_USER : 0 };
	const char *ns = rootless ? "ipc+user" : "ipc";
	struct lifetime l = { .ipc_fd = -1, .user_fd = -1 };
	char token[PROBE_TOKEN_MAX + 1];
	pid_t pid;
	int rc;

	cell_declare("sysv-shm", "held-by-nsfs-fd", "setns", ns);
	cell_declare("posix-mq", "held-by-nsfs-fd", "setns", ns);
	cell_declare("sysv-shm", "destroyed-with-last-holder", "setns", ns);
	/* names of this process, so that the host cannot have them */
	snprintf(token, sizeof(token), "ipcns-lifetime-%d-small", (int)getpid());
	l.small_key = probe_sysv_key(token);
	snprintf(token, sizeof(token), "ipcns-lifetime-%d-big", (int)getpid());
	l.big_key = probe_sysv_key(token);
	snprintf(token, sizeof(token), "ipcns-lifetime-%d", (int)getpid());
	probe_posix_name(token, l.mq_name, sizeof(l.mq_name));
	if (pipe2(l.made, O_CLOEXEC) || pipe2(l.opened, O_CLOEXEC))
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");

	note(0, 0, "the child making the objects gave no word");
	rc = start(&spec, make_objects, &l, &pid);
	close(l.made[1]);
	close(l.opened[0]);
	if (rc) {
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "%s", sh->why);
		return cells_print();
	}
	rc = probe_checkpoint_read(l.made[0], 'm', probe_timeout(), "the objects");
	if (rc)
		cells_rest("", "positive control failed: in the new namespace: %s", sh->why);
	if (!rc && (hold(&l, pid) || probe_checkpoint_write(l.opened[1], 'o')))
		rc = PROBE_ERROR;
	close(l.opened[1]); /* on failure, EOF tells the child to give up */
	close(l.made[0]);
	if (ns_wait(pid, probe_timeout(), "the child making the objects") == 0 && !rc)
		measure_held(&l);
	cells_rest("", "%s", sh->why);
	if (l.ipc_fd >= 0)
		close(l.ipc_fd);
	if (l.user_fd >= 0)
		close(l.user_fd);
	return cells_print();
}

/* ---- mqueue-fs -------------------------------------------------------- */

enum { BEFORE_UNSHARE, FRESH_MOUNT, THROUGH_FS, IN_USERNS, IN_USERNS_HOST_IPC };

#define Q_BEFORE "/lifetime-made-before"
#define Q_AFTER "/lifetime-made-after"
#define Q_FILE "/lifetime-made-as-file"

/* Does the mount MNT list queue NAME ("/name") as a file? */
static bool listed(const char *mnt, const char *name)
{
	char path[PATH_LEN];
	struct stat st;

	snprintf(path, sizeof(path), "%.300s%.64s", mnt, name);
	return stat(path, &st) == 0;
}

/* 0 when mq_open finds NAME, else the errno. */
static int find_queue(const char *name)
{
	mqd_t q = mq_open(name, O_RDWR);

	if (q == (mqd_t)-1)
		return errno;
	mq_close(q);
	return 0;
}

/* DIR/NAME with mqueue on it. The first call puts a tmpfs over DIR, so
 * that nothing is written into the host's directory. */
static int mount_mqueue(const char *dir, const char *name, char *path)
{
	snprintf(path, PATH_LEN, "%.255s/%.16s", dir, name);
	if (!strcmp(name, "old") && mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"))
		return note(-1, errno, "mount tmpfs on %s", dir);
	if (mkdir(path, 0700))
		return note(-1, errno, "mkdir %s", path);
	if (mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return note(-1, errno, "mount mqueue on %s", path);
	return 0;
}

/* The cells of mqueue_mounts not measured yet: sh->why says why. */
static void mount_cells_failed(void)
{
	/* ENODEV from mounting, ENOSYS from mq_open: no POSIX queues at all */
	bool absent = errno == ENODEV || errno == ENOSYS;

	for (size_t i = BEFORE_UNSHARE; i <= THROUGH_FS; i++)
		cell_set(i, absent ? "skip" : "", "%s%s", sh->why, absent ? ": " NO_MQUEUE : "");
}

/* A mount made before unshare(CLONE_NEWIPC): which namespace does it show? */
static int before_unshare(const char *dir)
{
	char old[PATH_LEN];
	unsigned long was;
	int err;

	if (mount_mqueue(dir, "old", old) || mq_make(Q_BEFORE))
		return -1;
	if (!listed(old, Q_BEFORE))
		return note(-1, 0, "positive control failed: the mount does not list %s, made by "
			    "mq_open in its own namespace", Q_BEFORE);
	was = ns_inode(0, "ipc");
	if (unshare(CLONE_NEWIPC))
		return note(-1, errno, "unshare(CLONE_NEWIPC)");
	if (ns_inode(0, "ipc") == was)
		return note(-1, 0, "unshare(CLONE_NEWIPC) left the IPC namespace as it was");
	err = find_queue(Q_BEFORE);
	if (listed(old, Q_BEFORE))
		cell_set(BEFORE_UNSHARE, "old-ns", "after unshare(CLONE_NEWIPC) the mount made "
			 "before still lists %s; mq_open of it: %s", Q_BEFORE,
			 err ? probe_errno_name(err) : "found");
	else
		cell_set(BEFORE_UNSHARE, "new-ns", "after unshare(CLONE_NEWIPC) the mount made "
			 "before no longer lists %s", Q_BEFORE);
	return 0;
}

/* After unshare: a fresh mount, and a queue made through it as a file. */
static void after_unshare(const char *dir)
{
	char fresh[PATH_LEN], path[PATH_LEN];
	int fd, err;

	if (mount_mqueue(dir, "fresh", fresh) || mq_make(Q_AFTER))
		return mount_cells_failed();
	if (!listed(fresh, Q_AFTER)) {
		note(0, 0, "positive control failed: the fresh mount does not list %s, made by "
		     "mq_open in the new namespace", Q_AFTER);
		return mount_cells_failed();
	}
	if (listed(fresh, Q_BEFORE))
		cell_set(FRESH_MOUNT, "old-ns", "a mount made after unshare lists %s of the old "
			 "namespace", Q_BEFORE);
	else
		cell_set(FRESH_MOUNT, "new-ns", "a mount made after unshare lists %s, made in "
			 "the new namespace, and not %s of the old", Q_AFTER, Q_BEFORE);

	/* The control for the lookup: mq_open finds what mq_open made. */
	if ((err = find_queue(Q_AFTER)))
		return cell_set(THROUGH_FS, "", "positive control failed: mq_open(%s): %s",
				Q_AFTER, probe_errno_name(err));
	snprintf(path, sizeof(path), "%.300s%s", fresh, Q_FILE);
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return cell_set(THROUGH_FS, "", "open(%s, O_CREAT): %s", path,
				probe_errno_name(errno));
	close(fd);
	err = find_queue(Q_FILE);
	if (!err)
		cell_set(THROUGH_FS, "visible", "open(O_CREAT) in the mount made a queue that "
			 "mq_open(%s) finds", Q_FILE);
	else if (err == ENOENT)
		cell_set(THROUGH_FS, "invisible", "open(O_CREAT) in the mount worked, but "
			 "mq_open(%s): ENOENT", Q_FILE);
	else
		cell_set(THROUGH_FS, "", "mq_open(%s): %s", Q_FILE, probe_errno_name(err));
}

/* In a new IPC and mount namespace made by ns_start, / already private. */
static int mqueue_mounts(void *dir)
{
	if (before_unshare(dir))
		mount_cells_failed();
	else
		after_unshare(dir);
	return 0;
}

static int write_self(const char *file, const char *text)
{
	char path[64];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = note(-1, errno, "writing %s", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* As an unprivileged user (root drops to nobody first: a user namespace of
 * root's would map 0 to 0), a new user and mount namespace, with a new IPC
 * namespace or the host's; then mount mqueue on the working directory. The
 * positive control: tmpfs mounts there. Runs in a fork. */
static void mount_in_userns(size_t cell, bool new_ipc)
{
	uid_t uid = rootless ? geteuid() : PROBE_NOBODY;
	gid_t gid = rootless ? getegid() : PROBE_NOBODY;
	const char *owning = new_ipc ? "owning a new IPC namespace" : "in the host's IPC namespace";
	char map[32];

	if (probe_drop_root())
		return cell_set(cell, "", "dropping to uid %d: %s", PROBE_NOBODY,
				probe_errno_name(errno));
	int flags = CLONE_NEWUSER | CLONE_NEWNS | (new_ipc ? CLONE_NEWIPC : 0), err;
	const char *why;

	if (unshare(flags)) {
		err = errno;
		why = ns_refusal(flags, err);
		return cell_set(cell, why ? "skip" : "", "unshare(CLONE_NEWUSER|CLONE_NEWNS%s) as "
				"uid %u: %s: %s", new_ipc ? "|CLONE_NEWIPC" : "", (unsigned)uid,
				probe_errno_name(err), why ? why : "unexpected");
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_self("setgroups", "deny") || write_self("uid_map", map))
		return cell_set(cell, "", "%s", sh->why);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_self("gid_map", map))
		return cell_set(cell, "", "%s", sh->why);
	/* "none": the kernel ignores it here; valgrind wants a string */
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", ".", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"))
		return cell_set(cell, "", "positive control failed: as uid %u in a new user "
				"namespace, making / private or mounting tmpfs: %s", (unsigned)uid,
				probe_errno_name(errno));
	if (!mount("mqueue", ".", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		cell_set(cell, "allowed", "as uid %u, root of a new user namespace %s: mount "
			 "mqueue worked (as tmpfs did)", (unsigned)uid, owning);
	else if (errno == EPERM)
		cell_set(cell, "denied", "as uid %u, root of a new user namespace %s: mount "
			 "mqueue: EPERM (tmpfs worked)", (unsigned)uid, owning);
	else if (errno == ENODEV)
		cell_set(cell, "skip", "mount mqueue: ENODEV: " NO_MQUEUE);
	else
		cell_set(cell, "", "mount mqueue: %s", probe_errno_name(errno));
}

static void measure_userns_mount(const char *dir, size_t cell, bool new_ipc)
{
	pid_t pid;

	note(0, 0, "the user-namespace child gave no answer");
	pid = fork();

	/* The working directory is the mount point: nobody need not search
	 * the directories above it. */
	if (pid == 0) {
		if (chdir(dir))
			note(0, errno, "chdir %s", dir);
		else
			mount_in_userns(cell, new_ipc);
		_exit(0);
	}
	if (pid < 0)
		note(0, errno, "fork");
	else
		ns_wait(pid, probe_timeout(), "the user-namespace child");
	cell_set(cell, "", "%s", sh->why);
}

static int mqueue_fs(void)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE,
				.want = NS_WANT_MNT | (rootless ? NS_WANT_USER : 0) };
	const char *ns = rootless ? "ipc+user+mnt" : "ipc+mnt", *tmp = getenv("TMPDIR");
	char dir[DIR_LEN];
	pid_t pid;
	int rc;

	cell_declare("mqueue-fs", "mount-before-unshare", "unshare", ns);
	cell_declare("mqueue-fs", "fresh-mount", "unshare", ns);
	cell_declare("mqueue-fs", "create-through-fs", "-", ns);
	cell_declare("mqueue-fs", "mount-in-userns", "unshare", "ipc+user+mnt");
	cell_declare("mqueue-fs", "mount-in-userns-host-ipc", "unshare",
		    "user+mnt");
	/* Every mount goes on this directory, in mount namespaces made here. */
	tmp = tmp && *tmp ? tmp : "/tmp";
	if (strlen(tmp) > DIR_LEN - 32)
		return probe_fail(PROBE_ERROR, "TMPDIR is longer than %d bytes", DIR_LEN - 32);
	snprintf(dir, sizeof(dir), "%s/ipcns-mqueue.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return probe_fail_errno(PROBE_ERROR, errno, "mkdtemp %s", dir);
	note(0, 0, "the mqueue child gave no word");
	if (!rootless && chmod(dir, 0711)) /* nobody mounts on it, below */
		rc = note(PROBE_ERROR, errno, "chmod %s", dir);
	else
		rc = start(&spec, mqueue_mounts, dir, &pid);
	if (rc == PROBE_REACHED)
		ns_wait(pid, probe_timeout(), "the mqueue child");
	for (size_t i = BEFORE_UNSHARE; i <= THROUGH_FS; i++)
		cell_set(i, rc == PROBE_UNSUPPORTED ? "skip" : "", "%s", sh->why);
	measure_userns_mount(dir, IN_USERNS, true);
	measure_userns_mount(dir, IN_USERNS_HOST_IPC, false);
	if (rmdir(dir))
		probe_fail_errno(PROBE_ERROR, errno, "rmdir %s", dir);
	return cells_print();
}

int main(int argc, char **argv)
{
	int i = 1, rc = probe_init(argv[0]);

	if (rc)
		goto usage;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return PROBE_REACHED;
	}
	if (probe_take_timeout(argc, argv, &i))
		goto usage;
	if (argc - i != 1 || (strcmp(argv[i], "lifetime") && strcmp(argv[i], "mqueue-fs"))) {
		probe_fail(PROBE_USAGE, argc - i == 1 ? "unknown verb '%.64s'" : "wants one verb%.0s",
			   argc > i ? argv[i] : "");
		goto usage;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return probe_fail_errno(PROBE_ERROR, errno, "mmap");
	if (cells_init())
		return PROBE_ERROR;
	rootless = getuid() != 0;
	probe_arm_deadline(argv[i]);
	return strcmp(argv[i], "lifetime") ? mqueue_fs() : lifetime();

usage:
	fputs(usage_text, stderr);
	return PROBE_USAGE;
}
