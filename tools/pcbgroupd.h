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
	int port_line;		/* where port is given, for the errors that follow */
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
	long long seen;		/* when its sockets were last seen */
	int waiting;
};

/*
 * Parse @dir/NAME.conf files, in name order; a bad one is reported (file and
 * line, on stderr), counted in *@nbad and left out.  Returns how many are
 * good, or -1 (said why) if @dir cannot be read; a missing @dir holds no
 * declaration if @missing_ok.
 */
int load_declarations(const char *dir, int missing_ok, struct decl **decls, int *nbad);
const char *finder_name(int finder);

/* The pids the declaration's sockets may be in; returns how many. */
int find_processes(const struct decl *d, pid_t *pids, int max);

#endif
