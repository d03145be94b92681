/* SPDX-License-Identifier: MIT
 *
 * fake-kernel: runs a command as if on a kernel that lacks a feature, or
 * lies about one, by a seccomp filter on the system calls that make
 * namespaces. The project's tests use it to prove that the suite skips
 * honestly where a feature is missing and fails where one is faked.
 *
 *   --no-ipcns      clone/unshare/setns with CLONE_NEWIPC: EINVAL (as on a
 *                   kernel without CONFIG_IPC_NS); clone3: ENOSYS
 *   --fake-unshare  unshare with CLONE_NEWIPC "succeeds" without doing
 *                   anything; clone with it: EINVAL; clone3: ENOSYS
 *   --no-mqueue     mq_open: ENOSYS (a kernel without CONFIG_POSIX_MQUEUE)
 *   --no-sysvipc    msgget, semget, shmget: ENOSYS (a kernel without
 *                   CONFIG_SYSVIPC, but for /proc/sysvipc and its sysctls)
 *   --no-userns     clone/unshare with CLONE_NEWUSER: EPERM; clone3: ENOSYS
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#define ARCH 0
#endif

#define ARG0 offsetof(struct seccomp_data, args[0]) /* low word: little endian */
#define ARG1 offsetof(struct seccomp_data, args[1])
#define NR offsetof(struct seccomp_data, nr)
#define RET_ERRNO(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static struct sock_filter prog[64];
static unsigned short len;

static void emit(struct sock_filter f)
{
	prog[len++] = f;
}

/* if (nr == SYSCALL && (ARG & FLAG)) return errno E (0: a silent "success") */
static void deny_flag(int syscall_nr, unsigned arg, unsigned flag, int e)
{
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)syscall_nr, 0, 3));
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, flag, 0, 1));
	emit((struct sock_filter)RET_ERRNO(e));
}

static void deny(int syscall_nr, int e)
{
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)syscall_nr, 0, 1));
	emit((struct sock_filter)RET_ERRNO(e));
}

static int usage(FILE *out, int code)
{
	fprintf(out, "usage: fake-kernel [--no-ipcns] [--fake-unshare] [--no-mqueue] "
		     "[--no-sysvipc] [--no-userns] -- COMMAND [ARG...]\n");
	return code;
}

int main(int argc, char **argv)
{
	struct sock_fprog fprog;
	int i;

	if (ARCH == 0) {
		fprintf(stderr, "fake-kernel: no seccomp arch constant for this machine\n");
		return 4;
	}
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					  offsetof(struct seccomp_data, arch)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--no-ipcns")) {
			deny_flag(SYS_clone, ARG0, CLONE_NEWIPC, EINVAL);
			deny_flag(SYS_unshare, ARG0, CLONE_NEWIPC, EINVAL);
			deny_flag(SYS_setns, ARG1, CLONE_NEWIPC, EINVAL);
			deny(SYS_clone3, ENOSYS);
		} else if (!strcmp(argv[i], "--fake-unshare")) {
			deny_flag(SYS_unshare, ARG0, CLONE_NEWIPC, 0);
			deny_flag(SYS_clone, ARG0, CLONE_NEWIPC, EINVAL);
			deny(SYS_clone3, ENOSYS);
		} else if (!strcmp(argv[i], "--no-mqueue")) {
			deny(SYS_mq_open, ENOSYS);
		} else if (!strcmp(argv[i], "--no-sysvipc")) {
#ifdef SYS_msgget /* not where one ipc(2) multiplexes them */
			deny(SYS_msgget, ENOSYS);
			deny(SYS_semget, ENOSYS);
			deny(SYS_shmget, ENOSYS);
#endif
		} else if (!strcmp(argv[i], "--no-userns")) {
			deny_flag(SYS_clone, ARG0, CLONE_NEWUSER, EPERM);
			deny_flag(SYS_unshare, ARG0, CLONE_NEWUSER, EPERM);
			deny(SYS_clone3, ENOSYS);
		} else {
			return usage(stderr, 2);
		}
	}
	if (i + 1 >= argc)
		return usage(stderr, 2);
	emit((struct sock_filter)ALLOW);
	fprog.len = len;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog)) {
		fprintf(stderr, "fake-kernel: seccomp: %s\n", strerror(errno));
		return 4;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "fake-kernel: cannot run %s: %s\n", argv[i + 1], strerror(errno));
	return 3;
}
