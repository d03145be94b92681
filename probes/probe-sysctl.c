/* SPDX-License-Identifier: MIT
 *
 * probe-sysctl: what new IPC namespaces do with the IPC sysctls. For one
 * scenario it measures each sysctl asked for and prints a line a cell.
 * Every write happens in an IPC namespace this probe made (write_value
 * refuses any other); as a net, the host's values are read before and
 * after the run, and a changed one is put back and reported (exit 3).
 */
#include "lib/ns.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NFIELD 4      /* kernel.sem holds four numbers */
#define TEXT_MAX 96   /* a value as text */

struct sysctl {
	const char *name;  /* dotted: also the cell's mechanism */
	const char *needs; /* the kernel option that provides the file */
	long long floor;   /* the smallest value the kernel takes */
	bool is_signed;    /* int fields; shmmax and shmall are unsigned long */
};

/* *_next_id: older kernels take nothing below 0, so -1 steps up to 0. */
static const struct sysctl sysctls[] = {
	{ "kernel.msgmax", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msgmnb", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msgmni", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.sem", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.shmmax", "CONFIG_SYSVIPC", 0, false },
	{ "kernel.shmall", "CONFIG_SYSVIPC", 0, false },
	{ "kernel.shmmni", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.shm_rmid_forced", "CONFIG_SYSVIPC", 0, true },
	{ "kernel.msg_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "kernel.sem_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "kernel.shm_next_id", "CONFIG_CHECKPOINT_RESTORE", 0, true },
	{ "fs.mqueue.queues_max", "CONFIG_POSIX_MQUEUE", 0, true },
	{ "fs.mqueue.msg_max", "CONFIG_POSIX_MQUEUE", 1, true },
	{ "fs.mqueue.msgsize_max", "CONFIG_POSIX_MQUEUE", 128, true },
	{ "fs.mqueue.msg_default", "CONFIG_POSIX_MQUEUE", 1, true },
	{ "fs.mqueue.msgsize_default", "CONFIG_POSIX_MQUEUE", 128, true },
};
#define NSYSCTL (sizeof(sysctls) / sizeof(sysctls[0]))

enum scenario { NEW_NS_DEFAULT, CHILD_WRITE, PARENT_WRITE, FD_BOUND, ROOTLESS_WRITE };
static const char *const scenario_names[] = { "new-ns-default", "child-write-hidden",
					      "parent-write-hidden", "fd-bound",
					      "rootless-write" };
#define NSCENARIO (sizeof(scenario_names) / sizeof(scenario_names[0]))

struct value {
	int n;
	unsigned long long f[NFIELD]; /* signed fields in two's complement */
};

struct cell {
	bool done;
	char observed[TEXT_MAX];
	char detail[512];
};

/* In MAP_SHARED memory: every process of the run fills in its part. */
struct board {
	struct cell cell[NSYSCTL];
	struct value before[NSYSCTL]; /* A's value before anyone wrote */
	struct value wrote[NSYSCTL];  /* the distinct value the writer wrote */
	struct value other[NSYSCTL];  /* B's value before anyone wrote */
};

static struct board *board;
static bool selected[NSYSCTL];
static struct value host[NSYSCTL];
static bool on_host[NSYSCTL];
static unsigned long host_ipc; /* the IPC namespace the probe started in */
static bool rootless;          /* run by anyone but root */
static const char *sysctl_dir = "/proc/sys";

static const char usage_text[] =
	"usage: probe-sysctl [-t SECONDS] SCENARIO [SYSCTL...]\n"
	"Measures what IPC namespaces made by this probe do with each IPC sysctl\n"
	"(default: all 16), and prints a line a sysctl, in the order below:\n"
	"OBSERVE<TAB>sysctl<TAB>scenario<TAB>entry<TAB>namespaces<TAB>observed<TAB>detail\n"
	"  SCENARIO  new-ns-default       B, made from A while A holds a value of its\n"
	"                                 own, reads: the value (kernel.sem as a_b_c_d)\n"
	"            child-write-hidden   B (a child of A) writes; A: isolated | shared\n"
	"            parent-write-hidden  A writes after B exists; B: isolated | shared\n"
	"            fd-bound             an fd opened in A, read after unshare: old-ns | new-ns\n"
	"            rootless-write       the owning user namespace's root writes:\n"
	"                                 allowed | denied (root first becomes uid 65534)\n"
	"  SYSCTL    kernel.{msgmax,msgmnb,msgmni,sem,shmmax,shmall,shmmni,shm_rmid_forced,\n"
	"            msg_next_id,sem_next_id,shm_next_id}, fs.mqueue.{queues_max,msg_max,\n"
	"            msgsize_max,msg_default,msgsize_default}\n"
	"  -t        bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT); a\n"
	"            process that waits for others gets a multiple of it\n"
	"The host's values are never written; one that changes anyway is put back and\n"
	"the probe exits 3. IPCNS_SYSCTL_DIR replaces /proc/sys (for the project's\n"
	"tests: a directory of plain files, which no namespace isolates).\n"
	"exit: 0 measured (whatever was observed), 2 usage, 3 error or a host value\n"
	"      changed, 4 unsupported\n";

/* ---- values and their files ------------------------------------------- */

static void path_of(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", sysctl_dir, sysctls[i].name);
	for (char *p = buf + strlen(sysctl_dir) + 1; *p; p++)
		if (*p == '.')
			*p = '/';
}

static bool parse_value(size_t i, const char *p, struct value *v)
{
	char *end;

	for (v->n = 0;; p = end) {
		p += strspn(p, " \t\n");
		if (!*p)
			return v->n > 0;
		if (v->n == NFIELD || (!sysctls[i].is_signed && *p == '-'))
			return false;
		errno = 0;
		v->f[v->n++] = sysctls[i].is_signed ? (unsigned long long)strtoll(p, &end, 10)
						    : strtoull(p, &end, 10);
		if (errno || end == p)
			return false;
	}
}

/* V as text, its numbers separated by SEP: ' ' to write, '_' for a cell. */
static const char *show(size_t i, const struct value *v, char sep, char *buf)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = 0; k < v->n && off + 1 < TEXT_MAX; k++) {
		if (k)
			buf[off++] = sep;
		if (sysctls[i].is_signed)
			snprintf(buf + off, TEXT_MAX - off, "%lld", (long long)v->f[k]);
		else
			snprintf(buf + off, TEXT_MAX - off, "%llu", v->f[k]);
		off += strlen(buf + off);
	}
	return buf;
}

static bool same(const struct value *a, const struct value *b)
{
	return a->n == b->n && !memcmp(a->f, b->f, sizeof(a->f[0]) * (size_t)a->n);
}

/* A value the kernel takes that differs from V: each number one down, or
 * one up where it sits at the kernel's minimum. */
static struct value step(size_t i, const struct value *v)
{
	struct value d = *v;

	for (int k = 0; k < d.n; k++) {
		bool at_floor = sysctls[i].is_signed ? (long long)d.f[k] <= sysctls[i].floor
						     : d.f[k] <= (unsigned long long)sysctls[i].floor;
		d.f[k] = at_floor ? d.f[k] + 1 : d.f[k] - 1;
	}
	return d;
}

/* Reads FD, or a fresh open when FD < 0: 0, or an errno (EBADMSG: the
 * file does not hold numbers). */
static int read_value(size_t i, int fd, struct value *v)
{
	char path[256], buf[TEXT_MAX];
	int own = -1, err = 0;
	ssize_t n;

	path_of(i, path, sizeof(path));
	if (fd < 0 && (fd = own = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		err = errno;
	else
		buf[n] = '\0';
	if (own >= 0)
		close(own);
	return err ? err : parse_value(i, buf, v) ? 0 : EBADMSG;
}

/* Every write goes through here, and is refused outright in the IPC
 * namespace the probe started in unless the net is RESTORING a value. */
static int write_value(size_t i, const struct value *v, const char **call, bool restoring)
{
	char path[256], text[TEXT_MAX + 1];
	unsigned long ipc = ns_inode(0, "ipc");
	int fd, err = 0;
	size_t len;

	if (!restoring && (!ipc || ipc == host_ipc)) {
		probe_fail(PROBE_ERROR, "BUG: refusing to write %s outside a namespace this "
			   "probe made (ipc inode %lu)", sysctls[i].name, ipc);
		_exit(PROBE_ERROR);
	}
	path_of(i, path, sizeof(path));
	len = strlen(show(i, v, ' ', text));
	text[len++] = '\n';
	*call = "open(O_WRONLY)";
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return errno;
	*call = "write";
	errno = EIO; /* what a short write means */
	if (write(fd, text, len) != (ssize_t)len)
		err = errno;
	close(fd);
	return err;
}

/* ---- cells ------------------------------------------------------------ */

static void vrecord(size_t i, const char *observed, const char *fmt, va_list ap)
{
	struct cell *c = &board->cell[i];

	if (c->done)
		return;
	snprintf(c->observed, sizeof(c->observed), "%s", observed);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	for (char *p = c->detail; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	c->done = true;
}

static __attribute__((format(printf, 3, 4)))
void record(size_t i, const char *observed, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrecord(i, observed, fmt, ap);
	va_end(ap);
}

static bool pending(size_t i)
{
	return selected[i] && !board->cell[i].done;
}

/* Every cell still open gets the same answer: why a step failed. */
static __attribute__((format(printf, 2, 3)))
void fail_pending(const char *observed, const char *fmt, ...)
{
	va_list ap;

	for (size_t i = 0; i < NSYSCTL; i++) {
		va_start(ap, fmt);
		if (pending(i))
			vrecord(i, observed, fmt, ap);
		va_end(ap);
	}
}

static bool read_or_record(size_t i, struct value *v, const char *who)
{
	int err = read_value(i, -1, v);

	if (err)
		record(i, "", "%s could not read %s: %s", who, sysctls[i].name,
		       probe_errno_name(err));
	return !err;
}

/* WHO writes V and must read it back: the positive control of a write. */
static bool write_checked(size_t i, const struct value *v, const char *who)
{
	char want[TEXT_MAX], got[TEXT_MAX];
	struct value back;
	const char *call;
	int err = write_value(i, v, &call, false);

	show(i, v, ' ', want);
	if (err && rootless && (err == EACCES || err == EPERM))
		record(i, "skip", "this kernel lets only global root write IPC sysctls "
		       "(%s %s as root of the owning user namespace: %s)", call, want,
		       probe_errno_name(err));
	else if (err)
		record(i, "", "positive control failed: %s could not write %s: %s: %s", who,
		       want, call, probe_errno_name(err));
	else if ((err = read_value(i, -1, &back)) || !same(&back, v))
		record(i, "", "positive control failed: %s wrote %s but read back %s", who,
		       want, err ? probe_errno_name(err) : show(i, &back, ' ', got));
	else
		return true;
	return false;
}

/* A reads each value and picks a distinct one for the writer. */
static void read_and_pick(const char *who)
{
	for (size_t i = 0; i < NSYSCTL; i++)
		if (pending(i) && read_or_record(i, &board->before[i], who))
			board->wrote[i] = step(i, &board->before[i]);
}

/* ---- namespaces ------------------------------------------------------- */

/* FN runs in a new IPC namespace (owned by a new user namespace when WANT
 * says so); if that fails, every open cell says why. */
static int start_in_ns(unsigned want, ns_child_fn fn, void *arg, const char *who, pid_t *pid)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .want = want };
	int rc = ns_start(&spec, fn, arg, pid);

	if (rc) /* ns_start's own words, which name what would enable it */
		fail_pending(rc == PROBE_UNSUPPORTED ? "skip" : "", "making %s: %s", who,
			     probe_last_message());
	return rc;
}

/* A process that itself waits for others is given LEVELS bounds. */
static int finish(pid_t pid, unsigned levels, const char *who)
{
	int rc = ns_wait(pid, probe_timeout() * levels, who);

	if (rc)
		fail_pending("", "%s ended with exit %d before measuring", who, rc);
	return rc;
}

static int run_in_ns(unsigned want, ns_child_fn fn, void *arg, unsigned levels,
		     const char *who)
{
	pid_t pid;
	int rc = start_in_ns(want, fn, arg, who, &pid);

	return rc ? rc : finish(pid, levels, who);
}

/* ---- new-ns-default: A holds a value of its own; B is made from A ----- */

static int default_in_b(void *arg)
{
	char a0[TEXT_MAX], d[TEXT_MAX], b[TEXT_MAX], cell[TEXT_MAX];
	struct value v;

	(void)arg;
	for (size_t i = 0; i < NSYSCTL; i++) {
		if (!pending(i) || !read_or_record(i, &v, "B"))
			continue;
		show(i, &board->before[i], ' ', a0);
		show(i, &board->wrote[i], ' ', d);
		record(i, show(i, &v, '_', cell), "A started at %s and held %s (read back); "
		       "B, made from A, read %s: %s", a0, d, show(i, &v, ' ', b),
		       same(&v, &board->wrote[i]) ? "inherited A's value"
		       : same(&v, &board->before[i]) ? "not inherited; what A started at"
		       : "not inherited; neither of A's values");
	}
	return 0;
}

static int default_in_a(void *arg)
{
	(void)arg;
	read_and_pick("A");
	for (size_t i = 0; i < NSYSCTL; i++)
		if (pending(i))
			write_checked(i, &board->wrote[i], "A");
	return run_in_ns(0, default_in_b, NULL, 1, "B");
}

/* ---- child-write-hidden, parent-write-hidden -------------------------- */

/* The side that did not write reads again: its old value, or the writer's? */
static void look_again(size_t i, const struct value *old, const char *reader,
		       const char *writer)
{
	char o[TEXT_MAX], d[TEXT_MAX], now[TEXT_MAX];
	struct value v;

	if (!read_or_record(i, &v, reader))
		return;
	show(i, old, ' ', o);
	show(i, &board->wrote[i], ' ', d);
	if (same(old, &board->wrote[i]))
		record(i, "", "cannot tell: %s already held %s, the value %s wrote", reader, o,
		       writer);
	else if (same(&v, old))
		record(i, "isolated", "%s wrote %s and read it back; %s still read %s", writer,
		       d, reader, o);
	else if (same(&v, &board->wrote[i]))
		record(i, "shared", "%s wrote %s; %s, which held %s, read it too", writer, d,
		       reader, o);
	else
		record(i, "", "%s read %s: neither its own %s nor %s's %s", reader,
		       show(i, &v, ' ', now), o, writer, d);
}

/* B, a child of A, reads first; then A (parent-write-hidden) or B
 * (child-write-hidden) writes, and the other one reads again. */
struct gate {
	bool child_writes;
	int ready[2]; /* B -> A: B has read */
	int go[2];    /* A -> B: A has had its turn */
};

static int one_writes_in_b(void *arg)
{
	struct gate *g = arg;
	int rc;

	close(g->ready[0]);
	close(g->go[1]); /* so that A's end reads as EOF */
	for (size_t i = 0; i < NSYSCTL; i++)
		if (pending(i))
			read_or_record(i, &board->other[i], "B");
	if (probe_checkpoint_write(g->ready[1], 'b'))
		return probe_fail_errno(PROBE_ERROR, errno, "checkpoint to A");
	rc = probe_checkpoint_read(g->go[0], 'w', probe_timeout(), "A's turn");
	if (rc)
		return rc == 1 ? PROBE_ERROR : rc;
	for (size_t i = 0; i < NSYSCTL; i++) {
		if (pending(i) && g->child_writes)
			write_checked(i, &board->wrote[i], "B (a child of A)");
		else if (pending(i))
			look_again(i, &board->other[i], "B (made before A wrote)", "A");
	}
	return 0;
}

static int one_writes_in_a(void *arg)
{
	struct gate g = { .child_writes = *(enum scenario *)arg == CHILD_WRITE };
	pid_t pid;
	int rc;

	if (pipe2(g.ready, O_CLOEXEC) || pipe2(g.go, O_CLOEXEC)) {
		fail_pending("", "pipe: %s", probe_errno_name(errno));
		return PROBE_ERROR;
	}
	read_and_pick("A");
	if (start_in_ns(0, one_writes_in_b, &g, "B", &pid))
		return 0;
	close(g.ready[1]);
	close(g.go[0]);
	rc = probe_checkpoint_read(g.ready[0], 'b', probe_timeout(), "B's first reads");
	if (rc)
		fail_pending("", "B did not read before the write (%s)",
			     rc == 1 ? "it ended" : "checkpoint failed");
	for (size_t i = 0; i < NSYSCTL; i++)
		if (pending(i) && !g.child_writes)
			write_checked(i, &board->wrote[i], "A");
	if (probe_checkpoint_write(g.go[1], 'w'))
		fail_pending("", "checkpoint to B: %s", probe_errno_name(errno));
	close(g.go[1]);
	close(g.ready[0]);
	if (finish(pid, 1, "B") || !g.child_writes)
		return 0;
	for (size_t i = 0; i < NSYSCTL; i++)
		if (pending(i))
			look_again(i, &board->before[i], "A", "B (a child of A)");
	return 0;
}

/* ---- fd-bound: an fd opened in A, read after unshare ------------------ */

static void judge_fd(size_t i, int fd)
{
	char d[TEXT_MAX], c[TEXT_MAX], got[TEXT_MAX];
	struct value fresh, v;
	int err;

	show(i, &board->wrote[i], ' ', d);
	/* the control: a fresh open reaches the new namespace, not A */
	if (!read_or_record(i, &fresh, "a fresh open after unshare"))
		return;
	show(i, &fresh, ' ', c);
	if (same(&fresh, &board->wrote[i]))
		record(i, "", "positive control failed: a fresh open after unshare read A's "
		       "value %s too", d);
	else if ((err = read_value(i, fd, &v)))
		record(i, "", "reading the fd opened in A: %s", probe_errno_name(err));
	else if (same(&v, &board->wrote[i]))
		record(i, "old-ns", "the fd opened in A (holding %s) read %s after unshare; "
		       "a fresh open read the new namespace's %s", d, d, c);
	else if (same(&v, &fresh))
		record(i, "new-ns", "the fd opened in A (holding %s) read the new namespace's "
		       "%s after unshare, as a fresh open did", d, c);
	else
		record(i, "", "the fd opened in A read %s: neither A's %s nor the new "
		       "namespace's %s", show(i, &v, ' ', got), d, c);
}

static int fd_bound_in_a(void *arg)
{
	char path[256];
	int fds[NSYSCTL];
	unsigned long a = ns_inode(0, "ipc"), now;

	(void)arg;
	read_and_pick("A");
	for (size_t i = 0; i < NSYSCTL; i++) {
		fds[i] = -1;
		if (!pending(i) || !write_checked(i, &board->wrote[i], "A"))
			continue;
		path_of(i, path, sizeof(path));
		if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			record(i, "", "open(O_RDONLY) in A: %s", probe_errno_name(errno));
	}
	if (unshare(CLONE_NEWIPC))
		fail_pending("", "unshare(CLONE_NEWIPC) in A: %s", probe_errno_name(errno));
	else if (!(now = ns_inode(0, "ipc")) || now == a)
		fail_pending("", "unshare(CLONE_NEWIPC) worked, but the ipc inode is "
			     "still %lu", a);
	for (size_t i = 0; i < NSYSCTL; i++) {
		if (fds[i] >= 0 && pending(i))
			judge_fd(i, fds[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return 0;
}

/* ---- rootless-write: the root of the user namespace owning the IPC one  */

static int rootless_in_ns(void *arg)
{
	char d[TEXT_MAX], got[TEXT_MAX];
	unsigned outside = *(unsigned *)arg;
	struct value back;
	const char *call;
	int err;

	read_and_pick("the user namespace's root");
	for (size_t i = 0; i < NSYSCTL; i++) {
		if (!pending(i))
			continue;
		show(i, &board->wrote[i], ' ', d);
		err = write_value(i, &board->wrote[i], &call, false);
		if (err == EACCES || err == EPERM)
			record(i, "denied", "%s %s as root of the owning user namespace (uid %u "
			       "outside): %s", call, d, outside, probe_errno_name(err));
		else if (err)
			record(i, "", "%s %s: %s", call, d, probe_errno_name(err));
		else if ((err = read_value(i, -1, &back)) || !same(&back, &board->wrote[i]))
			record(i, "", "the write of %s worked, but reading back gave %s", d,
			       err ? probe_errno_name(err) : show(i, &back, ' ', got));
		else
			record(i, "allowed", "root of the owning user namespace (uid %u outside) "
			       "wrote %s and read it back", outside, d);
	}
	return 0;
}

/* Real root making a user namespace maps 0 to 0, and that root may write
 * the host's values: root measures as nobody, in a child. */
static void rootless_write(void)
{
	unsigned outside = rootless ? (unsigned)geteuid() : PROBE_NOBODY;
	pid_t pid;

	if (rootless) {
		run_in_ns(NS_WANT_USER, rootless_in_ns, &outside, 1, "the user namespace");
		return;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fail_pending("", "fork: %s", probe_errno_name(errno));
	} else if (pid == 0) {
		if (probe_drop_root())
			fail_pending("", "becoming uid %u: %s", PROBE_NOBODY, probe_errno_name(errno));
		else
			run_in_ns(NS_WANT_USER, rootless_in_ns, &outside, 1, "the user namespace");
		_exit(0);
	} else {
		finish(pid, 2, "the process that became nobody");
	}
}

/* ---- the run ---------------------------------------------------------- */

static void snapshot_host(void)
{
	char path[256];

	for (size_t i = 0; i < NSYSCTL; i++) {
		int err = read_value(i, -1, &host[i]);

		on_host[i] = !err;
		path_of(i, path, sizeof(path));
		if (err == ENOENT && selected[i])
			record(i, "skip", "no %s on this kernel (%s is off)", path, sysctls[i].needs);
		else if (err && selected[i])
			record(i, "", "reading the host's %s: %s", path, probe_errno_name(err));
	}
}

/* The net: a host value that differs from the snapshot is put back. */
static int check_host(void)
{
	char was[TEXT_MAX], is[TEXT_MAX], outcome[96];
	struct value now;
	const char *call = "read";
	int changed = 0, err;

	for (size_t i = 0; i < NSYSCTL; i++) {
		if (!on_host[i] || (!(err = read_value(i, -1, &now)) && same(&now, &host[i])))
			continue;
		changed++;
		show(i, &host[i], ' ', was);
		if (err)
			snprintf(is, sizeof(is), "unreadable: %s", probe_errno_name(err));
		else
			show(i, &now, ' ', is);
		err = err ? err : write_value(i, &host[i], &call, true);
		if (err)
			snprintf(outcome, sizeof(outcome), "could NOT restore it (%s: %s)", call,
				 probe_errno_name(err));
		else
			snprintf(outcome, sizeof(outcome), "restored it");
		probe_fail(PROBE_ERROR, "SAFETY: the host's %s changed during this run (was %s, "
			   "now %s): a write was not isolated; %s", sysctls[i].name, was, is,
			   outcome);
	}
	return changed ? PROBE_ERROR : PROBE_REACHED;
}

static void print_cells(enum scenario s)
{
	const char *ns = rootless || s == ROOTLESS_WRITE ? "ipc+user" : "ipc";

	for (size_t i = 0; i < NSYSCTL; i++)
		if (selected[i])
			printf("OBSERVE\t%s\t%s\t%s\t%s\t%s\t%s\n", sysctls[i].name,
			       scenario_names[s], s == FD_BOUND ? "unshare" : "clone", ns,
			       board->cell[i].done ? board->cell[i].observed : "",
			       board->cell[i].done ? board->cell[i].detail : "no observation");
}

static void run(enum scenario s)
{
	static const ns_child_fn in_a[] = { [NEW_NS_DEFAULT] = default_in_a,
					    [CHILD_WRITE] = one_writes_in_a,
					    [PARENT_WRITE] = one_writes_in_a,
					    [FD_BOUND] = fd_bound_in_a };

	if (s == ROOTLESS_WRITE)
		rootless_write();
	else
		run_in_ns(rootless ? NS_WANT_USER : 0, in_a[s], &s, 3, "A");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "probe-sysctl: %s%s%.64s%s\n%s", what, arg ? " '" : "", arg ? arg : "",
		arg ? "'" : "", usage_text);
	return PROBE_USAGE;
}

static int parse_args(int argc, char **argv, enum scenario *s)
{
	const char *dir = getenv("IPCNS_SYSCTL_DIR");
	size_t k, nsel = 0;
	int i = 1;

	if (probe_take_timeout(argc, argv, &i)) {
		fputs(usage_text, stderr);
		return PROBE_USAGE;
	}
	if (i >= argc)
		return usage_error("missing SCENARIO", NULL);
	for (k = 0; k < NSCENARIO && strcmp(argv[i], scenario_names[k]); k++)
		;
	if (k == NSCENARIO)
		return usage_error("unknown scenario", argv[i]);
	*s = (enum scenario)k;
	for (i++; i < argc; i++, nsel++) {
		for (k = 0; k < NSYSCTL && strcmp(argv[i], sysctls[k].name); k++)
			;
		if (k == NSYSCTL)
			return usage_error("unknown sysctl", argv[i]);
		selected[k] = true;
	}
	if (!nsel)
		memset(selected, true, sizeof(selected));
	if (dir && (dir[0] != '/' || strlen(dir) > 200))
		return usage_error("IPCNS_SYSCTL_DIR is not an absolute path of at most "
				   "200 bytes:", dir);
	sysctl_dir = dir ? dir : sysctl_dir;
	return PROBE_REACHED;
}

int main(int argc, char **argv)
{
	enum scenario s = NEW_NS_DEFAULT;
	int rc = probe_init(argv[0]);

	if (rc) {
		fputs(usage_text, stderr);
		return rc;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_text, stdout);
		return PROBE_REACHED;
	}
	if ((rc = parse_args(argc, argv, &s)))
		return rc;
	rootless = getuid() != 0;
	if (!(host_ipc = ns_inode(0, "ipc")))
		return probe_fail_errno(PROBE_UNSUPPORTED, errno, "/proc/self/ns/ipc");
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (board == MAP_FAILED)
		return probe_fail_errno(PROBE_ERROR, errno, "mmap");
	snapshot_host();
	run(s);
	print_cells(s);
	rc = check_host();
	munmap(board, sizeof(*board));
	if (fflush(stdout))
		return probe_fail_errno(PROBE_ERROR, errno, "writing stdout");
	return rc;
}
