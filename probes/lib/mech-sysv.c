/* SPDX-License-Identifier: MIT
 *
 * System V message queues, semaphore sets and shared memory,
 * named by key. Each object carries one value, so a reader can prove it
 * reached *the* object, not merely *an* object.
 */
#include "mech.h"
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#define SHM_BYTES 4096

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct msg {
	long mtype;
	char text[16];
};

enum kind { MSG, SEM, SHM };
static const char *const getter[] = { "msgget", "semget", "shmget" };

/* Look NAME up without creating: ENOENT says "not here". */
static int find(enum kind k, const char *name, int *id)
{
	int key = probe_sysv_key(name);

	*id = k == MSG ? msgget(key, 0) : k == SEM ? semget(key, 0, 0) : shmget(key, 0, 0);
	if (*id >= 0)
		return PROBE_REACHED;
	return probe_fail_errno(-1, errno, "%s(0x%08x, 0)", getter[k], (unsigned)key);
}

static int msg_send(int id, unsigned value)
{
	struct msg m = { .mtype = 1 };
	int n = probe_format_value(m.text, sizeof(m.text), value);

	if (msgsnd(id, &m, (size_t)n, IPC_NOWAIT))
		return probe_fail_errno(PROBE_ERROR, errno, "msgsnd(%d)", id);
	return PROBE_REACHED;
}

static int msg_create(const char *name, unsigned value)
{
	int key = probe_sysv_key(name);
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);

	if (id < 0)
		return probe_fail_errno(-1, errno, "msgget(0x%08x, IPC_CREAT|IPC_EXCL)",
					(unsigned)key);
	return msg_send(id, value);
}

/* Receive the one message and send it back, so that reading is repeatable. */
static int msg_get(const char *name, unsigned *value)
{
	int id, rc = find(MSG, name, &id);
	struct msg m;
	ssize_t n;

	if (rc)
		return rc;
	n = msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT);
	if (n < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "msgrcv(%d)", id);
	if (!probe_scan_value(m.text, (size_t)n, value))
		return probe_fail(PROBE_ERROR, "msgrcv(%d): not a value: '%.*s'", id,
				  (int)n, m.text);
	return msg_send(id, *value);
}

static int msg_put(const char *name, unsigned value)
{
	int id, rc = find(MSG, name, &id);
	struct msg m;

	if (rc)
		return rc;
	while (msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT | MSG_NOERROR) >= 0)
		; /* drain: the queue holds one value */
	return msg_send(id, value);
}

static int sem_create(const char *name, unsigned value)
{
	int key = probe_sysv_key(name);
	int id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);

	if (id < 0)
		return probe_fail_errno(-1, errno, "semget(0x%08x, 1, IPC_CREAT|IPC_EXCL)",
					(unsigned)key);
	if (semctl(id, 0, SETVAL, (union semun){ .val = (int)value }))
		return probe_fail_errno(PROBE_ERROR, errno, "semctl(%d, SETVAL)", id);
	return PROBE_REACHED;
}

static int sem_get(const char *name, unsigned *value)
{
	int id, v, rc = find(SEM, name, &id);

	if (rc)
		return rc;
	v = semctl(id, 0, GETVAL);
	if (v < 0)
		return probe_fail_errno(PROBE_ERROR, errno, "semctl(%d, GETVAL)", id);
	*value = (unsigned)v;
	return PROBE_REACHED;
}

static int sem_put(const char *name, unsigned value)
{
	int id, rc = find(SEM, name, &id);

	if (rc)
		return rc;
	if (semctl(id, 0, SETVAL, (union semun){ .val = (int)value }))
		return probe_fail_errno(PROBE_ERROR, errno, "semctl(%d, SETVAL)", id);
	return PROBE_REACHED;
}

/* Attach, read or write the value, detach. */
static int shm_access(int id, unsigned *value, bool write)
{
	char *p = shmat(id, NULL, write ? 0 : SHM_RDONLY);
	int rc = PROBE_REACHED;

	if (p == (void *)-1)
		return probe_fail_errno(PROBE_ERROR, errno, "shmat(%d)", id);
	if (write)
		probe_format_value(p, SHM_BYTES, *value);
	else if (!probe_scan_value(p, SHM_BYTES, value))
		rc = probe_fail(PROBE_ERROR, "shm %d: not a value: '%.16s'", id, p);
	shmdt(p);
	return rc;
}

static int shm_create(const char *name, unsigned value)
{
	int key = probe_sysv_key(name);
	int id = shmget(key, SHM_BYTES, IPC_CREAT | IPC_EXCL | 0600);

	if (id < 0)
		return probe_fail_errno(-1, errno, "shmget(0x%08x, %d, IPC_CREAT|IPC_EXCL)",
					(unsigned)key, SHM_BYTES);
	return shm_access(id, &value, true);
}

static int shm_get(const char *name, unsigned *value)
{
	int id, rc = find(SHM, name, &id);

	return rc ? rc : shm_access(id, value, false);
}

static int shm_put(const char *name, unsigned value)
{
	int id, rc = find(SHM, name, &id);

	return rc ? rc : shm_access(id, &value, true);
}

static int remove_kind(enum kind k, const char *name)
{
	int id, rc = find(k, name, &id);

	if (rc)
		return rc;
	rc = k == MSG ? msgctl(id, IPC_RMID, NULL)
	     : k == SEM ? semctl(id, 0, IPC_RMID) : shmctl(id, IPC_RMID, NULL);
	return rc ? probe_fail_errno(-1, errno, "IPC_RMID on %d", id) : PROBE_REACHED;
}

static int stat_kind(enum kind k, const char *name)
{
	int id, rc = find(k, name, &id);

	if (rc)
		return rc;
	printf("key=0x%08x id=%d\n", (unsigned)probe_sysv_key(name), id);
	return PROBE_REACHED;
}

static int address(const char *name)
{
	printf("0x%08x\n", (unsigned)probe_sysv_key(name));
	return PROBE_REACHED;
}

static int msg_remove(const char *n) { return remove_kind(MSG, n); }
static int sem_remove(const char *n) { return remove_kind(SEM, n); }
static int shm_remove(const char *n) { return remove_kind(SHM, n); }
static int msg_stat(const char *n) { return stat_kind(MSG, n); }
static int sem_stat(const char *n) { return stat_kind(SEM, n); }
static int shm_stat(const char *n) { return stat_kind(SHM, n); }

static const struct probe_mech mechs[] = {
	{ "msg", NAME_TOKEN, msg_create, msg_get, msg_put, msg_remove, msg_stat, address, "CONFIG_SYSVIPC" },
	{ "sem", NAME_TOKEN, sem_create, sem_get, sem_put, sem_remove, sem_stat, address, "CONFIG_SYSVIPC" },
	{ "shm", NAME_TOKEN, shm_create, shm_get, shm_put, shm_remove, shm_stat, address, "CONFIG_SYSVIPC" },
};

const struct probe_family probe_sysv_family = {
	"probe-sysv",
	"System V IPC named by key (address prints the key a NAME maps to).",
	mechs, sizeof(mechs) / sizeof(mechs[0]), "sysv-",
};

const struct probe_mech *probe_find_mech(const char *id, const struct probe_family **fam)
{
	static const struct probe_family *const all[] = { &probe_sysv_family,
		&probe_posix_family, &probe_endpoint_family };

	for (size_t f = 0; f < sizeof(all) / sizeof(all[0]); f++) {
		size_t n = strlen(all[f]->prefix);

		if (strncmp(id, all[f]->prefix, n))
			continue;
		for (size_t i = 0; i < all[f]->nmechs; i++)
			if (!strcmp(id + n, all[f]->mechs[i].name)) {
				if (fam)
					*fam = all[f];
				return &all[f]->mechs[i];
			}
	}
	return NULL;
}
