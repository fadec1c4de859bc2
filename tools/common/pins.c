// SPDX-License-Identifier: GPL-2.0
/*
 * The pin layout, written once: where the groups of a network namespace are
 * pinned, and how a new group claims its id.
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "tools.h"

#define BPFFS		"/sys/fs/bpf"
#define MAX_ANCESTORS	64

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
	pid_t ppid = 0;
	char line[256];
	FILE *f;

	f = proc_open("/proc/%d/status", pid);
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

void group_dir(char *buf, size_t size, const char *root, unsigned int id)
{
	snprintf(buf, size, "%s/%u", root, id);
}

int open_pinned_group(const char *root, unsigned int id, int lock, struct pcbg_group **grp)
{
	char dir[PATH_MAX];
	int err;

	*grp = NULL;
	group_dir(dir, sizeof(dir), root, id);
	err = pcbg_group_open_pinned(grp, dir);
	if (!err && lock)
		err = pcbg_group_lock(*grp);	/* held until the handle is freed */
	if (err && *grp) {
		pcbg_group_free(*grp);
		*grp = NULL;
	}
	return err;
}

int group_live(struct pcbg_group *grp)
{
	struct pcbg_group_info info;
	int err = pcbg_group_info(grp, &info), live = 0;
	__u32 slot;

	for (slot = 0; !err && slot < info.nr_slots && slot < info.capacity; slot++)
		live += pcbg_group_slot_live(grp, slot) == 1;
	return err ? err : live;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int list_groups(const char *root, unsigned int *ids, int max)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir(root);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;	/* none pinned, or not ours to see */
	while ((de = readdir(dir)) && n < max) {
		char *end;
		unsigned long id = strtoul(de->d_name, &end, 10);

		if (*end || end == de->d_name || !id || id > UINT_MAX)
			continue;
		ids[n++] = id;
	}
	closedir(dir);
	qsort(ids, n, sizeof(*ids), cmp_uint);
	return n;
}

/* Takes the lowest free id: mkdir is the lock between concurrent callers. */
int claim_group_dir(const char *cmd, const char *root, unsigned int *id,
		    char *dir, size_t size)
{
	for (*id = 1; *id < 65536; (*id)++) {
		group_dir(dir, size, root, *id);
		if (!mkdir(dir, 0700))
			return 0;
		if (errno != EEXIST) {
			pr_err(cmd, "%s: %s", dir, strerror(errno));
			return -errno;
		}
	}
	pr_err(cmd, "no free group id under %s", root);
	return -ENOSPC;
}
