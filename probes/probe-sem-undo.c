/* SPDX-License-Identifier: MIT
 *
 * probe-sem-undo: what becomes of a process's SEM_UNDO adjustments when it
 * changes IPC namespace (unshare, setns; unshare of another namespace type
 * is the control), and whether clone and unshare take CLONE_NEWIPC together
 * with CLONE_SYSVSEM (sharing the undo list). In a sandbox IPC namespace
 * (lib/harness.h): its semaphores die with it. The probe never judges.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: probe-sem-undo [-t SECONDS]\n"
	"Measures, in an IPC namespace it makes, whether a process's SEM_UNDO\n"
	"adjustments are applied when it unshares or setns()es into another IPC\n"
	"namespace (unshare of a UTS namespace: the control), and whether clone\n"
	"and unshare take CLONE_NEWIPC with CLONE_SYSVSEM.\n";

struct crossing {
	size_t cell;
	int semid, flags, nsfd; /* unshare(flags), or setns(nsfd) when >= 0 */
	const char *call;
	int taken, crossed;     /* the value after the child's semop, after it crossed */
};

/* The cells, in order: the index each is answered by. */
enum { AT_UNSHARE, AT_SETNS, CONTROL_UTS, CLONE_PAIR, UNSHARE_PAIR };
static const char cells[] =
	"sem-undo at-unshare unshare; sem-undo at-setns setns; sem-undo control-unshare-uts "
	"unshare; clone-flags clone-newipc-sysvsem clone; clone-flags unshare-newipc-sysvsem "
	"unshare";

union semun {
	int val;
	struct semid_ds *buf;
};

/* Takes 2 with SEM_UNDO, crosses when told, stays while the parent looks. */
static int undo_child(struct peer *self, void *arg)
{
	const struct crossing *x = arg;
	struct sembuf take = { 0, -2, SEM_UNDO | IPC_NOWAIT };
	long go;

	if (peer_tell(self, errno_of(semop(x->semid, &take, 1))) || peer_hear(self, &go))
		return 1;
	peer_tell(self, errno_of(x->nsfd >= 0 ? setns(x->nsfd, CLONE_NEWIPC) : unshare(x->flags)));
	peer_hear(self, &go);
	return 0;
}

/* Value 5, 3 once the child took 2 (the control); then what it is right
 * after the child crossed. */
static int undo_steps(struct peer *c, void *arg)
{
	struct crossing *x = arg;
	long err;

	if (peer_hear(c, &err))
		return -1;
	if (err)
		return cell_set(x->cell, "", "the child's semop(-2, SEM_UNDO): %s", errno_word(err)), 0;
	if ((x->taken = semctl(x->semid, 0, GETVAL)) != 3)
		return cell_set(x->cell, "", "positive control failed: the child's semop(-2, "
				"SEM_UNDO) left %d, not 3", x->taken), 0;
	if (peer_tell(c, 0) || peer_hear(c, &err))
		return -1;
	if (err)
		return cell_set(x->cell, "", "%s in the child: %s", x->call, errno_word(err)), 0;
	x->crossed = semctl(x->semid, 0, GETVAL);
	return 0;
}

/* 5 right after the crossing: its undo was applied then; 3: kept. */
static void sem_undo(struct crossing *x)
{
	x->semid = semget(IPC_PRIVATE, 1, 0600);
	if (x->semid < 0)
		return cell_lacks(x->cell, errno, "semget", LACKS_SYSVIPC);
	if (semctl(x->semid, 0, SETVAL, (union semun){ .val = 5 }))
		cell_set(x->cell, "", "semctl(SETVAL): %s", errno_word(errno));
	else if (peer_run(undo_child, undo_steps, x))
		cell_set(x->cell, "", "%s", probe_last_message());
	else /* the child has exited: a pending undo is applied now */
		cell_set(x->cell, x->crossed == 5 ? "applied" : x->crossed == 3 ? "kept" : "",
			 "value 5, 3 after the child's semop(-2, SEM_UNDO), %d right after its %s, "
			 "%d after it exited", x->crossed, x->call, semctl(x->semid, 0, GETVAL));
	semctl(x->semid, 0, IPC_RMID);
}

static int exit_at_once(void *arg)
{
	(void)arg;
	return 0;
}

/* clone(FLAGS) of a child that exits at once (and is reaped): its errno. */
static long clone_child(int flags)
{
	enum { STACK = 64 * 1024 };
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;
	long err;

	if (stack == MAP_FAILED)
		return errno;
	pid = clone(exit_at_once, stack + STACK, flags | SIGCHLD, NULL);
	err = pid < 0 ? errno : 0;
	if (pid > 0)
		ns_wait(pid, probe_timeout(), "the cloned child");
	munmap(stack, STACK);
	return err;
}

/* CLONE_NEWIPC alone must work (the control); then with CLONE_SYSVSEM. */
static void sysvsem_pair(size_t cell, const char *call, long control, long err)
{
	if (control)
		return cell_set(cell, "", "positive control failed: %s(CLONE_NEWIPC) alone: %s",
				call, errno_word(control));
	cell_set(cell, err == EINVAL ? "einval" : err ? "" : "accepted", "%s(CLONE_NEWIPC|"
		 "CLONE_SYSVSEM): %s; %s(CLONE_NEWIPC) alone: ok", call, errno_word(err), call);
}

static int unshare_pair_child(struct peer *self, void *arg)
{
	(void)arg;
	peer_tell(self, errno_of(unshare(CLONE_NEWIPC)));
	peer_tell(self, errno_of(unshare(CLONE_NEWIPC | CLONE_SYSVSEM)));
	return 0;
}

static int unshare_pair(struct peer *c, void *arg)
{
	long control, err;

	(void)arg;
	if (peer_hear(c, &control) || peer_hear(c, &err))
		return -1;
	sysvsem_pair(UNSHARE_PAIR, "unshare", control, err);
	return 0;
}

static int measure(void)
{
	struct crossing x = { AT_UNSHARE, -1, CLONE_NEWIPC, -1, "unshare(CLONE_NEWIPC)", 0, 0 };
	long control = clone_child(CLONE_NEWIPC);

	sem_undo(&x);
	x = (struct crossing){ AT_SETNS, -1, 0, -1, "setns(fd, CLONE_NEWIPC)", 0, 0 };
	if (!hold_or_answer(0, &x.nsfd, NULL, &x.cell, 1)) {
		sem_undo(&x);
		close(x.nsfd);
	}
	x = (struct crossing){ CONTROL_UTS, -1, CLONE_NEWUTS, -1, "unshare(CLONE_NEWUTS)", 0, 0 };
	sem_undo(&x);
	sysvsem_pair(CLONE_PAIR, "clone", control,
		     control ? 0 : clone_child(CLONE_NEWIPC | CLONE_SYSVSEM));
	if (peer_run(unshare_pair_child, unshare_pair, NULL))
		cell_set(UNSHARE_PAIR, "", "%s", probe_last_message());
	return 0;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .entry = NS_ENTRY_UNSHARE, .cells = cells,
					  .measure = measure };

	return harness_main(&h, argc, argv);
}
