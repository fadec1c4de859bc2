// SPDX-License-Identifier: GPL-2.0
/*
 * The processes whose sockets a declaration means: by name (comm), by pid
 * file (that process and its descendants: a master and its workers), by
 * systemd unit or cgroup (every process of the cgroup and below).  Only run
 * when the sockets on the declared port changed, so a walk over /proc is
 * affordable.
 *
 * Then the scope (docs/design.md): only processes in the place's network
 * namespace, and owned as the declaration allows: by the users of its
 * `user` key; without one, a process found by name must be root's or a
 * descendant of a root process of that name, a pid file's process must be
 * root's (its descendants are its own), and a cgroup's processes are whoever
 * its owner lets in.  The filters come before the count: no number of
 * processes someone else starts decides which of ours are looked at.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pcbgroupd.h"

#define ANCESTORS_MAX	64

/* Every process: pid, parent and name, from one walk over /proc/PID/stat. */
struct proc {
	pid_t pid;
	pid_t ppid;
	char comm[16];
};

/* grown as needed: a table of fixed size is one anybody can fill first */
static struct proc *procs;
static int nprocs, procs_cap;

/* (a pid_t first in struct proc: it sorts those too) */
static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

static int add_pid(pid_t *pids, int n, int max, pid_t pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return n;
	if (n < max)
		pids[n++] = pid;
	return n;
}

/* "PID (comm) S PPID ...": comm may hold anything, ')' included */
static int parse_stat(const char *line, pid_t *ppid, char *comm, size_t size)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	size_t len;

	if (!open || !close || close < open || sscanf(close + 1, " %*c %d", ppid) != 1)
		return -1;
	len = close - open - 1;
	if (len >= size)
		len = size - 1;
	memcpy(comm, open + 1, len);
	comm[len] = '\0';
	return 0;
}

/*
 * @pid's entry added to the table: 1, 0 if it is gone (or not a process),
 * -1 without memory for it.
 */
static int add_proc(pid_t pid)
{
	char line[512];
	FILE *f;
	int got;

	if (grow_array((void **)&procs, &procs_cap, nprocs, sizeof(*procs)))
		return -1;
	f = proc_open("/proc/%d/stat", pid);
	if (!f)
		return 0;
	got = !!fgets(line, sizeof(line), f);
	fclose(f);
	if (!got || parse_stat(line, &procs[nprocs].ppid, procs[nprocs].comm,
			       sizeof(procs[0].comm)))
		return 0;
	procs[nprocs++].pid = pid;
	return 1;
}

static void load_procs(void)
{
	struct dirent *de;
	DIR *dir;
	char *end;
	long v;

	nprocs = 0;
	dir = opendir("/proc");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		v = strtol(de->d_name, &end, 10);
		if (*end || v <= 0 || v > INT_MAX)
			continue;
		if (add_proc(v) < 0)
			break;
	}
	closedir(dir);
	/* /proc lists pids ascending; kept so for proc_index() whatever it does */
	if (nprocs)
		qsort(procs, nprocs, sizeof(*procs), cmp_pid);
}

/* @pid's index in the table, or -1. */
static int proc_index(pid_t pid)
{
	struct proc key = { .pid = pid }, *p;

	p = nprocs ? bsearch(&key, procs, nprocs, sizeof(*procs), cmp_pid) : NULL;
	return p ? p - procs : -1;
}

/* Real and effective uid of @pid (/proc/PID/status, not the directory's
 * owner, which is root for any process that made itself undumpable).
 */
static int proc_uids(pid_t pid, uid_t *ruid, uid_t *euid)
{
	unsigned int r, e;
	char line[256];
	int found = 0;
	FILE *f;

	f = proc_open("/proc/%d/status", pid);
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "Uid: %u %u", &r, &e) == 2;
	fclose(f);
	if (!found)
		return -1;
	*ruid = r;
	*euid = e;
	return 0;
}

static int is_root(pid_t pid)
{
	uid_t r, e;

	return !proc_uids(pid, &r, &e) && !r && !e;
}

static int uid_listed(const struct decl *d, uid_t uid)
{
	int i;

	for (i = 0; i < d->nr_users; i++)
		if (d->users[i] == uid)
			return 1;
	return 0;
}

/* A root process named @comm among @pid's ancestors? */
static int root_ancestor_named(pid_t pid, const char *comm)
{
	int i, k = proc_index(pid);

	for (i = 0; k >= 0 && i < ANCESTORS_MAX; i++) {
		k = proc_index(procs[k].ppid);
		if (k >= 0 && !strcmp(procs[k].comm, comm) && is_root(procs[k].pid))
			return 1;
	}
	return 0;
}

/* Is @pid in the network namespace of @pl? */
static int in_place(const struct place *pl, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return !stat(path, &st) && st.st_dev == pl->dev && st.st_ino == pl->ino;
}

/*
 * The owner rule: with `user`, its users only (real and effective uid);
 * else by name, root or a root ancestor of that name; the pid file's own
 * process, root (@first: it is the pid file's); a cgroup's, anyone.
 */
static int owner_allowed(const struct decl *d, pid_t pid, int first)
{
	uid_t r, e;

	if (d->nr_users)
		return !proc_uids(pid, &r, &e) && uid_listed(d, r) && uid_listed(d, e);
	if (d->cgroup[0] || d->finder == FIND_UNIT)
		return 1;
	if (d->finder == FIND_PIDFILE)
		return !first || is_root(pid);
	return is_root(pid) || root_ancestor_named(pid, d->target);
}

static int accepted(const struct decl *d, const struct place *pl, pid_t pid, int first)
{
	return in_place(pl, pid) && owner_allowed(d, pid, first);
}

static int by_comm(const struct decl *d, const struct place *pl, pid_t *pids, int max)
{
	int i, n = 0;

	for (i = 0; i < nprocs && n < max; i++)
		if (!strcmp(procs[i].comm, d->target) && accepted(d, pl, procs[i].pid, 0))
			n = add_pid(pids, n, max, procs[i].pid);
	return n;
}

pid_t pidfile_pid(const char *file)
{
	long pid = 0;
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
		pid = 0;
	fclose(f);
	return pid;
}

static int by_pidfile(const struct decl *d, const struct place *pl, pid_t *pids, int max)
{
	int n = 0, i, k, before, grew = 1;
	pid_t pid = max < 1 ? 0 : pidfile_pid(d->target);

	if (!pid || proc_index(pid) < 0 || !accepted(d, pl, pid, 1))
		return 0;
	n = add_pid(pids, n, max, pid);
	while (grew) {	/* descendants, to any depth */
		before = n;
		for (i = 0; i < nprocs; i++)
			for (k = 0; k < before; k++)
				if (procs[i].ppid == pids[k] &&
				    accepted(d, pl, procs[i].pid, 0))
					n = add_pid(pids, n, max, procs[i].pid);
		grew = n > before;
	}
	return n;
}

int cgroup_each_pid(const char *dir, int depth, int (*fn)(pid_t pid, void *arg), void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	int stop = 0;
	long pid;
	DIR *dp;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	while (f && !stop && fscanf(f, "%ld", &pid) == 1)
		if (pid > 0 && pid <= INT_MAX)
			stop = fn(pid, arg);
	if (f)
		fclose(f);
	dp = !stop && depth < CGROUP_DEPTH ? opendir(dir) : NULL;
	while (dp && !stop && (de = readdir(dp))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		stop = cgroup_each_pid(path, depth + 1, fn, arg);
	}
	if (dp)
		closedir(dp);
	return stop;
}

/* Of a cgroup's processes, those that pass, into @pids until it is full. */
struct cgroup_found {
	const struct decl *d;
	const struct place *pl;
	pid_t *pids;
	int n, max;
};

static int cgroup_pass(pid_t pid, void *arg)
{
	struct cgroup_found *c = arg;
	int k = proc_index(pid);

	/* with process too, only those of that name */
	if (k >= 0 && (c->d->finder != FIND_PROCESS || !strcmp(procs[k].comm, c->d->target)) &&
	    accepted(c->d, c->pl, pid, 0))
		c->n = add_pid(c->pids, c->n, c->max, pid);
	return c->n >= c->max;
}

/* The pids in @dir's cgroup.procs and its sub-cgroups' that pass. */
static int cgroup_procs(const struct decl *d, const struct place *pl, const char *dir,
			pid_t *pids, int max)
{
	struct cgroup_found c = { d, pl, pids, 0, max };

	if (max > 0)
		cgroup_each_pid(dir, 0, cgroup_pass, &c);
	return c.n;
}

static int by_unit(const struct decl *d, const struct place *pl, pid_t *pids, int max)
{
	static const char *const roots[] = {
		"/sys/fs/cgroup/system.slice",		/* cgroup v2 */
		"/sys/fs/cgroup/unified/system.slice",	/* hybrid */
		"/sys/fs/cgroup/systemd/system.slice",	/* v1 */
	};
	char dir[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", roots[i], d->target);
		if (!access(dir, F_OK))
			return cgroup_procs(d, pl, dir, pids, max);
	}
	return 0;
}

int find_processes(const struct decl *d, const struct place *pl, pid_t *pids, int max)
{
	char dir[PATH_MAX];
	int n = 0;

	load_procs();
	if (d->cgroup[0]) {
		snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s", pl->cgroup);
		n = cgroup_procs(d, pl, dir, pids, max);
	} else if (d->finder == FIND_PROCESS) {
		n = by_comm(d, pl, pids, max);
	} else if (d->finder == FIND_PIDFILE) {
		n = by_pidfile(d, pl, pids, max);
	} else if (d->finder == FIND_UNIT) {
		n = by_unit(d, pl, pids, max);
	}
	qsort(pids, n, sizeof(*pids), cmp_pid);
	return n;
}

/*
 * The table of @pid and its ancestors alone (ANCESTORS_MAX of them), for
 * the rules above without a walk of /proc; 0, or -1 if @pid is gone.
 */
static int load_lineage(pid_t pid)
{
	int i;

	nprocs = 0;
	for (i = 0; pid > 0 && i <= ANCESTORS_MAX && add_proc(pid) == 1; i++)
		pid = procs[nprocs - 1].ppid;
	if (!nprocs)
		return -1;
	qsort(procs, nprocs, sizeof(*procs), cmp_pid);
	return 0;
}

int process_declared(const struct decl *d, const struct place *pl, pid_t pid)
{
	pid_t head, p;
	int k;

	if (d->cgroup[0] || d->finder == FIND_UNIT)
		return -1;	/* a cgroup's: find_processes() reads it */
	if (load_lineage(pid))
		return 0;
	if (d->finder == FIND_PROCESS) {
		k = proc_index(pid);
		return !strcmp(procs[k].comm, d->target) && accepted(d, pl, pid, 0);
	}
	if (d->finder != FIND_PIDFILE)
		return 0;
	/* the pid file's process, or a descendant, each of them accepted */
	head = pidfile_pid(d->target);
	for (p = pid, k = proc_index(p); head && k >= 0; k = proc_index(p = procs[k].ppid)) {
		if (p == head)
			return accepted(d, pl, p, 1);
		if (!accepted(d, pl, p, 0))
			return 0;
	}
	return 0;
}

unsigned long long process_start(pid_t pid)
{
	unsigned long long t = 0;
	char buf[1024], *p;
	FILE *f;

	f = proc_open("/proc/%d/stat", pid);
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* field 22 is starttime; the 20 after ')' skip state .. itrealvalue */
	if (p)
		sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
		       " %*d %*d %*d %*d %*d %*d %llu", &t);
	return t;
}
