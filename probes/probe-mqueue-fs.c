/* SPDX-License-Identifier: MIT
 *
 * probe-mqueue-fs: which IPC namespace an mqueue mount shows. In a new
 * private mount namespace: an mqueue mount made before
 * unshare(CLONE_NEWIPC), one made after, a queue made as a file through the
 * mount; then, as an unprivileged user, mounting mqueue inside a new user
 * namespace that owns a new IPC namespace, and one that does not. One run
 * measures five cells and prints a line a cell for suites/scenario.sh
 * --observe.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/mech.h"
#include "lib/ns.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_LEN 256 /* the mount directory; its paths fit PATH_LEN */
#define PATH_LEN 512
/* What ENODEV from mounting mqueue means (ENOSYS from mq_open: lib/mech-posix.c) */
#define NO_MQUEUE "this kernel lacks POSIX message queues (CONFIG_POSIX_MQUEUE is off)"

static const char usage_text[] =
	"usage: probe-mqueue-fs [-t SECONDS]\n"
	"mqueue mounts made before and after unshare (old-ns/new-ns), a queue made as\n"
	"a file (visible/invisible), mounting mqueue in a new user namespace\n"
	"(allowed/denied).\n";

static bool rootless;

enum { BEFORE_UNSHARE, FRESH_MOUNT, THROUGH_FS, IN_USERNS, IN_USERNS_HOST_IPC };

/* The queues, as tokens of lib/mech-posix.c ("/" + token as names) */
#define Q_BEFORE "mqueue-fs-made-before"
#define Q_AFTER "mqueue-fs-made-after"
#define Q_FILE "mqueue-fs-made-as-file"

/* Makes queue TOKEN (lib/mech-posix.c), or says why in the note: 0, or the
 * exit code of the contract (PROBE_UNSUPPORTED: no queues in this kernel). */
static int make_queue(const char *token)
{
	const struct probe_mech *mq = probe_find_mech("posix-mq", NULL);
	int rc;

	probe_kconfig = mq->kconfig;
	rc = mq->create(token, 1);
	probe_kconfig = NULL;
	return rc ? cells_note(rc, 0, "%s", probe_last_message()) : 0;
}

/* Does the mount MNT list queue TOKEN as a file? */
static bool listed(const char *mnt, const char *token)
{
	char path[PATH_LEN];
	struct stat st;

	snprintf(path, sizeof(path), "%.300s/%.64s", mnt, token);
	return stat(path, &st) == 0;
}

/* 0 when mq_open finds queue TOKEN, else the errno. */
static int find_queue(const char *token)
{
	char name[PROBE_TOKEN_MAX + 2];
	mqd_t q;

	probe_posix_name(token, name, sizeof(name));
	q = mq_open(name, O_RDWR | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return errno;
	mq_close(q);
	return 0;
}

/* DIR/NAME with mqueue on it. The first call puts a tmpfs over DIR, so
 * that nothing is written into the host's directory. 0, or the errno. */
static int mount_mqueue(const char *dir, const char *name, char *path)
{
	snprintf(path, PATH_LEN, "%.255s/%.16s", dir, name);
	if (!strcmp(name, "old") && mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"))
		return cells_note(errno, errno, "mount tmpfs on %s", dir);
	if (mkdir(path, 0700))
		return cells_note(errno, errno, "mkdir %s", path);
	if (mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return cells_note(errno, errno, "mount mqueue on %s", path);
	return 0;
}

/* The cells of mqueue_mounts not measured yet, the note saying why: skips
 * where the kernel has no POSIX queues at all (ABSENT). */
static void mount_cells_failed(bool absent)
{
	for (size_t i = BEFORE_UNSHARE; i <= THROUGH_FS; i++)
		cell_set(i, absent ? "skip" : "", "%s", cells_why());
}

/* A mount made before unshare(CLONE_NEWIPC): which namespace does it show?
 * 0, or PROBE_UNSUPPORTED (no queues), or PROBE_ERROR, the note saying why. */
static int before_unshare(const char *dir)
{
	char old[PATH_LEN];
	unsigned long was;
	int err, rc;

	if ((err = mount_mqueue(dir, "old", old)) == ENODEV)
		return cells_note(PROBE_UNSUPPORTED, 0, "%s: " NO_MQUEUE, cells_why());
	if (err)
		return PROBE_ERROR;
	if ((rc = make_queue(Q_BEFORE)))
		return rc == PROBE_UNSUPPORTED ? rc : PROBE_ERROR;
	if (!listed(old, Q_BEFORE))
		return cells_note(PROBE_ERROR, 0, "positive control failed: the mount does not "
				  "list /%s, made by mq_open in its own namespace", Q_BEFORE);
	was = ns_inode(0, "ipc");
	if (unshare(CLONE_NEWIPC))
		return cells_note(PROBE_ERROR, errno, "unshare(CLONE_NEWIPC)");
	if (ns_inode(0, "ipc") == was)
		return cells_note(PROBE_ERROR, 0, "unshare(CLONE_NEWIPC) left the IPC namespace as "
				  "it was");
	err = find_queue(Q_BEFORE);
	if (listed(old, Q_BEFORE))
		cell_set(BEFORE_UNSHARE, "old-ns", "after unshare(CLONE_NEWIPC) the mount made "
			 "before still lists /%s; mq_open of it: %s", Q_BEFORE,
			 err ? probe_errno_name(err) : "found");
	else
		cell_set(BEFORE_UNSHARE, "new-ns", "after unshare(CLONE_NEWIPC) the mount made "
			 "before no longer lists /%s", Q_BEFORE);
	return 0;
}

/* After unshare: a fresh mount, and a queue made through it as a file. */
static void after_unshare(const char *dir)
{
	char fresh[PATH_LEN], path[PATH_LEN];
	int fd, err;

	if (mount_mqueue(dir, "fresh", fresh) || make_queue(Q_AFTER))
		return mount_cells_failed(false);
	if (!listed(fresh, Q_AFTER)) {
		cells_note(0, 0, "positive control failed: the fresh mount does not list /%s, made "
			   "by mq_open in the new namespace", Q_AFTER);
		return mount_cells_failed(false);
	}
	if (listed(fresh, Q_BEFORE))
		cell_set(FRESH_MOUNT, "old-ns", "a mount made after unshare lists /%s of the old "
			 "namespace", Q_BEFORE);
	else
		cell_set(FRESH_MOUNT, "new-ns", "a mount made after unshare lists /%s, made in "
			 "the new namespace, and not /%s of the old", Q_AFTER, Q_BEFORE);

	/* The control for the lookup: mq_open finds what mq_open made. */
	if ((err = find_queue(Q_AFTER)))
		return cell_set(THROUGH_FS, "", "positive control failed: mq_open(/%s): %s",
				Q_AFTER, probe_errno_name(err));
	snprintf(path, sizeof(path), "%.300s/%s", fresh, Q_FILE);
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return cell_set(THROUGH_FS, "", "open(%s, O_CREAT): %s", path,
				probe_errno_name(errno));
	close(fd);
	err = find_queue(Q_FILE);
	if (!err)
		cell_set(THROUGH_FS, "visible", "open(O_CREAT) in the mount made a queue that "
			 "mq_open(/%s) finds", Q_FILE);
	else if (err == ENOENT)
		cell_set(THROUGH_FS, "invisible", "open(O_CREAT) in the mount worked, but "
			 "mq_open(/%s): ENOENT", Q_FILE);
	else
		cell_set(THROUGH_FS, "", "mq_open(/%s): %s", Q_FILE, probe_errno_name(err));
}

/* In a new IPC and mount namespace made by ns_start, / already private. */
static int mqueue_mounts(void *dir)
{
	int rc = before_unshare(dir);

	if (rc)
		mount_cells_failed(rc == PROBE_UNSUPPORTED);
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
		rc = cells_note(-1, errno, "writing %s", path);
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
	int flags = CLONE_NEWUSER | CLONE_NEWNS | (new_ipc ? CLONE_NEWIPC : 0), err;
	const char *why;
	char map[32];

	if (probe_drop_root())
		return cell_set(cell, "", "dropping to uid %d: %s", PROBE_NOBODY,
				probe_errno_name(errno));
	if (unshare(flags)) {
		err = errno;
		why = ns_refusal(flags, err);
		return cell_set(cell, why ? "skip" : "", "unshare(CLONE_NEWUSER|CLONE_NEWNS%s) as "
				"uid %u: %s: %s", new_ipc ? "|CLONE_NEWIPC" : "", (unsigned)uid,
				probe_errno_name(err), why ? why : "unexpected");
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (write_self("setgroups", "deny") || write_self("uid_map", map))
		return cell_set(cell, "", "%s", cells_why());
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (write_self("gid_map", map))
		return cell_set(cell, "", "%s", cells_why());
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

	cells_note(0, 0, "the user-namespace child gave no answer");
	fflush(NULL);
	pid = fork();

	/* The working directory is the mount point: nobody need not search
	 * the directories above it. */
	if (pid == 0) {
		if (chdir(dir))
			cells_note(0, errno, "chdir %s", dir);
		else
			mount_in_userns(cell, new_ipc);
		_exit(0);
	}
	if (pid < 0)
		cells_note(0, errno, "fork");
	else
		ns_wait(pid, probe_timeout(), "the user-namespace child");
	cell_set(cell, "", "%s", cells_why());
}

static int mqueue_fs(void)
{
	const char *ns, *tmp = getenv("TMPDIR");
	char dir[DIR_LEN];
	pid_t pid;
	int rc;

	probe_quiet = true; /* a step's diagnostic is a cell's detail here */
	rootless = harness_rootless();
	probe_arm_deadline("mqueue-fs");
	ns = rootless ? "ipc+user+mnt" : "ipc+mnt";

	cell_declare("mqueue-fs", "mount-before-unshare", "unshare", ns);
	cell_declare("mqueue-fs", "fresh-mount", "unshare", ns);
	cell_declare("mqueue-fs", "create-through-fs", "-", ns);
	cell_declare("mqueue-fs", "mount-in-userns", "unshare", "ipc+user+mnt");
	cell_declare("mqueue-fs", "mount-in-userns-host-ipc", "unshare", "user+mnt");
	/* Every mount goes on this directory, in mount namespaces made here. */
	tmp = tmp && *tmp ? tmp : "/tmp";
	if (strlen(tmp) > DIR_LEN - 32)
		return probe_fail(PROBE_ERROR, "TMPDIR is longer than %d bytes", DIR_LEN - 32);
	snprintf(dir, sizeof(dir), "%s/ipcns-mqueue.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return probe_fail_errno(PROBE_ERROR, errno, "mkdtemp %s", dir);
	cells_note(0, 0, "the mqueue child gave no word");
	if (!rootless && chmod(dir, 0711)) /* nobody mounts on it, below */
		rc = cells_note(PROBE_ERROR, errno, "chmod %s", dir);
	else
		rc = harness_start(NS_ENTRY_CLONE, NS_WANT_MNT | (rootless ? NS_WANT_USER : 0),
				   mqueue_mounts, dir, &pid);
	if (rc == PROBE_REACHED)
		ns_wait(pid, probe_timeout(), "the mqueue child");
	for (size_t i = BEFORE_UNSHARE; i <= THROUGH_FS; i++)
		cell_set(i, rc == PROBE_UNSUPPORTED ? "skip" : "", "%s", cells_why());
	measure_userns_mount(dir, IN_USERNS, true);
	measure_userns_mount(dir, IN_USERNS_HOST_IPC, false);
	if (rmdir(dir))
		probe_fail_errno(PROBE_ERROR, errno, "rmdir %s", dir);
	return PROBE_REACHED;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .on_host = true,
					  .measure = mqueue_fs };

	return harness_main(&h, argc, argv);
}
