/* SPDX-License-Identifier: MIT
 *
 * probe-nsfs-identity: what nsfs says of an IPC namespace. The inode of
 * /proc/self/ns/ipc after unshare and after setns into a held namespace, and
 * the ioctls NS_GET_NSTYPE, NS_GET_USERNS (of a namespace made with a new
 * user namespace: the cell is "ipc+user" whoever runs it) and NS_GET_ID
 * (Linux 6.18). In a sandbox IPC namespace (lib/harness.h). The probe never
 * judges.
 */
#include "lib/cells.h"
#include "lib/harness.h"
#include "lib/ns.h"
#include "lib/peer.h"
#include "lib/probe.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* linux/nsfs.h; distribution headers may lack the newer ones. */
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(0xb7, 0x1)
#endif
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif
#ifndef NS_GET_ID
#define NS_GET_ID _IOR(0xb7, 13, uint64_t) /* Linux 6.18 */
#endif

static const char usage_text[] =
	"usage: probe-nsfs-identity [-t SECONDS]\n"
	"Measures, in an IPC namespace it makes, the /proc/self/ns/ipc inode after\n"
	"unshare and after setns, and what the nsfs ioctls NS_GET_NSTYPE,\n"
	"NS_GET_USERNS and NS_GET_ID say of an IPC namespace fd.\n";

struct crossing {
	int nsfd; /* setns into it; -1: unshare */
	size_t cell;
};

/* The cells, in order: the index each is answered by. ns-get-userns is of a
 * namespace made with a new user namespace, whoever runs the probe. */
enum { AFTER_UNSHARE, AFTER_SETNS, NSTYPE, NS_ID, USERNS };
static const char cells[] =
	"ipc-ns inode-after-unshare unshare; ipc-ns inode-after-setns setns; "
	"ipc-ns ns-get-nstype -; ipc-ns ns-get-id -; ipc-ns ns-get-userns - ipc+user";

/* Its ipc inode before and after crossing. */
static int inode_child(struct peer *self, void *arg)
{
	int nsfd = ((const struct crossing *)arg)->nsfd;

	peer_tell(self, (long)ns_inode(0, "ipc"));
	peer_tell(self, errno_of(nsfd >= 0 ? setns(nsfd, CLONE_NEWIPC) : unshare(CLONE_NEWIPC)));
	return peer_tell(self, (long)ns_inode(0, "ipc"));
}

static int inode_steps(struct peer *c, void *arg)
{
	const struct crossing *x = arg;
	unsigned long mine = ns_inode(0, "ipc"), held = x->nsfd >= 0 ? ns_fd_inode(x->nsfd) : 0;
	long before, err, after;

	if (peer_hear(c, &before) || peer_hear(c, &err) || peer_hear(c, &after))
		return -1;
	if (err || (unsigned long)before != mine || held == mine)
		cell_set(x->cell, "", "%s: %s; positive control: the child started in %ld, ours is "
			 "%lu, the target %lu", x->nsfd < 0 ? "unshare" : "setns", errno_word(err),
			 before, mine, held);
	else if (x->nsfd < 0)
		cell_set(x->cell, after != before ? "differs" : "same", "ipc inode %ld before "
			 "unshare(CLONE_NEWIPC), %ld after", before, after);
	else
		cell_set(x->cell, (unsigned long)after == held ? "matches" : "differs", "ipc inode "
			 "%ld before setns, %ld after; the held namespace's %lu", before, after, held);
	return 0;
}

static void inode_after(size_t cell, int nsfd)
{
	struct crossing x = { nsfd, cell };

	if (peer_run(inode_child, inode_steps, &x))
		cell_set(cell, "", "%s", probe_last_message());
}

static void ns_get_nstype(int held)
{
	int type = ioctl(held, NS_GET_NSTYPE);
	char num[16];

	snprintf(num, sizeof(num), "%d", type);
	if (type < 0)
		return cell_set(NSTYPE, errno == ENOTTY ? "skip" : "", "ioctl(NS_GET_NSTYPE): %s "
				"(needs Linux 4.11)", errno_word(errno));
	cell_set(NSTYPE, type == CLONE_NEWIPC ? "clone_newipc" : num, "ioctl(NS_GET_NSTYPE) on an "
		 "ipc namespace fd: %d; CLONE_NEWIPC is %d", type, CLONE_NEWIPC);
}

static void ns_get_id(int held)
{
	int self = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	unsigned long long a = 0, b = 0;
	long err = self < 0 || ioctl(self, NS_GET_ID, &a) || ioctl(held, NS_GET_ID, &b) ? errno : 0;
	bool two = self >= 0 && ns_fd_inode(self) != ns_fd_inode(held);

	if (self >= 0)
		close(self);
	if (err == EINVAL || err == ENOTTY)
		return cell_set(NS_ID, "skip", "needs Linux 6.18 (NS_GET_ID): %s", errno_word(err));
	if (err || !two || !a || !b)
		return cell_set(NS_ID, "", "NS_GET_ID: %s; ids %llu and %llu; the namespaces are "
				"two (control): %s", errno_word(err), a, b, two ? "yes" : "no");
	cell_set(NS_ID, a != b ? "differs" : "same", "NS_GET_ID of two IPC namespaces: %llu and "
		 "%llu", a, b);
}

/* The owner of an IPC namespace made with a new user namespace. */
static void ns_get_userns(void)
{
	static const size_t cell = USERNS;
	int ipc, user, owner;

	if (hold_or_answer(NS_WANT_USER, &ipc, &user, &cell, 1))
		return;
	if ((owner = ioctl(ipc, NS_GET_USERNS)) < 0)
		cell_set(USERNS, "", "ioctl(NS_GET_USERNS): %s", errno_word(errno));
	else
		cell_set(USERNS, ns_fd_inode(owner) == ns_fd_inode(user) ? "owner" : "other",
			 "NS_GET_USERNS gave user namespace %lu; the one made with it is %lu",
			 ns_fd_inode(owner), ns_fd_inode(user));
	if (owner >= 0)
		close(owner);
	close(ipc);
	close(user);
}

static int measure(void)
{
	static const size_t on_held[] = { AFTER_SETNS, NSTYPE, NS_ID };
	int held;

	inode_after(AFTER_UNSHARE, -1);
	if (!hold_or_answer(0, &held, NULL, on_held, 3)) {
		inode_after(AFTER_SETNS, held);
		ns_get_nstype(held);
		ns_get_id(held);
		close(held);
	}
	ns_get_userns();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct harness h = { .usage = usage_text, .entry = NS_ENTRY_UNSHARE, .cells = cells,
					  .measure = measure };

	return harness_main(&h, argc, argv);
}
