/* SPDX-License-Identifier: MIT
 *
 * probe-inherit: channels a child inherits rather than looks up by name.
 * The parent makes the channel, starts a child through the chosen entry
 * point (new namespaces, or none with --entry fork: the positive control),
 * the child sends VALUE, and the parent prints what arrived.
 */
#include "lib/cells.h"
#include "lib/ns.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum mech { PIPE, SOCKETPAIR, EVENTFD, MEMFD, SEM_UNNAMED, SIGNAL };
static const char *const mech_names[] = { "pipe", "socketpair", "eventfd", "memfd",
					  "posix-sem-unnamed", "signal" };
#define NMECH (sizeof(mech_names) / sizeof(mech_names[0]))

struct shared { /* MAP_SHARED memory: the unnamed semaphore's home */
	sem_t sem;
	unsigned value;
};

struct chan {
	enum mech mech;
	unsigned value;
	int fd[2];
	struct shared *mem;
	pid_t parent;
};

static const char usage_text[] =
	"usage: probe-inherit [-t SECONDS] [OPTIONS] MECH VALUE\n"
	"       probe-inherit [-t SECONDS] --cells MECH\n"
	"Makes an inherited channel, starts a child through the entry point, lets\n"
	"the child send VALUE (0..32767) and prints what arrived. --cells measures\n"
	"the cells \"MECH inherited clone|clone3|unshare\" (IPC namespaces owned by a\n"
	"new user namespace when not root): with no new namespace\n"
	"first (the positive control), then through each entry point, and prints a\n"
	"line a cell (OBSERVE mechanism scenario entry namespaces observed detail).\n"
	"  MECH        pipe | socketpair | eventfd | memfd | posix-sem-unnamed | signal\n"
	"%s"
	"  -t          bound on every wait, 1..3600 s (default 10, or IPCNS_TIMEOUT)\n"
	"exit: 0 crossed (value printed), 1 blocked, 2 usage, 3 error,\n"
	"      4 unsupported, 5 timeout\n";

static int make(struct chan *c)
{
	int rc = 0;

	switch (c->mech) {
	case PIPE:
		rc = pipe2(c->fd, O_CLOEXEC | O_NONBLOCK);
		break;
	case SOCKETPAIR:
		rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, c->fd);
		break;
	case EVENTFD:
		rc = (c->fd[0] = c->fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0;
		break;
	case MEMFD:
		c->fd[0] = c->fd[1] = memfd_create("probe-inherit", MFD_CLOEXEC);
		rc = c->fd[0] < 0 || ftruncate(c->fd[0], 16);
		break;
	case SEM_UNNAMED:
		c->mem = mmap(NULL, sizeof(*c->mem), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		rc = c->mem == MAP_FAILED || sem_init(&c->mem->sem, 1, 0);
		break;
	case SIGNAL: { /* blocked, so it waits queued for sigtimedwait */
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		rc = sigprocmask(SIG_BLOCK, &s, NULL);
		c->parent = getpid();
		break;
	}
	}
	return rc ? probe_fail_errno(-1, errno, "making the %s", mech_names[c->mech])
		  : PROBE_REACHED;
}

/* Runs in the child, in its new namespaces. A failure here means "blocked". */
static int send_value(void *arg)
{
	struct chan *c = arg;
	char buf[16];
	int n = probe_format_value(buf, sizeof(buf), c->value), rc = 0;
	uint64_t ev = (uint64_t)c->value + 1; /* eventfd: a counter of 0 reads as empty */

	switch (c->mech) {
	case PIPE:
	case SOCKETPAIR:
		rc = write(c->fd[1], buf, (size_t)n) != n;
		break;
	case EVENTFD:
		rc = write(c->fd[1], &ev, sizeof(ev)) != (ssize_t)sizeof(ev);
		break;
	case MEMFD:
		rc = pwrite(c->fd[1], buf, (size_t)n, 0) != n;
		break;
	case SEM_UNNAMED:
		c->mem->value = c->value;
		rc = sem_post(&c->mem->sem);
		break;
	case SIGNAL:
		rc = sigqueue(c->parent, SIGUSR1, (union sigval){ .sival_int = (int)c->value });
		break;
	}
	return rc ? probe_fail_errno(PROBE_ABSENT, errno, "child could not send through the %s",
				     mech_names[c->mech])
		  : PROBE_REACHED;
}

/* The child has exited: whatever it sent is waiting; nothing here blocks. */
static int receive(struct chan *c, pid_t child, unsigned *value)
{
	char buf[16] = "";
	ssize_t n = -1;
	uint64_t ev;
	siginfo_t si;
	sigset_t s;

	switch (c->mech) {
	case PIPE:
	case SOCKETPAIR:
		n = read(c->fd[0], buf, sizeof(buf) - 1);
		break;
	case MEMFD:
		n = pread(c->fd[0], buf, sizeof(buf) - 1, 0);
		break;
	case EVENTFD:
		if (read(c->fd[0], &ev, sizeof(ev)) != (ssize_t)sizeof(ev))
			break;
		*value = (unsigned)(ev - 1);
		return PROBE_REACHED;
	case SEM_UNNAMED:
		if (sem_trywait(&c->mem->sem))
			break;
		*value = c->mem->value;
		return PROBE_REACHED;
	case SIGNAL:
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		if (sigtimedwait(&s, &si, &(struct timespec){ 0, 0 }) != SIGUSR1)
			break;
		if (si.si_pid != child)
			return probe_fail(PROBE_ERROR, "SIGUSR1 came from pid %d, not the child %d",
					  (int)si.si_pid, (int)child);
		*value = (unsigned)si.si_value.sival_int;
		return PROBE_REACHED;
	}
	if (n > 0 && probe_scan_value(buf, (size_t)n, value))
		return PROBE_REACHED;
	if (n > 0)
		return probe_fail(PROBE_ERROR, "the %s carried '%.*s', not a value",
				  mech_names[c->mech], (int)n, buf);
	return probe_fail(PROBE_ABSENT, "nothing arrived through the %s", mech_names[c->mech]);
}

/* The channel, through a child placed as SPEC says: what arrived in *GOT. */
static int carry(const struct ns_spec *spec, enum mech m, unsigned value, unsigned *got)
{
	struct chan c = { .mech = m, .value = value, .fd = { -1, -1 } };
	pid_t pid;
	int rc = make(&c);

	if (!rc)
		rc = ns_start(spec, send_value, &c, &pid);
	if (!rc && (m == PIPE || m == SOCKETPAIR)) {
		close(c.fd[1]); /* the child's end */
		c.fd[1] = -1;
	}
	if (!rc)
		rc = ns_wait(pid, probe_timeout(), "the child");
	if (!rc)
		rc = receive(&c, pid, got);
	for (int k = 0; k < 2; k++)
		if (c.fd[k] >= 0 && (k == 0 || c.fd[1] != c.fd[0]))
			close(c.fd[k]);
	if (c.mem && c.mem != MAP_FAILED)
		munmap(c.mem, sizeof(*c.mem));
	return rc;
}

/* --cells: the control, then each entry point, a cell each. */
static int cells(enum mech m, unsigned want)
{
	static const enum ns_entry entries[] = { NS_ENTRY_CLONE, NS_ENTRY_CLONE3,
						 NS_ENTRY_UNSHARE };
	const char *ns = want & NS_WANT_USER ? "ipc+user" : "ipc";
	struct ns_spec spec = { .entry = NS_ENTRY_FORK, .observe_same_ipc = true };
	unsigned got = 0;
	int rc;

	probe_quiet = true; /* failures are details here */
	if (cells_init())
		return PROBE_ERROR;
	for (size_t i = 0; i < 3; i++)
		cell_declare(mech_names[m], "inherited", ns_entry_name(entries[i]), ns);
	rc = carry(&spec, m, 107, &got);
	if (rc || got != 107) {
		cells_rest(rc == PROBE_UNSUPPORTED ? "skip" : "", "positive control failed: with "
			   "no new namespace: exit %d, got '%u': %s", rc, got, probe_last_message());
		return cells_print();
	}
	spec.want = want;
	for (size_t i = 0; i < 3; i++) {
		spec.entry = entries[i];
		got = 0;
		rc = carry(&spec, m, 107, &got);
		if (!rc && got == 107)
			cell_set(i, "crosses", "the parent got 107 from the child");
		else if (rc == PROBE_ABSENT)
			cell_set(i, "blocked", "%s", probe_last_message());
		else if (rc == PROBE_UNSUPPORTED)
			cell_set(i, "skip", "%s", probe_last_message());
		else
			cell_set(i, "", "exit %d, got '%u': %s", rc, got, probe_last_message());
	}
	return cells_print();
}

int main(int argc, char **argv)
{
	struct ns_spec spec = { .entry = NS_ENTRY_CLONE, .observe_same_ipc = true };
	unsigned value, t;
	size_t m;
	int i = 1, rc;
	bool cells_mode = false;

	rc = probe_init(argv[0]);
	if (rc)
		goto usage;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf(usage_text, ns_options_usage);
		return PROBE_REACHED;
	}
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--cells")) {
			cells_mode = true;
			i++;
			continue;
		}
		rc = ns_parse_option(argc, argv, &i, &spec);
		if (rc == 1)
			continue;
		if (rc == 0 && !strcmp(argv[i], "-t") && i + 1 < argc &&
		    probe_parse_uint(argv[i + 1], 1, PROBE_TIMEOUT_MAX, &t)) {
			probe_set_timeout(t);
			i += 2;
			continue;
		}
		if (rc == 0)
			probe_fail(PROBE_USAGE, "bad option '%.64s'", argv[i]);
		goto usage;
	}
	if (ns_check_spec(&spec))
		goto usage;
	if (cells_mode) {
		for (m = 0; m < NMECH && i + 1 == argc && strcmp(argv[i], mech_names[m]); m++)
			;
		if (m == NMECH || i + 1 != argc || spec.entry != NS_ENTRY_CLONE ||
		    (spec.want & ~NS_WANT_USER)) {
			probe_fail(PROBE_USAGE, "--cells wants MECH alone (and --user at most)");
			goto usage;
		}
		/* as anyone but root, the kernel's rootless way in */
		return cells((enum mech)m, spec.want | (getuid() ? NS_WANT_USER : 0));
	}
	if (argc - i != 2) {
		probe_fail(PROBE_USAGE, "wants MECH VALUE");
		goto usage;
	}
	for (m = 0; m < NMECH && strcmp(argv[i], mech_names[m]); m++)
		;
	if (m == NMECH || !probe_parse_value(argv[i + 1], &value)) {
		probe_fail(PROBE_USAGE, m == NMECH ? "unknown mechanism '%.64s'"
				    : "'%.32s' is not a value in 0..32767",
			   argv[i + (m == NMECH ? 0 : 1)]);
		goto usage;
	}
	rc = carry(&spec, (enum mech)m, value, &value);
	if (rc)
		return rc;
	printf("%u\n", value);
	return fflush(stdout) ? PROBE_ERROR : PROBE_REACHED;

usage:
	fprintf(stderr, usage_text, ns_options_usage);
	return PROBE_USAGE;
}
