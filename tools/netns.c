// SPDX-License-Identifier: GPL-2.0
/*
 * Where the groups of this network namespace are pinned.
 *
 * A bpffs is shared by every network namespace that sees the mount, so each
 * namespace gets a directory of its own, named after its cookie
 * (SO_NETNS_COOKIE: unique while the system runs, never reused, unlike the
 * namespace's inode number): PCBG_PIN_ROOT/netns<cookie>/<id>.  Group ids
 * are then unique per namespace, and agree with the ids pcbgroup.ko gives
 * in that namespace's /proc/net/pcbgroup.
 *
 * `ip netns exec` runs its command in a private mount namespace with a
 * fresh /sys and no bpffs on /sys/fs/bpf: a bpffs mounted there would go
 * with the command.  The bpffs of the nearest ancestor process in another
 * mount namespace (the shell that ran ip) is used instead, through
 * /proc/PID/root; if there is none, attach refuses.
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
#include <sched.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "pcbgroupctl.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define BPFFS		"/sys/fs/bpf"
#define MAX_ANCESTORS	64

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

static int is_bpffs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && fs.f_type == BPF_FS_MAGIC;
}

static int ns_link(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	pid_t ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/*
 * The bpffs to pin in: "/sys/fs/bpf" if it is one; else that of the nearest
 * ancestor in another mount namespace ("/proc/PID/root/sys/fs/bpf"); else
 * "/sys/fs/bpf" with *@private 0 if no ancestor is in another mount
 * namespace (a bpffs mounted there stays), 1 if one is (it would not).
 */
static void find_bpffs(char *buf, size_t size, int *private)
{
	char mine[64], theirs[64];
	pid_t pid = getpid();
	int i;

	*private = 0;
	snprintf(buf, size, "%s", BPFFS);
	if (is_bpffs(BPFFS) || ns_link(pid, mine, sizeof(mine)))
		return;
	for (i = 0; i < MAX_ANCESTORS && pid > 1; i++) {
		pid = parent_of(pid);
		if (pid <= 0 || ns_link(pid, theirs, sizeof(theirs)) ||
		    !strcmp(mine, theirs))
			continue;
		*private = 1;
		snprintf(buf, size, "/proc/%d/root%s", pid, BPFFS);
		if (is_bpffs(buf))
			return;
	}
	snprintf(buf, size, "%s", BPFFS);
}

int netns_pin_root(char *buf, size_t size)
{
	__u64 cookie;
	int err;

	err = netns_cookie(&cookie);
	return err ? err : netns_pin_root_of(cookie, buf, size);
}

int netns_pin_root_of(__u64 cookie, char *buf, size_t size)
{
	char bpffs[PATH_MAX];
	int private, n;

	find_bpffs(bpffs, sizeof(bpffs), &private);
	n = snprintf(buf, size, "%s%s/netns%llu", bpffs,
		     PCBG_PIN_ROOT + strlen(BPFFS), (unsigned long long)cookie);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int netns_make_pin_root(const char *cmd, const char *root)
{
	char bpffs[PATH_MAX], dir[PATH_MAX + 16];
	int private;

	find_bpffs(bpffs, sizeof(bpffs), &private);
	if (!is_bpffs(bpffs)) {
		if (private) {
			pr_err(cmd, "no bpffs on %s in this mount namespace nor in the one it came from (ip netns exec?): pins would vanish with it; mount one there first",
			       BPFFS);
			return -1;
		}
		/* nothing there yet: mount one, as bpftool does */
		if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
			pr_err(cmd, "mount bpffs on %s: %s", BPFFS, strerror(errno));
			return -1;
		}
	}
	snprintf(dir, sizeof(dir), "%s%s", bpffs, PCBG_PIN_ROOT + strlen(BPFFS));
	if ((mkdir(dir, 0700) && errno != EEXIST) ||
	    (mkdir(root, 0700) && errno != EEXIST)) {
		pr_err(cmd, "%s: %s", root, strerror(errno));
		return -1;
	}
	return 0;
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

static int grow(void **v, int *cap, int n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, (*cap ? *cap * 2 : 64) * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

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
	if (grow((void **)&a->inos, &a->inocap, a->ninos, sizeof(*a->inos)) ||
	    grow((void **)&a->cookies, &a->cap, a->n, sizeof(*a->cookies))) {
		a->err = -ENOMEM;
		return;
	}
	a->inos[a->ninos++] = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;		/* gone meanwhile */
	err = setns(fd, CLONE_NEWNET) ? -errno : netns_cookie(&cookie);
	close(fd);
	/* one we cannot enter may be any: then nothing is known */
	if (err)
		a->err = err;
	else
		a->cookies[a->n++] = cookie;
	if (setns(a->self, CLONE_NEWNET))
		a->err = -errno;
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
		if (grow((void **)&mnts, &mntcap, nmnt, sizeof(*mnts))) {
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
