/* SPDX-License-Identifier: MIT
 *
 * POSIX message queues, named semaphores and shared memory,
 * named "/NAME". Each object carries one value. Nothing here blocks: queues
 * are opened O_NONBLOCK and the semaphore is only ever tried.
 */
#include "mech.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define SHM_BYTES 4096
#define NAME_LEN (PROBE_TOKEN_MAX + 2)

static int mq_open_name(const char *name, int flags, mqd_t *q)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 16 };
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	*q = mq_open(n, flags | O_RDWR | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
	if (*q != (mqd_t)-1)
		return PROBE_REACHED;
	return probe_fail_errno(-1, errno, "mq_open(%s%s)", n,
				flags & O_CREAT ? ", O_CREAT|O_EXCL" : "");
}

static int mq_send_value(mqd_t q, const char *name, unsigned value)
{
	char buf[16];
	int n = probe_format_value(buf, sizeof(buf), value);

	if (mq_send(q, buf, (size_t)n, 0))
		return probe_fail_errno(PROBE_ERROR, errno, "mq_send(/%s)", name);
	return PROBE_REACHED;
}

static int mq_create(const char *name, unsigned value)
{
	mqd_t q;
	int rc = mq_open_name(name, O_CREAT | O_EXCL, &q);

	if (rc)
		return rc;
	rc = mq_send_value(q, name, value);
	mq_close(q);
	return rc;
}

/* Receive the one message and send it back, so that reading is repeatable. */
static int mq_get(const char *name, unsigned *value)
{
	char buf[16];
	ssize_t n;
	mqd_t q;
	int rc = mq_open_name(name, 0, &q);

	if (rc)
		return rc;
	n = mq_receive(q, buf, sizeof(buf), NULL);
	if (n < 0)
		rc = probe_fail_errno(PROBE_ERROR, errno, "mq_receive(/%s)", name);
	else if (!probe_scan_value(buf, (size_t)n, value))
		rc = probe_fail(PROBE_ERROR, "mq_receive(/%s): not a value", name);
	else
		rc = mq_send_value(q, name, *value);
	mq_close(q);
	return rc;
}

static int mq_put(const char *name, unsigned value)
{
	char buf[16];
	mqd_t q;
	int rc = mq_open_name(name, 0, &q);

	if (rc)
		return rc;
	while (mq_receive(q, buf, sizeof(buf), NULL) >= 0)
		; /* drain: the queue holds one value */
	rc = mq_send_value(q, name, value);
	mq_close(q);
	return rc;
}

static int mq_remove(const char *name)
{
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	return mq_unlink(n) ? probe_fail_errno(-1, errno, "mq_unlink(%s)", n) : PROBE_REACHED;
}

static int mq_stat(const char *name)
{
	struct mq_attr a;
	mqd_t q;
	int rc = mq_open_name(name, 0, &q);

	if (rc)
		return rc;
	if (mq_getattr(q, &a))
		rc = probe_fail_errno(PROBE_ERROR, errno, "mq_getattr(/%s)", name);
	else
		printf("name=/%s maxmsg=%ld msgsize=%ld curmsgs=%ld\n", name, a.mq_maxmsg,
		       a.mq_msgsize, a.mq_curmsgs);
	mq_close(q);
	return rc;
}

static int sem_open_name(const char *name, bool create, unsigned value, sem_t **s)
{
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	*s = create ? sem_open(n, O_CREAT | O_EXCL, 0600, value) : sem_open(n, 0);
	if (*s != SEM_FAILED)
		return PROBE_REACHED;
	return probe_fail_errno(-1, errno, "sem_open(%s%s)", n,
				create ? ", O_CREAT|O_EXCL" : "");
}

static int sem_value(sem_t *s, const char *name, unsigned *value)
{
	int v;

	if (sem_getvalue(s, &v))
		return probe_fail_errno(PROBE_ERROR, errno, "sem_getvalue(/%s)", name);
	*value = (unsigned)v;
	return PROBE_REACHED;
}

static int psem_create(const char *name, unsigned value)
{
	sem_t *s;
	int rc = sem_open_name(name, true, value, &s);

	if (!rc)
		sem_close(s);
	return rc;
}

static int psem_get(const char *name, unsigned *value)
{
	sem_t *s;
	int rc = sem_open_name(name, false, 0, &s);

	if (rc)
		return rc;
	rc = sem_value(s, name, value);
	sem_close(s);
	return rc;
}

/* A semaphore has no "set": post or try-wait until it holds VALUE. */
static int psem_put(const char *name, unsigned value)
{
	unsigned now = 0;
	sem_t *s;
	int rc = sem_open_name(name, false, 0, &s);

	while (!rc && !(rc = sem_value(s, name, &now)) && now != value)
		if (now < value ? sem_post(s) : sem_trywait(s))
			rc = probe_fail_errno(PROBE_ERROR, errno, "adjusting /%s", name);
	if (s != SEM_FAILED)
		sem_close(s);
	return rc;
}

static int psem_remove(const char *name)
{
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	return sem_unlink(n) ? probe_fail_errno(-1, errno, "sem_unlink(%s)", n) : PROBE_REACHED;
}

static int psem_stat(const char *name)
{
	unsigned v;
	int rc = psem_get(name, &v);

	if (!rc)
		printf("name=/%s value=%u\n", name, v);
	return rc;
}

static int shm_open_name(const char *name, int flags, int *fd)
{
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	*fd = shm_open(n, flags | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return PROBE_REACHED;
	return probe_fail_errno(-1, errno, "shm_open(%s%s)", n,
				flags & O_CREAT ? ", O_CREAT|O_EXCL" : "");
}

/* Map the object, read or write the value, unmap. */
static int shm_access(int fd, const char *name, unsigned *value, bool write)
{
	char *p = mmap(NULL, SHM_BYTES, write ? PROT_READ | PROT_WRITE : PROT_READ,
		       MAP_SHARED, fd, 0);
	int rc = PROBE_REACHED;

	close(fd);
	if (p == MAP_FAILED)
		return probe_fail_errno(PROBE_ERROR, errno, "mmap(/%s)", name);
	if (write)
		probe_format_value(p, SHM_BYTES, *value);
	else if (!probe_scan_value(p, SHM_BYTES, value))
		rc = probe_fail(PROBE_ERROR, "/%s: not a value: '%.16s'", name, p);
	munmap(p, SHM_BYTES);
	return rc;
}

static int pshm_create(const char *name, unsigned value)
{
	int fd, rc = shm_open_name(name, O_CREAT | O_EXCL | O_RDWR, &fd);

	if (rc)
		return rc;
	if (ftruncate(fd, SHM_BYTES)) {
		close(fd);
		return probe_fail_errno(PROBE_ERROR, errno, "ftruncate(/%s)", name);
	}
	return shm_access(fd, name, &value, true);
}

static int pshm_get(const char *name, unsigned *value)
{
	int fd, rc = shm_open_name(name, O_RDONLY, &fd);

	return rc ? rc : shm_access(fd, name, value, false);
}

static int pshm_put(const char *name, unsigned value)
{
	int fd, rc = shm_open_name(name, O_RDWR, &fd);

	return rc ? rc : shm_access(fd, name, &value, true);
}

static int pshm_remove(const char *name)
{
	char n[NAME_LEN];

	probe_posix_name(name, n, sizeof(n));
	return shm_unlink(n) ? probe_fail_errno(-1, errno, "shm_unlink(%s)", n) : PROBE_REACHED;
}

static int pshm_stat(const char *name)
{
	struct stat st;
	int fd, rc = shm_open_name(name, O_RDONLY, &fd);

	if (rc)
		return rc;
	if (fstat(fd, &st))
		rc = probe_fail_errno(PROBE_ERROR, errno, "fstat(/%s)", name);
	else
		printf("name=/%s size=%lld dev=%u:%u ino=%llu\n", name, (long long)st.st_size,
		       major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	close(fd);
	return rc;
}

static int address(const char *name)
{
	printf("/%s\n", name);
	return PROBE_REACHED;
}

static const struct probe_mech mechs[] = {
	{ "mq", NAME_TOKEN, mq_create, mq_get, mq_put, mq_remove, mq_stat, address, "CONFIG_POSIX_MQUEUE" },
	{ "sem", NAME_TOKEN, psem_create, psem_get, psem_put, psem_remove, psem_stat, address, NULL },
	{ "shm", NAME_TOKEN, pshm_create, pshm_get, pshm_put, pshm_remove, pshm_stat, address, NULL },
};

const struct probe_family probe_posix_family = {
	"probe-posix",
	"POSIX message queues, named semaphores and shared memory, named /NAME.",
	mechs, sizeof(mechs) / sizeof(mechs[0]), "posix-",
};
