/* SPDX-License-Identifier: MIT
 *
 * Namespaces by name: the entry points and the namespace options, inodes,
 * a namespace held by an nsfs fd, and the words for a refusal. Putting a
 * child into them is ns-start.c's.
 */
#include "ns.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const entry_names[] = {
	[NS_ENTRY_FORK] = "fork",       [NS_ENTRY_CLONE] = "clone",
	[NS_ENTRY_CLONE3] = "clone3",   [NS_ENTRY_UNSHARE] = "unshare",
	[NS_ENTRY_SETNS] = "setns",     [NS_ENTRY_PIDFD] = "pidfd",
};

/* The namespaces a new or joined namespace involves, the user namespace
 * first (target_join relies on it), and the kernel option without which a
 * type does not exist (no /proc/self/ns/TYPE, EINVAL on creation). */
const struct ns_type ns_types[NS_TYPES] = {
	{ "user", CLONE_NEWUSER, "CONFIG_USER_NS" }, { "ipc", CLONE_NEWIPC, "CONFIG_IPC_NS" },
	{ "mnt", CLONE_NEWNS, NULL },                { "net", CLONE_NEWNET, "CONFIG_NET_NS" },
};

const char ns_options_usage[] =
	"  --entry E   clone (default) | clone3 | unshare | fork (no new namespace);\n"
	"              with --join: setns (default) | pidfd\n"
	"  --mnt       also a mount namespace with fresh tmpfs on /dev/shm and\n"
	"              mqueue on /dev/mqueue (when that directory exists)\n"
	"  --net       also a network namespace\n"
	"  --user      also a user namespace, root inside mapped to the caller\n"
	"  --join PID  enter the namespaces of PID that differ from ours\n";

bool ns_parse_entry(const char *s, enum ns_entry *out)
{
	for (size_t i = 0; i < sizeof(entry_names) / sizeof(entry_names[0]); i++)
		if (s && !strcmp(s, entry_names[i])) {
			*out = (enum ns_entry)i;
			return true;
		}
	return false;
}

const char *ns_entry_name(enum ns_entry e)
{
	return entry_names[e];
}

bool ns_is_join(enum ns_entry e)
{
	return e == NS_ENTRY_SETNS || e == NS_ENTRY_PIDFD;
}

int ns_parse_option(int argc, char **argv, int *i, struct ns_spec *spec)
{
	const char *opt = argv[*i];
	const char *arg = *i + 1 < argc ? argv[*i + 1] : NULL;

	if (!strcmp(opt, "--mnt") || !strcmp(opt, "--net") || !strcmp(opt, "--user")) {
		spec->want |= opt[2] == 'm' ? NS_WANT_MNT : opt[2] == 'n' ? NS_WANT_NET
									 : NS_WANT_USER;
		*i += 1;
		return 1;
	}
	if (!strcmp(opt, "--entry")) {
		if (!ns_parse_entry(arg, &spec->entry))
			return probe_fail(PROBE_USAGE, "--entry wants clone, clone3, unshare, "
					  "fork, setns or pidfd, got '%.32s'", arg ? arg : "");
		*i += 2;
		return 1;
	}
	if (!strcmp(opt, "--join")) {
		if (!probe_parse_pid(arg, &spec->target))
			return probe_fail(PROBE_USAGE, "--join wants a pid, got '%.32s'",
					  arg ? arg : "");
		*i += 2;
		return 1;
	}
	return 0;
}

int ns_check_spec(const struct ns_spec *spec)
{
	if (spec->target && !ns_is_join(spec->entry))
		return probe_fail(PROBE_USAGE, "--join goes with --entry setns or pidfd");
	if (!spec->target && ns_is_join(spec->entry))
		return probe_fail(PROBE_USAGE, "--entry %s needs --join PID",
				  ns_entry_name(spec->entry));
	if (spec->target && spec->want)
		return probe_fail(PROBE_USAGE, "--join takes the target's namespaces; "
				  "--mnt, --net and --user do not apply");
	if (spec->entry == NS_ENTRY_FORK && spec->want)
		return probe_fail(PROBE_USAGE, "--entry fork makes no namespace; "
				  "--mnt, --net and --user do not apply");
	return PROBE_REACHED;
}

unsigned long ns_inode(pid_t pid, const char *type)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : (unsigned long)st.st_ino;
}

unsigned long ns_fd_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

int ns_open(pid_t pid, const char *type)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, type);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The holder's part: wait for EOF, which says the parent has its fds. */
static int wait_for_release(void *release)
{
	close(((int *)release)[1]);
	return probe_checkpoint_read(((int *)release)[0], '-', probe_timeout(), "release") != 1;
}

static int open_ns(pid_t pid, const char *type, int *fd)
{
	*fd = ns_open(pid, type);
	return *fd < 0 ? probe_fail_errno(PROBE_ERROR, errno, "holding /proc/%d/ns/%s", (int)pid,
					  type) : 0;
}

int ns_hold(unsigned want, int *ipc, int *user)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	int release[2], rc;
	bool started;
	pid_t pid;

	*ipc = -1;
	if (user)
		*user = -1;
	if (pipe2(release, O_CLOEXEC))
		return probe_fail_errno(PROBE_ERROR, errno, "pipe");
	rc = ns_start(&spec, wait_for_release, release, &pid);
	started = rc == PROBE_REACHED;
	if (started) {
		rc = open_ns(pid, "ipc", ipc);
		rc = rc || !user ? rc : open_ns(pid, "user", user);
	}
	close(release[0]);
	close(release[1]); /* EOF: the holder may go */
	if (started) {
		int ended = ns_wait(pid, probe_timeout(), "the holder");

		rc = rc ? rc : ended;
	}
	if (rc && *ipc >= 0)
		close(*ipc), *ipc = -1;
	if (rc && user && *user >= 0)
		close(*user), *user = -1;
	return rc;
}

void ns_detach(int keep)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	/* Above all bats's fd 3: a daemon holding it would stall the run. */
	for (int i = 3; i < 1024; i++)
		if (i != keep)
			close(i);
}

/* The first line of a sysctl file, or "" where it does not exist. */
static void read_sysctl(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

const char *ns_refusal(int flags, int err)
{
	static char why[192];
	char missing[96] = "", value[16];
	size_t len = 0;

	for (size_t i = 0; i < NS_TYPES; i++)
		if ((flags & ns_types[i].flag) && ns_types[i].kconfig &&
		    !ns_inode(0, ns_types[i].type))
			len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%s",
						len ? " and " : "", ns_types[i].kconfig);
	/* EPERM too: without CONFIG_USER_NS an unprivileged CLONE_NEWUSER gets
	 * EPERM, and no privilege would help. But only where /proc/self/ns
	 * answers at all (its mnt entry is always there). */
	if ((err == EINVAL || err == ENOSYS ||
	     ((err == EPERM || err == EACCES) && ns_inode(0, "mnt"))) && len) {
		snprintf(why, sizeof(why), "this kernel lacks the namespace (%s is off)", missing);
		return why;
	}
	if (err == EINVAL || err == ENOSYS)
		return "refused, although this kernel has the namespaces (/proc/self/ns has "
		       "them): a seccomp filter, a chroot, or a kernel too old for this call";
	if ((err == EPERM || err == EACCES) && (flags & CLONE_NEWUSER)) {
		read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", value,
			    sizeof(value));
		if (!strcmp(value, "1"))
			return "user namespaces are kept from unconfined programs by AppArmor "
			       "(kernel.apparmor_restrict_unprivileged_userns=1)";
		read_sysctl("/proc/sys/kernel/unprivileged_userns_clone", value, sizeof(value));
		if (!strcmp(value, "0"))
			return "user namespaces are kept from ordinary users "
			       "(kernel.unprivileged_userns_clone=0)";
	}
	if (err == EPERM || err == EACCES)
		return "making namespaces needs CAP_SYS_ADMIN (or --user where user namespaces "
		       "are allowed)";
	if (err == ENOSPC && (flags & CLONE_NEWUSER))
		return "no user namespace may be made here (user.max_user_namespaces)";
	return NULL;
}
