/* SPDX-License-Identifier: GPL-2.0 */
/* pcbgroupd: what its files share. */
#ifndef PCBGROUPD_H
#define PCBGROUPD_H

#include "state.h"
#include "tools.h"

#define PCBGD_CONF_DIR	"/etc/pcbgroup"
#define DECL_MAX_KNOBS	16
#define DECL_MAX_USERS	8
#define NETNS_DIR	"/run/netns"		/* ip netns's named namespaces */
#define CGROUP_ROOT	"/sys/fs/cgroup"	/* cgroup v2 */
#define CGROUP_DEPTH	8	/* sub-cgroups looked into, below the one named */

/* How a declaration finds the processes holding its sockets. */
enum {
	FIND_NONE,
	FIND_PROCESS,	/* every process whose comm is the name */
	FIND_PIDFILE,	/* the pid in the file, and its descendants */
	FIND_UNIT,	/* the processes of a systemd unit's cgroup */
};

/*
 * One /etc/pcbgroup/NAME.conf.  Where its groups live: in the daemon's own
 * network namespace, a named one (netns), one per cgroup matching a pattern
 * (cgroup, in the namespace of that cgroup's processes) or the namespace of
 * the pid file's process.
 */
struct decl {
	char name[PCBGD_NAME_MAX];
	__u16 port;
	int port_line;		/* where port is given, for the errors that follow */
	int protocol;
	int family;		/* of address; 0: any address */
	__u8 addr[16];
	int finder;
	char target[256];	/* the process name, pid file or unit */
	char netns[256];	/* netns = NAME: NETNS_DIR/NAME; "" none */
	char cgroup[256];	/* cgroup = PATTERN, under CGROUP_ROOT; "" none */
	uid_t users[DECL_MAX_USERS];	/* user = ...: the only owners accepted */
	int nr_users;		/* 0: the default rule (finder.c) */
	__u32 capacity;		/* 0: the default */
	__u32 flow_entries;	/* 0: the default (make_group.c) */
	int keep_waiting;
	int join_weighs;	/* join_weight = W given */
	__u32 join_weight;	/* the weight of a socket joining a live group */
	struct {
		char name[32];
		char value[32];
	} knobs[DECL_MAX_KNOBS];
	int nr_knobs;
};

/*
 * Parse @dir/NAME.conf files, in name order; a bad one is reported (file and
 * line, on stderr), counted in *@nbad and left out.  Returns how many are
 * good, or -1 (said why) if @dir cannot be read; a missing @dir holds no
 * declaration if @missing_ok.
 */
int load_declarations(const char *dir, int missing_ok, struct decl **decls, int *nbad);
const char *finder_name(int finder);

/*
 * One place a declaration's group lives in: a network namespace (an open
 * nsfs file and its identity) and, for a cgroup declaration, the cgroup.
 */
struct place {
	int netns_fd;
	dev_t dev;
	ino_t ino;
	char cgroup[256];	/* relative to CGROUP_ROOT; "" none */
	pid_t anchor;		/* the process it was found through; 0 none */
};

/*
 * The places @d names now (scope.c): its namespace, or one per cgroup
 * matching its pattern.  One of @known (those served already) comes back
 * as a copy with netns_fd -1; a new one with netns_fd open, the caller's
 * to close.  Returns how many, 0 if none can be reached now (a pid file's
 * process gone).
 */
int find_places(const struct decl *d, const struct place *const *known, int nknown,
		struct place *places, int max);

/*
 * The pids whose sockets may be @d's group's in @pl: found by its finder,
 * then only those in @pl's network namespace and owned as @d allows
 * (finder.c); returns how many, at most @max, counted after the filters.
 */
int find_processes(const struct decl *d, const struct place *pl, pid_t *pids, int max);
/*
 * Is @pid one of the processes find_processes() would find, by its lineage
 * alone (no walk of /proc)?  1 or 0; -1 where only the walk can tell (a
 * cgroup's or unit's processes).
 */
int process_declared(const struct decl *d, const struct place *pl, pid_t pid);
/*
 * Call @fn for each pid of cgroup directory @dir and of its sub-cgroups
 * (CGROUP_DEPTH - @depth levels down) until it returns non-zero, which is
 * returned.
 */
int cgroup_each_pid(const char *dir, int depth, int (*fn)(pid_t pid, void *arg), void *arg);
/* The pid in pid file @file, 0 if none. */
pid_t pidfile_pid(const char *file);
/* When process @pid started, in clock ticks since boot (0 if unknown). */
unsigned long long process_start(pid_t pid);

/*
 * join_weight (join_weight.c).  A server version: the executable file its
 * processes run.
 */
struct exe_id {
	dev_t dev;
	ino_t ino;
};

/* The versions of @grp's live sockets' processes, at most @max; how many. */
int join_weight_versions(struct pcbg_group *grp, struct exe_id *ids, int max);
/* Does @pid run a version not among the @n of @ids (and @n > 0)? */
int join_weight_is_new(pid_t pid, const struct exe_id *ids, int n);
/*
 * Once every live socket of @grp weighs @w (the old version's sockets have
 * gone), weigh them all PCBG_WEIGHT_DEFAULT again and publish; returns how
 * many, or -errno.
 */
int join_weight_settle(struct pcbg_group *grp, __u32 w);

/*
 * --realtime[=PRIO] (realtime.c).  Parse @arg (NULL: the default) into
 * *@prio: 0, or -1 said why.  Put the daemon at SCHED_FIFO @prio, not
 * inherited across fork/clone: 0, or -errno said in one line (the daemon
 * goes on at normal priority).
 */
#define REALTIME_DEFAULT_PRIO	1
#define REALTIME_MIN_PRIO	1
#define REALTIME_MAX_PRIO	99
int realtime_parse(const char *arg, int *prio);
int realtime_enter(int prio);

#endif
