// SPDX-License-Identifier: GPL-2.0
/*
 * Adopting the sockets of a running, unmodified server: pidfd_getfd() gives
 * us our own descriptor of each of its SO_REUSEPORT sockets.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/pidfd.h>

#include "tools.h"

/* Calls @fn for each socket descriptor of @pid with its inode; stops on a
 * non-zero return and passes it on.
 */
static int walk_socket_fds(pid_t pid,
			   int (*fn)(int target_fd, __u64 inode, void *arg),
			   void *arg)
{
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = proc_opendir(pid, "fd");
	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		__u64 inode;

		if (*end || end == de->d_name)
			continue;
		inode = proc_fd_inode(pid, fd);
		if (!inode)
			continue;
		ret = fn(fd, inode, arg);
	}
	closedir(dir);
	return ret;
}

struct adopt_ctx {
	int pidfd;
	pid_t pid;
	int pid_index;	/* of pid in the pids named */
	int port;
	int protocol;
	__u64 netns;	/* the group's namespace: sockets of another are left */
	pid_t foreign_pid;	/* the first holder of one */
	__u64 foreign_netns;
	struct adopted_sock *socks;
	int n;
	int cap;
	int err;
};

/* The index of the socket with @inode, or -1. */
static int find_inode(const struct adopt_ctx *ctx, __u64 inode)
{
	int i;

	for (i = 0; i < ctx->n; i++)
		if (ctx->socks[i].desc.inode == inode)
			return i;
	return -1;
}

static int adopt_one(int target_fd, __u64 inode, void *arg)
{
	struct adopt_ctx *ctx = arg;
	struct pcbg_socket_desc d;
	__u64 netns = 0;
	int fd, i;

	i = find_inode(ctx, inode);
	if (i >= 0) {	/* shared with an earlier pid or fd */
		ctx->socks[i].holders |= 1ULL << ctx->pid_index;
		return 0;
	}
	fd = pidfd_getfd(ctx->pidfd, target_fd, 0);
	if (fd < 0) {
		ctx->err = -errno;
		return ctx->err == -EBADF ? 0 : ctx->err; /* closed meanwhile */
	}
	if (pcbg_socket_describe(fd, &d) || !d.reuseport || !d.port ||
	    (d.family != AF_INET && d.family != AF_INET6) ||
	    (d.protocol != IPPROTO_TCP && d.protocol != IPPROTO_UDP) ||
	    (d.protocol == IPPROTO_TCP && !d.listening) ||
	    (ctx->port && d.port != ctx->port) ||
	    (ctx->protocol && d.protocol != ctx->protocol)) {
		close(fd);
		return 0;
	}
	/* the socket's own namespace, whatever its process's is now */
	if (socket_netns_cookie(fd, &netns) || netns != ctx->netns) {
		if (!ctx->foreign_pid) {
			ctx->foreign_pid = ctx->pid;
			ctx->foreign_netns = netns;
		}
		close(fd);
		return 0;
	}
	if (grow_array((void **)&ctx->socks, &ctx->cap, ctx->n, sizeof(*ctx->socks))) {
		close(fd);
		return -ENOMEM;
	}
	ctx->socks[ctx->n++] = (struct adopted_sock){
		.fd = fd, .pid = ctx->pid, .desc = d, .cpu = -1, .target_fd = target_fd,
		.holders = 1ULL << ctx->pid_index,
	};
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct adopted_sock *x = a, *y = b;

	return x->desc.inode < y->desc.inode ? -1 : x->desc.inode > y->desc.inode;
}

static void describe_filter(char *buf, size_t size, int port, int protocol)
{
	int n = 0;

	buf[0] = '\0';
	if (protocol)
		n = snprintf(buf, size, " %s", proto_name(protocol));
	if (port)
		snprintf(buf + n, size - n, " on port %d", port);
}

void release_sockets(struct adopted_sock *socks, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(socks[i].fd);
	free(socks);
}

int adopt_sockets_flags(const char *cmd, const pid_t *pids, int npids, int port,
			int protocol, int flags, __u64 netns, struct adopted_sock **socks)
{
	struct adopt_ctx ctx = { .port = port, .protocol = protocol, .netns = netns };
	int i, err, last_err = 0;
	char filter[64];

	if (npids > ADOPT_MAX_PIDS) {
		pr_err(cmd, "more than %d pids", ADOPT_MAX_PIDS);
		return -1;
	}
	describe_filter(filter, sizeof(filter), port, protocol);
	for (i = 0; i < npids; i++) {
		ctx.pid = pids[i];
		ctx.pid_index = i;
		ctx.pidfd = pidfd_open(pids[i], 0);
		if (ctx.pidfd < 0 && (flags & ADOPT_ANY) && errno == ESRCH)
			continue;	/* gone meanwhile */
		if (ctx.pidfd < 0) {
			pr_err(cmd, "pid %d: %s", pids[i], strerror(errno));
			goto err;
		}
		ctx.err = 0;
		err = walk_socket_fds(pids[i], adopt_one, &ctx);
		close(ctx.pidfd);
		if (err == -ENOENT && (flags & ADOPT_ANY))
			continue;
		if (err) {
			pr_err(cmd, "pid %d: %s", pids[i], strerror(-err));
			goto err;
		}
		if (ctx.err && ctx.err != -EBADF)
			last_err = ctx.err;
	}
	/* a group is one namespace's: `pidof nginx` names every container's */
	if (ctx.foreign_pid && !(flags & ADOPT_ANY)) {
		pr_err(cmd, "pid %d: its SO_REUSEPORT socket%s is in another network namespace "
		       "(cookie %llu, this one's %llu): attach it from there "
		       "(nsenter -n -t %d pcbgroupctl attach ...), or leave that pid out",
		       ctx.foreign_pid, filter, (unsigned long long)ctx.foreign_netns,
		       (unsigned long long)netns, ctx.foreign_pid);
		goto err;
	}
	/*
	 * The union is what counts: a master holds the workers' sockets too,
	 * and a helper process (nginx's cache manager) holds none.
	 */
	if (!ctx.n && (flags & ADOPT_ANY)) {
		*socks = NULL;
		return 0;
	}
	if (!ctx.n) {
		char who[32];

		snprintf(who, sizeof(who), npids == 1 ? "pid %d" : "pids %d...", pids[0]);
		if (last_err)
			pr_err(cmd, "%s: cannot take its sockets: %s", who,
			       strerror(-last_err));
		else
			pr_err(cmd, "%s: no SO_REUSEPORT socket%s", who, filter);
		goto err;
	}
	/* One group: one protocol, family, address and port. */
	for (i = 1; !(flags & ADOPT_ANY) && i < ctx.n; i++) {
		const struct pcbg_socket_desc *a = &ctx.socks[0].desc;
		const struct pcbg_socket_desc *b = &ctx.socks[i].desc;
		char la[64], lb[64];

		if (a->protocol == b->protocol && a->family == b->family &&
		    a->port == b->port && !memcmp(a->addr, b->addr, 16))
			continue;
		format_local(la, sizeof(la), a->family, a->addr, a->port);
		format_local(lb, sizeof(lb), b->family, b->addr, b->port);
		pr_err(cmd, "SO_REUSEPORT sockets on %s %s and %s %s: choose one group with --port and --proto",
		       proto_name(a->protocol), la, proto_name(b->protocol), lb);
		goto err;
	}
	qsort(ctx.socks, ctx.n, sizeof(*ctx.socks), by_inode);
	*socks = ctx.socks;
	return ctx.n;

err:
	release_sockets(ctx.socks, ctx.n);
	return -1;
}

struct steal_ctx {
	int pidfd;
	__u64 inode;
	int fd;
};

static int steal_one(int target_fd, __u64 inode, void *arg)
{
	struct steal_ctx *ctx = arg;

	if (inode != ctx->inode)
		return 0;
	ctx->fd = pidfd_getfd(ctx->pidfd, target_fd, 0);
	return ctx->fd < 0 ? 0 : 1;
}

int steal_socket(pid_t pid, __u64 inode)
{
	struct steal_ctx ctx = { .inode = inode, .fd = -ENOENT };
	int err;

	ctx.pidfd = pidfd_open(pid, 0);
	if (ctx.pidfd < 0)
		return -errno;
	err = walk_socket_fds(pid, steal_one, &ctx);
	close(ctx.pidfd);
	if (err < 0)
		return err;
	return ctx.fd;
}
