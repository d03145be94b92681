/* SPDX-License-Identifier: MIT
 *
 * The probes' shared contract: exit codes, argument checks, diagnostics,
 * the mapping from a run's object names to kernel names, and time bounds.
 */
#ifndef IPCNS_PROBE_H
#define IPCNS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One exit-code contract for every probe and for the launcher (README). */
enum probe_exit {
	PROBE_REACHED = 0,     /* the verb worked: the object was reached */
	PROBE_ABSENT = 1,      /* not reachable: ENOENT, ECONNREFUSED, foreign id */
	PROBE_USAGE = 2,       /* bad arguments; usage printed */
	PROBE_ERROR = 3,       /* unexpected error; errno text on stderr */
	PROBE_UNSUPPORTED = 4, /* kernel or libc lacks the feature: a skip */
	PROBE_TIMEOUT = 5,     /* a bounded call ran out of time */
	PROBE_EXISTS = 6,      /* create: the name is already taken */
};

#define PROBE_VALUE_MAX 32767u   /* SEMVMX: the smallest range of all carriers */
#define PROBE_TOKEN_MAX 64       /* object names: [A-Za-z0-9._-]{1,64} */
#define PROBE_PATH_MAX 107       /* sun_path less its terminating NUL */
#define PROBE_TIMEOUT_DEFAULT 10 /* seconds; IPCNS_TIMEOUT or -t override */
#define PROBE_TIMEOUT_MAX 3600

extern const char *probe_prog; /* for diagnostics: "PROG: ..." */

/* The kernel option behind what the probe is doing now ("CONFIG_SYSVIPC"),
 * or NULL. A diagnostic of an errno that means "unsupported" (ENOSYS from a
 * syscall the kernel was built without, EAFNOSUPPORT...) then names it, so
 * that a skip says what would enable the feature. */
extern const char *probe_kconfig;

/* When set, probe_fail* keep the diagnostic (probe_last_message) without
 * printing it: for engines whose verbs' failures are observations. */
extern bool probe_quiet;

/* The last diagnostic printed through probe_fail*, without "PROG: ", for a
 * cell's detail when a step fails after it was said ("" when none). */
const char *probe_last_message(void);

/* Reads IPCNS_TIMEOUT and sets the program name; returns PROBE_USAGE with a
 * message if the environment is malformed, else PROBE_REACHED. */
int probe_init(const char *argv0);

/* Every blocking call in a probe is bounded by this many seconds. */
unsigned probe_timeout(void);
void probe_set_timeout(unsigned seconds);

/* The common option "-t SECONDS" at argv[*I], if it is there: sets the bound
 * and steps over it. 0, or PROBE_USAGE with the complaint printed (the
 * caller prints its usage). */
int probe_take_timeout(int argc, char **argv, int *i);

/* Two pipes (O_CLOEXEC), one for each way between two processes: 0, or
 * PROBE_ERROR (said why; errno as pipe2 left it) with neither open. */
int probe_pipe_pair(int a[2], int b[2]);

/* Arms SIGALRM so that the whole process dies with PROBE_TIMEOUT and a
 * message naming WHAT, should any call outlive probe_timeout(). */
void probe_arm_deadline(const char *what);

/* Argument checks. Each returns true when S is acceptable. */
bool probe_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
bool probe_parse_value(const char *s, unsigned *out);
bool probe_parse_pid(const char *s, pid_t *out);
bool probe_valid_token(const char *s);
bool probe_valid_path(const char *s);

/* As root, become uid and gid 65534 with no groups, and stay dumpable so
 * that a parent may still write our children's id maps. Before making a
 * user namespace to measure what an unprivileged user may do: real root's
 * user namespace maps 0 to 0 and could write the host's sysctls. A no-op
 * for anyone else. 0, or -1 with errno set. */
#define PROBE_NOBODY 65534
int probe_drop_root(void);

/* Kernel names for a run's object name NAME (a token). The SysV key is a
 * 32-bit FNV-1a hash, never IPC_PRIVATE; POSIX names get their leading '/'. */
int probe_sysv_key(const char *token);
void probe_posix_name(const char *token, char *buf, size_t len);

/* "ENOENT", or "errno 123" where libc has no name for it. */
const char *probe_errno_name(int err);

/* The exit code an errno means when it is the answer to a lookup. */
enum probe_exit probe_errno_class(int err);

/* Print "PROG: <what>: ENAME (text)" and return CODE (or the class of ERR
 * when CODE is negative). */
int probe_fail_errno(int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int probe_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reading and writing the decimal value that objects carry. */
int probe_format_value(char *buf, size_t len, unsigned value);
bool probe_scan_value(const char *buf, size_t len, unsigned *out);

/* Bounded waits on one fd (poll); 0 = ready, PROBE_TIMEOUT, PROBE_ERROR. */
int probe_wait_fd(int fd, short events, unsigned seconds, const char *what);
/* Read one byte from a checkpoint pipe: 0 = got it, 1 = EOF or the other
 * side gave up (probe_last_message() then says why), else an exit code. */
int probe_checkpoint_read(int fd, char expect, unsigned seconds, const char *what);
/* Give up at a checkpoint: sends probe_last_message() to the reader. */
void probe_checkpoint_give_up(int fd);
int probe_checkpoint_write(int fd, char c);

/* A family of named mechanisms (SysV, POSIX, endpoints) is a table of these;
 * probe_main parses "[-t SECONDS] MECH VERB NAME [VALUE]" and dispatches.
 * An op returns an exit code, having printed a diagnostic when not 0. */
enum probe_name_kind { NAME_TOKEN, NAME_PATH };

struct probe_mech {
	const char *name;
	enum probe_name_kind name_kind;
	int (*create)(const char *name, unsigned value); /* exclusive create */
	int (*get)(const char *name, unsigned *value);   /* open, never create */
	int (*put)(const char *name, unsigned value);
	int (*remove)(const char *name);
	int (*stat)(const char *name);                   /* prints facts */
	int (*address)(const char *name);                /* prints kernel name */
	const char *kconfig; /* the kernel option it needs, for skips */
};

struct probe_family {
	const char *prog;
	const char *summary;
	const struct probe_mech *mechs;
	size_t nmechs;
	const char *prefix; /* of the record's ids: "sysv-" + "msg" */
};

/* Set by a create that starts a server (FIFOs, sockets): its pid, which
 * probe_main prints; whoever calls create directly ends it. */
extern pid_t probe_server_pid;

int probe_main(const struct probe_family *fam, int argc, char **argv);

#endif
