/* SPDX-License-Identifier: MIT
 *
 * probe-sysv-ids: whether SysV ids are a side door between IPC namespaces.
 * It makes three objects of each kind on the host (they are the point: each
 * reached there by id, the control), then, from a sandbox IPC namespace
 * (lib/harness.h) while it is empty, uses their ids; makes the namespace's
 * first objects (which id do they get?); and reads /proc/sysvipc there. The
 * host objects are removed before it exits, on SIGINT, SIGTERM and SIGHUP
 * too. The probe never judges.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/probe.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define SEG_BYTES 4096
#define NHOST 3 /* host objects of each kind */

static const char usage_text[] =
	"usage: probe-sysv-ids [-t SECONDS]\n"
	"Measures, from an IPC namespace it makes, whether the host's SysV ids\n"
	"reach the host's objects (foreign-id), which id the namespace's first\n"
	"object gets (id-restart), and what /proc/sysvipc lists there; makes 3\n"
	"objects of each kind on the host for it, removed on exit.\n";

enum kind { MSG, SEM, SHM };
static const char *const kind_ctl[] = { "msgctl", "semctl", "shmctl" };
static const char *const kind_get[] = { "msgget", "semget", "shmget" };
static const char *const kind_proc[] = { "/proc/sysvipc/msg", "/proc/sysvipc/sem",
					 "/proc/sysvipc/shm" };

/* The cells, in order: FOREIGN + kind, RESTART + kind, PROC + kind. */
enum { FOREIGN = 0, RESTART = 3, PROC = 6 };
static const char cells[] =
	"sysv-msg foreign-id clone; sysv-sem foreign-id clone; sysv-shm foreign-id clone; "
	"sysv-msg id-restart clone; sysv-sem id-restart clone; sysv-shm id-restart clone; "
	"sysv-msg proc-sysvipc clone; sysv-sem proc-sysvipc clone; sysv-shm proc-sysvipc clone";

union semun {
	int val;
	struct semid_ds *buf;
};

static int host_ids[3][NHOST] = { { -1, -1, -1 }, { -1, -1, -1 }, { -1, -1, -1 } };
static pid_t host_owner;          /* only this process removes them */
static long host_err[3];          /* the errno that made a host object fail */
static char host_control[3][160]; /* empty: the control on the host passed */

static int make_private(enum kind k)
{
	return k == MSG ? msgget(IPC_PRIVATE, 0600) : k == SEM ? semget(IPC_PRIVATE, 1, 0600)
							       : shmget(IPC_PRIVATE, SEG_BYTES, 0600);
}

static long stat_id(enum kind k, int id)
{
	struct msqid_ds m;
	struct semid_ds s;
	struct shmid_ds h;

	return errno_of(k == MSG ? msgctl(id, IPC_STAT, &m)
			: k == SEM ? semctl(id, 0, IPC_STAT, (union semun){ .buf = &s })
				   : shmctl(id, IPC_STAT, &h));
}

static long attach_id(int id)
{
	void *p = shmat(id, NULL, SHM_RDONLY);

	return p == (void *)-1 ? errno : shmdt(p) ? errno : 0;
}

/* Plain syscalls, so fit for a signal handler. Never from a child: it may
 * be in another namespace, where the same ids name other objects. */
static void remove_host_objects(void)
{
	for (int k = 0; k < 3 && getpid() == host_owner; k++)
		for (int i = 0; i < NHOST; i++) {
			int id = host_ids[k][i];
			if (id >= 0 && k == MSG)
				msgctl(id, IPC_RMID, NULL);
			else if (id >= 0 && k == SEM)
				semctl(id, 0, IPC_RMID);
			else if (id >= 0)
				shmctl(id, IPC_RMID, NULL);
			host_ids[k][i] = -1;
		}
}

static void remove_and_die(int sig)
{
	remove_host_objects();
	_exit(128 + sig);
}

/* How many ids /proc/sysvipc lists here; *HOST of them are the probe's host
 * objects' ids, *MINE whether ID is there. -1 when it cannot be read. */
static int listed(enum kind k, int id, int *host, bool *mine)
{
	FILE *f = fopen(kind_proc[k], "re");
	char line[512];
	int n = 0, key, got;

	*host = 0;
	*mine = false;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d %d", &key, &got) == 2) {
			n++;
			*mine |= got == id;
			for (int i = 0; i < NHOST; i++)
				*host += got == host_ids[k][i];
		}
	fclose(f);
	return n;
}

/* On the host: NHOST objects of each kind, and the controls there: each is
 * reached by id, and /proc/sysvipc lists them. */
static int prepare(void)
{
	struct sigaction sa = { .sa_handler = remove_and_die };
	bool unused;
	int host;

	host_owner = getpid();
	atexit(remove_host_objects);
	sigemptyset(&sa.sa_mask);
	for (int s = 0; s < 3; s++)
		sigaction((int[]){ SIGINT, SIGTERM, SIGHUP }[s], &sa, NULL);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < NHOST && !host_err[k]; i++) {
			long err = (host_ids[k][i] = make_private(k)) < 0 ? errno : 0;

			err = err ? err : stat_id(k, host_ids[k][i]);
			host_err[k] = (err || k != SHM) ? err : attach_id(host_ids[k][i]);
		}
		if (host_err[k]) {
			snprintf(host_control[k], sizeof(host_control[k]), "a host object made "
				 "and reached by id: %s", errno_word(host_err[k]));
			continue;
		}
		listed(k, -1, &host, &unused);
		if (host != NHOST)
			snprintf(host_control[k], sizeof(host_control[k]), "%s on the host "
				 "does not list the probe's objects", kind_proc[k]);
	}
	return PROBE_REACHED;
}

/* From the sandbox, while it is empty: every host id by IPC_STAT (and shmat). */
static void foreign_id(enum kind k)
{
	int tried = 0, reached = 0;
	long other = 0;

	if (host_control[k][0])
		return cell_set(FOREIGN + k, "", "positive control failed: %s", host_control[k]);
	for (int i = 0; i < NHOST * (k == SHM ? 2 : 1); i++) {
		long err = i >= NHOST ? attach_id(host_ids[k][i - NHOST])
				      : stat_id(k, host_ids[k][i]);
		tried++;
		reached += !err;
		other = err && err != EINVAL ? err : other;
	}
	cell_set(FOREIGN + k, reached ? "shared" : other ? "" : "isolated", "%s(IPC_STAT)%s on %d "
		 "host ids (%d %d %d), each reached on the host: %d of %d calls reached an object, "
		 "the others: %s", kind_ctl[k], k == SHM ? " and shmat" : "", NHOST,
		 host_ids[k][0], host_ids[k][1], host_ids[k][2], reached, tried,
		 errno_word(other ? other : EINVAL));
}

static void id_restart(enum kind k, int *id)
{
	long err = (*id = make_private(k)) < 0 ? errno : 0;
	char num[16];

	if (err)
		return cell_lacks(RESTART + k, err, kind_get[k], LACKS_SYSVIPC);
	if ((err = stat_id(k, *id)))
		return cell_set(RESTART + k, "", "the first object in a fresh namespace, id %d: "
				"IPC_STAT: %s", *id, errno_word(err));
	snprintf(num, sizeof(num), "%d", *id);
	cell_set(RESTART + k, num, "the id of the first object made in a fresh IPC namespace "
		 "(and IPC_STAT on it: ok)");
}

static void proc_sysvipc(enum kind k, int mine)
{
	int host, n;
	bool listed_mine;

	if (host_control[k][0] || mine < 0)
		return cell_set(PROC + k, "", "positive control failed: %s", mine < 0 ? "no object "
				"of our own in the namespace" : host_control[k]);
	n = listed(k, mine, &host, &listed_mine);
	if (n == 1 && listed_mine)
		return cell_set(PROC + k, "isolated", "%s in the namespace lists only its own id "
				"%d; on the host it listed the probe's %d", kind_proc[k], mine, NHOST);
	cell_set(PROC + k, host == NHOST ? "shared" : "", "%s in the namespace: %d ids (%s), the "
		 "host's %d of %d among them", kind_proc[k], n, errno_word(n < 0 ? errno : 0),
		 host, NHOST);
}

static int measure(void)
{
	int mine[3];

	for (int k = 0; k < 3; k++) /* a kernel without SysV IPC: every cell says so */
		if (host_err[k] == ENOSYS)
			for (int scen = FOREIGN; scen <= PROC; scen += 3)
				cell_lacks((size_t)(scen + k), ENOSYS, kind_get[k], LACKS_SYSVIPC);
	for (int k = 0; k < 3; k++) /* first, while the namespace is empty */
		foreign_id(k);
	for (int k = 0; k < 3; k++)
		id_restart(k, &mine[k]);
	for (int k = 0; k < 3; k++)
		proc_sysvipc(k, mine[k]);
	return 0;
}

static int finish(void)
{
	remove_host_objects();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .entry = NS_ENTRY_CLONE, .cells = cells,
					  .prepare = prepare, .measure = measure,
					  .finish = finish };

	return harness_main(&h, argc, argv);
}
