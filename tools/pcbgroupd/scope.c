// SPDX-License-Identifier: GPL-2.0
/*
 * Where a declaration's groups live (docs/design.md, "Scope"): a group holds
 * the sockets of one network namespace.  Without netns, cgroup or pidfile,
 * the daemon's own; with netns = NAME, ip netns's /run/netns/NAME; with
 * cgroup = PATTERN, one place per cgroup v2 directory matching it, in the
 * namespace of that cgroup's oldest process (a container's init); with a
 * pidfile, the namespace of the pid file's process.
 *
 * Run at every look, so a place already served costs a stat() or two: it
 * is recognised by its namespace's device and inode (and cgroup), and a
 * cgroup's namespace by the process that gave it, if still there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pcbgroupd.h"

/* @pl for the network namespace file @path; 0, or -1 if it is none. */
static int open_place(struct place *pl, const char *path, const char *cgroup, pid_t anchor)
{
	struct stat st;

	pl->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pl->netns_fd < 0)
		return -1;
	if (fstat(pl->netns_fd, &st) || !netns_is(pl->netns_fd)) {
		close(pl->netns_fd);
		return -1;
	}
	pl->dev = st.st_dev;
	pl->ino = st.st_ino;
	pl->anchor = anchor;
	snprintf(pl->cgroup, sizeof(pl->cgroup), "%s", cgroup);
	return 0;
}

/*
 * @pl for namespace file @path: a copy of the @known place it is, nothing
 * opened (netns_fd -1), else opened.  0, or -1 if @path is no namespace.
 */
static int take_place(struct place *pl, const char *path, const char *cgroup, pid_t anchor,
		      const struct place *const *known, int nknown)
{
	struct stat st;
	int i;

	if (stat(path, &st))
		return -1;
	for (i = 0; i < nknown; i++) {
		if (known[i]->dev == st.st_dev && known[i]->ino == st.st_ino &&
		    !strcmp(known[i]->cgroup, cgroup)) {
			*pl = *known[i];
			pl->netns_fd = -1;
			pl->anchor = anchor;
			return 0;
		}
	}
	return open_place(pl, path, cgroup, anchor);
}

static int pid_place(struct place *pl, pid_t pid, const char *cgroup,
		     const struct place *const *known, int nknown)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return take_place(pl, path, cgroup, pid, known, nknown);
}

/* The oldest process of a cgroup (its start, then its pid), so far. */
struct oldest {
	pid_t pid;
	unsigned long long start;
};

static int note_oldest(pid_t pid, void *arg)
{
	struct oldest *o = arg;
	unsigned long long t = process_start(pid);

	if (t && (!o->pid || t < o->start || (t == o->start && pid < o->pid))) {
		o->pid = pid;
		o->start = t;
	}
	return 0;
}

/* Is @pid in cgroup @cgroup (relative to CGROUP_ROOT) or below? */
static int in_cgroup(pid_t pid, const char *cgroup)
{
	size_t len = strlen(cgroup);
	char line[PATH_MAX];
	int in = 0;
	FILE *f;

	f = proc_open("/proc/%d/cgroup", pid);
	if (!f)
		return 0;
	while (!in && fgets(line, sizeof(line), f))
		in = !strncmp(line, "0::/", 4) && !strncmp(line + 4, cgroup, len) &&
		     (line[4 + len] == '/' || line[4 + len] == '\n');
	fclose(f);
	return in;
}

/* The process whose namespace is @cgroup's: the one found before, or the oldest. */
static pid_t cgroup_anchor(const char *dir, const char *cgroup,
			   const struct place *const *known, int nknown)
{
	struct oldest o = {};
	int i;

	for (i = 0; i < nknown; i++)
		if (!strcmp(known[i]->cgroup, cgroup) && known[i]->anchor > 0 &&
		    in_cgroup(known[i]->anchor, cgroup))
			return known[i]->anchor;
	cgroup_each_pid(dir, 0, note_oldest, &o);
	return o.pid;
}

static int cgroup_places(const char *pattern, const struct place *const *known, int nknown,
			 struct place *places, int max)
{
	char path[PATH_MAX];
	size_t i, root = strlen(CGROUP_ROOT) + 1;
	const char *cgroup;
	glob_t g;
	int n = 0;
	pid_t pid;

	snprintf(path, sizeof(path), CGROUP_ROOT "/%s", pattern);
	if (glob(path, GLOB_ONLYDIR, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && n < max; i++) {
		cgroup = g.gl_pathv[i] + root;
		pid = cgroup_anchor(g.gl_pathv[i], cgroup, known, nknown);
		/* a cgroup without a process yet has no namespace yet */
		if (pid && !pid_place(&places[n], pid, cgroup, known, nknown))
			n++;
	}
	globfree(&g);
	return n;
}

int find_places(const struct decl *d, const struct place *const *known, int nknown,
		struct place *places, int max)
{
	char path[PATH_MAX];
	pid_t pid;

	if (max < 1)
		return 0;
	if (d->cgroup[0])
		return cgroup_places(d->cgroup, known, nknown, places, max);
	if (d->netns[0]) {
		snprintf(path, sizeof(path), NETNS_DIR "/%s", d->netns);
		return !take_place(places, path, "", 0, known, nknown);
	}
	if (d->finder == FIND_PIDFILE) {
		pid = pidfile_pid(d->target);
		return pid && !pid_place(places, pid, "", known, nknown);
	}
	return !take_place(places, "/proc/thread-self/ns/net", "", 0, known, nknown);
}
