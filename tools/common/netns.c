// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces: the cookie (SO_NETNS_COOKIE) that names one, entering
 * one, and which are alive.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tools.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

int socket_netns_cookie(int fd, __u64 *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) ? -errno : 0;
}

int netns_cookie(__u64 *cookie)
{
	int fd, err;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = socket_netns_cookie(fd, cookie);
	close(fd);
	return err;
}

int netns_is(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}

int netns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

int netns_cookie_of(int fd, int home_fd, __u64 *cookie)
{
	int err = netns_enter(fd);

	if (err)
		return err;
	err = netns_cookie(cookie);
	if (netns_enter(home_fd))
		abort();	/* half in another namespace: nothing is safe to do */
	return err;
}

/*
 * Which network namespaces are alive.  A namespace has no name to look up:
 * the kernel keeps it while something holds it, and what holds it is seen
 * in /proc: a process or thread in it (/proc/PID/task/TID/ns/net), a
 * namespace file open (/proc/PID/fd/N), or one mounted (ip netns add's
 * /run/netns/NAME, in /proc/PID/mountinfo).  Each such namespace, once per
 * inode, is entered with setns() to ask a socket there for its cookie.
 * Only from the initial PID namespace, which sees every process.
 */
#define PROC_PID_INIT_INO	0xEFFFFFFCU	/* include/linux/proc_ns.h */

struct alive {
	__u64 *cookies;
	int n, cap;
	ino_t *inos;		/* the namespaces' inodes, seen already */
	int ninos, inocap;
	int self;		/* our own namespace, to come back to */
	int err;
};

/* The namespace file @path, if a network namespace not seen yet: its cookie. */
static void alive_add(struct alive *a, const char *path)
{
	struct stat st;
	__u64 cookie;
	int i, fd, err;

	if (a->err || stat(path, &st))
		return;		/* gone meanwhile, or not a namespace */
	for (i = 0; i < a->ninos; i++)
		if (a->inos[i] == st.st_ino)
			return;
	if (grow_array((void **)&a->inos, &a->inocap, a->ninos, sizeof(*a->inos)) ||
	    grow_array((void **)&a->cookies, &a->cap, a->n, sizeof(*a->cookies))) {
		a->err = -ENOMEM;
		return;
	}
	a->inos[a->ninos++] = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* gone meanwhile */
	err = netns_cookie_of(fd, a->self, &cookie);
	close(fd);
	/* one we cannot enter may be any: then nothing is known */
	if (err)
		a->err = err;
	else
		a->cookies[a->n++] = cookie;
}

/* "net:[INO]": a network namespace file (a link in /proc/PID/fd, a mount's root). */
static int is_netns(const char *s)
{
	return !strncmp(s, "net:[", 5);
}

/* The namespace files mounted in the mount namespace of @pid (mountinfo(5)). */
static void alive_mounts(struct alive *a, const char *pid)
{
	char path[PATH_MAX], line[4096], root[256], point[2048], fstype[64];
	char *dash;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %255s %2047s", root, point) != 2 ||
		    sscanf(dash, " - %63s", fstype) != 1 || strcmp(fstype, "nsfs") ||
		    !is_netns(root) || strchr(point, '\\'))
			continue;	/* (a mount point with a blank is passed over) */
		snprintf(path, sizeof(path), "/proc/%s/root%s", pid, point);
		alive_add(a, path);
	}
	if (f)
		fclose(f);
}

/* Every namespace file under /proc/@pid/@sub/ (task/TID/ns/net, or fd/N). */
static void alive_dir(struct alive *a, const char *pid, const char *sub, const char *tail)
{
	char path[PATH_MAX], link[64];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, sub);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/%s/%s%s", pid, sub, de->d_name, tail);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (is_netns(link))
			alive_add(a, path);
	}
	if (d)
		closedir(d);
}

int netns_alive(__u64 **cookies)
{
	struct alive a = { .self = -1 };
	char mnt[PATH_MAX];
	struct dirent *de;
	struct stat st;
	ino_t *mnts = NULL;
	int nmnt = 0, mntcap = 0, i;
	DIR *proc;

	*cookies = NULL;
	if (stat("/proc/self/ns/pid", &st))
		return -errno;
	if (st.st_ino != PROC_PID_INIT_INO)
		return -EOPNOTSUPP;	/* some namespaces may be out of sight */
	a.self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	proc = opendir("/proc");
	if (a.self < 0 || !proc)
		a.err = -errno;
	while (!a.err && (de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		alive_dir(&a, de->d_name, "task", "/ns/net");
		alive_dir(&a, de->d_name, "fd", "");
		/* each mount namespace's mounts once */
		snprintf(mnt, sizeof(mnt), "/proc/%s/ns/mnt", de->d_name);
		if (stat(mnt, &st))
			continue;
		for (i = 0; i < nmnt && mnts[i] != st.st_ino; i++)
			;
		if (i < nmnt)
			continue;
		if (grow_array((void **)&mnts, &mntcap, nmnt, sizeof(*mnts))) {
			a.err = -ENOMEM;
			break;
		}
		mnts[nmnt++] = st.st_ino;
		alive_mounts(&a, de->d_name);
	}
	if (proc)
		closedir(proc);
	if (a.self >= 0)
		close(a.self);
	free(mnts);
	free(a.inos);
	if (a.err) {
		free(a.cookies);
		return a.err;
	}
	*cookies = a.cookies;
	return a.n;
}
