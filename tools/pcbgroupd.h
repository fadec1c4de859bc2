/* SPDX-License-Identifier: GPL-2.0 */
/* pcbgroupd: what its files share. */
#ifndef PCBGROUPD_H
#define PCBGROUPD_H

#include "pcbgroupctl.h"

#define PCBGD_CONF_DIR	"/etc/pcbgroup"
#define DECL_MAX_KNOBS	16

/* How a declaration finds the processes holding its sockets. */
enum {
	FIND_NONE,
	FIND_PROCESS,	/* every process whose comm is the name */
	FIND_PIDFILE,	/* the pid in the file, and its descendants */
	FIND_UNIT,	/* the processes of a systemd unit's cgroup */
};

/* One /etc/pcbgroup/NAME.conf, and what the daemon knows of its group. */
struct decl {
	char name[PCBGD_NAME_MAX];
	__u16 port;
	int protocol;
	int family;		/* of address; 0: any address */
	__u8 addr[16];
	int finder;
	char target[256];	/* the process name, pid file or unit */
	__u32 capacity;		/* 0: the default */
	int keep_waiting;
	struct {
		char name[32];
		char value[32];
	} knobs[DECL_MAX_KNOBS];
	int nr_knobs;

	/* the daemon's */
	unsigned int id;	/* its group, 0 if none yet */
	__u64 sig;		/* of the socket inodes seen at the last look */
	int nr_seen;
	int dirty;		/* looks left for sockets seen but not taken yet */
	int event;		/* bindwatch saw one of its sockets join: look now */
	pid_t event_pid;	/* the process that bound them; -1 if several */
	__u64 closed[8];	/* cookies of members released, not yet taken out */
	int nr_closed;
	long long closed_due;	/* when to take them out (CLOCK_MONOTONIC ms), 0: none */
	struct pcbg_group *grp;	/* its group, kept open between events */
	unsigned int grp_id;	/* the id and pin directory inode it was opened at */
	__u64 grp_ino;
	long long seen;		/* when its sockets were last seen */
	int waiting;
};

/*
 * Parse @dir/NAME.conf files, in name order; a bad one is reported (file and
 * line, on stderr), counted in *@nbad and left out.  Returns how many are
 * good, or -1.
 */
int load_declarations(const char *dir, struct decl **decls, int *nbad);
const char *finder_name(int finder);

/* The pids the declaration's sockets may be in; returns how many. */
int find_processes(const struct decl *d, pid_t *pids, int max);

#endif
