// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A group's pins: <dir>/prog and <dir>/<map name>, the layout that
 * pcbgroup.ko, pcbgroupd and the tests rely on (see PCBG_PIN_ROOT).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "pcbgroup.skel.h"

static int pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Is @fd a BPF object of @kind ("bpf-map", "bpf-prog")? */
static int fd_is(int fd, const char *kind)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	return !strncmp(link, "anon_inode:", 11) && !strcmp(link + 11, kind);
}

/* A descriptor of pin @name under @dir, checked to be of @kind; -EUCLEAN if not. */
int pcbg_open_pin(const char *dir, const char *name, const char *kind)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err;

	err = pin_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (lstat(path, &st))
			return errno == ENOENT ? pcbg_damaged("%s: missing", name) : -errno;
		if (!S_ISREG(st.st_mode))
			return pcbg_damaged("%s: not a pinned object", name);
		return err;
	}
	if (!fd_is(fd, kind)) {
		close(fd);
		return pcbg_damaged("%s: not a %s", name,
				    strcmp(kind, "bpf-map") ? "program" : "map");
	}
	return fd;
}

/* With libbpf's pinning, which names each map's pin after the map. */
int pcbg_group_pin(struct pcbg_group *grp, const char *dir)
{
	char prog[PATH_MAX];
	int err;

	if (!grp->skel || bpf_map__is_pinned(grp->skel->maps.pcbg_cfg))
		return -EINVAL;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	err = pin_path(prog, sizeof(prog), dir, PCBG_PIN_PROG);
	if (!err)
		err = bpf_object__pin_maps(grp->skel->obj, dir);
	if (!err)
		err = bpf_program__pin(grp->skel->progs.pcbg_select, prog);
	if (!err) {
		grp->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (grp->lock_fd < 0)
			err = -errno;
	}
	if (err)
		pcbg_unpin(dir);
	return err;
}

/* Everything in @dir, the group's pins and a damaged group's strays: the directory is ours. */
int pcbg_unpin(const char *dir)
{
	__u32 id = pcbg_nomap_id(dir);
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!pin_path(path, sizeof(path), dir, de->d_name) && unlink(path))
			rmdir(path);	/* an empty directory; else rmdir(dir) says */
	}
	if (d)
		closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	if (id)		/* a no-map module keeps the last report until told */
		pcbg_control(PCBG_IOC_UNREGISTER, &id);
	return 0;
}
