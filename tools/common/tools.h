/* SPDX-License-Identifier: GPL-2.0 */
/* What pcbgroupctl and pcbgroupd share: the code in tools/common/. */
#ifndef PCBG_TOOLS_H
#define PCBG_TOOLS_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <sys/types.h>
#include "pcbgroup.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes, as ip and bpftool use them. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* "PROGRAM: CMD: message" on stderr, one line (log.c); nothing if muted. */
extern const char *log_prog;
extern int log_muted;
void pr_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* libbpf's messages on stderr: none, warnings with log_verbose 1, all with 2. */
extern int log_verbose;
void log_libbpf(void);

/*
 * /proc (procfs.c): the file that @fmt names (a path format), open for
 * reading; directory /proc/@pid/@name; the inode of socket descriptor @fd of
 * @pid, 0 if it is not a socket.
 */
FILE *proc_open(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
DIR *proc_opendir(pid_t pid, const char *name);
__u64 proc_fd_inode(pid_t pid, long fd);

/*
 * Room in array *@v (*@cap elements of @size, @n used) for one more,
 * doubling it if full (a table of fixed size is one anybody can fill
 * first): 0, or -ENOMEM with *@v as it was.
 */
int grow_array(void **v, int *cap, int n, size_t size);

/* At most this many pids in one adoption (a bit each in holders). */
#define ADOPT_MAX_PIDS	64

/* One socket taken from a running process with pidfd_getfd(). */
struct adopted_sock {
	int fd;			/* our copy */
	pid_t pid;		/* the process that serves it (find_servers) */
	int cpu;		/* its CPU, -1 for none (find_servers) */
	__u64 holders;		/* bit i: pids[i] holds it */
	int target_fd;		/* its number in the first holder */
	struct pcbg_socket_desc desc;
};

/*
 * Take the SO_REUSEPORT sockets (TCP listening or UDP bound) of @pids in
 * the network namespace of cookie @netns, filtered by @port (0: any) and
 * @protocol (0: any): the union of what they hold, each socket once, sorted
 * by inode.  A pid holding none is fine as long as another holds some.
 * Prints its own errors.  Returns the count, or -1.  A socket of another
 * network namespace (a pid of another container) is refused, said so.
 * With ADOPT_ANY: pids gone meanwhile are passed over, no socket is no
 * error (0), sockets on several addresses are all returned, and those of
 * another namespace are left.
 */
#define ADOPT_ANY	(1 << 0)
int adopt_sockets_flags(const char *cmd, const pid_t *pids, int npids, int port,
			int protocol, int flags, __u64 netns, struct adopted_sock **socks);
void release_sockets(struct adopted_sock *socks, int n);
/*
 * Set each socket's pid and CPU from the thread or process of @pids that
 * serves it (serving.c): its SO_INCOMING_CPU if set, else the CPU the
 * threads waiting on it are pinned to, else the CPU of the holders that
 * hold the fewest of @socks (the workers, not their master), if pinned.
 */
void find_servers(struct adopted_sock *socks, int n, const pid_t *pids,
		  int npids);
#define SCAN_ROUNDS	10	/* find_servers(): looks at the threads, SCAN_PAUSE_US apart */
#define SCAN_PAUSE_US	5000
/*
 * The same from one look, without waiting for a server between two waits:
 * 1 if that look settled every socket, 0 if find_servers() may learn more.
 */
int guess_servers(struct adopted_sock *socks, int n, const pid_t *pids,
		  int npids);
/* A descriptor of socket @inode held by @pid, or -errno. */
int steal_socket(pid_t pid, __u64 inode);

/* What a new group is made of, and where it went (make_group.c). */
struct new_group {
	const char *root;	/* the namespace's pin root */
	__u32 capacity;		/* slots; 0: the default */
	/*
	 * flow table entries; 0: PCBG_FLOWS_UDP_DEFAULT for a UDP group whose
	 * flow_table is on when it is made (@flow_table, or pcbgroup.ko's
	 * sysctl), else PCBG_FLOWS_MIN
	 */
	__u32 flow_entries;
	int flow_table;		/* 1: its config will have flow_table on */
	/* its config before the sockets go in; NULL: the defaults */
	int (*configure)(struct pcbg_group *grp, const void *arg);
	const void *arg;
	unsigned int id;	/* out: its id */
	char dir[PATH_MAX];	/* out: where it is pinned */
};

/*
 * Make, pin, register (if pcbgroup.ko is loaded) and attach the group of
 * @socks, in their order: every group's birth, in one place.  Prints its
 * own errors; 0, or -errno with nothing left behind.
 */
int make_group(const char *cmd, struct new_group *g, const struct adopted_sock *socks, int n);
/* What pcbg_group_add_socket()'s or place_socket()'s -errno means, in words. */
const char *add_socket_error(int err);

/* This network namespace's cookie (SO_NETNS_COOKIE). */
int netns_cookie(__u64 *cookie);
/* The cookie of the namespace socket @fd lives in. */
int socket_netns_cookie(int fd, __u64 *cookie);
/* Is @fd a network namespace's file (/proc/PID/ns/net, /run/netns/NAME)? */
int netns_is(int fd);
/* This thread into the network namespace of @fd (setns); 0 or -errno. */
int netns_enter(int fd);
/* The cookie of namespace @fd, entered and left for @home_fd; 0 or -errno. */
int netns_cookie_of(int fd, int home_fd, __u64 *cookie);
/*
 * The cookies of the network namespaces alive (netns.c), in *@cookies (to
 * free): how many, or -errno; -EOPNOTSUPP outside the initial PID
 * namespace, where some may be out of sight.
 */
int netns_alive(__u64 **cookies);

/* A TCP listener or unconnected UDP socket of this namespace (sockdiag.c). */
struct diag_sock {
	int family;
	int protocol;
	__u16 port;
	__u8 addr[16];
	__u64 inode;
	__u32 uid;
};

/*
 * Call @fn for each TCP listener (@protocol IPPROTO_TCP) or unconnected UDP
 * socket of this network namespace, IPv4 and IPv6; a non-zero return stops.
 */
int diag_dump(int protocol, int (*fn)(const struct diag_sock *s, void *arg),
	      void *arg);

/*
 * A group's KEY=VALUE settings (settings.c): its knobs, and samples and
 * quic_cid_len, the group's own.  Start from @grp's config (NULL: the defaults; 0 or
 * -errno), add each
 * (0, -ENOENT no such key, -EINVAL a bad value), then write: the config
 * if a knob was given and @config_too, samples if given.
 */
/* @s as a decimal number 0..@max, no sign (options, declarations): 0 or -1. */
int parse_uint(const char *s, unsigned long max, unsigned long *out);

struct group_settings {
	struct pcbg_config cfg;
	int knobs;		/* a knob was given */
	long samples;		/* -1: not given */
	long quic_cid_len;	/* -1: not given */
};

int settings_start(struct group_settings *s, const struct pcbg_group *grp);
int settings_add(struct group_settings *s, const char *key, const char *value);
int settings_write(const struct group_settings *s, struct pcbg_group *grp,
		   int config_too);

/* The pin layout, root/netnsCOOKIE/ID, in one place (pins.c). */
/* The directory of this network namespace's groups; -errno. */
int netns_pin_root(char *buf, size_t size);
/* The same for the namespace of @cookie. */
int netns_pin_root_of(__u64 cookie, char *buf, size_t size);
/* Create it, mounting a bpffs if none is there; prints its errors. */
int netns_make_pin_root(const char *cmd, const char *root);
/* The pin directory of group @id under @root. */
void group_dir(char *buf, size_t size, const char *root, unsigned int id);
/*
 * Group @id under @root, opened; with @lock also holding its writer lock
 * (pcbg_group_lock()) until pcbg_group_free(), so that a second writer
 * waits instead of interleaving its writes.  0, or -errno with *@grp NULL.
 */
int open_pinned_group(const char *root, unsigned int id, int lock, struct pcbg_group **grp);
/* How many of @grp's slots hold a live socket, or -errno. */
int group_live(struct pcbg_group *grp);
/* Ids of the groups pinned under @root, ascending; returns the count, or
 * -errno if @root cannot be read (-EACCES for a user who may not see it).
 */
int list_groups(const char *root, unsigned int *ids, int max);
/*
 * Claim the lowest free id under @root: its directory, made, in @dir.
 * Prints its errors; 0 or -errno.
 */
int claim_group_dir(const char *cmd, const char *root, unsigned int *id,
		    char *dir, size_t size);

/*
 * pcbgroupctl register (pcbgroupctl/register.c): hand group @id pinned
 * under @root to pcbgroup.ko; 0 registered (now or before), -1 not (said).
 */
int register_group(const char *root, unsigned int id);

/* A UDP group's flow table as show prints it (show_flows.c). */
struct flow_view {
	int udp;		/* only UDP groups have flows */
	int ok;			/* @u was read */
	int scanned;		/* and the table walked */
	struct pcbg_flow_usage u;
};

void flow_view_load(struct flow_view *fv, const struct pcbg_group *grp, int protocol,
		    int scan);
void flow_view_text(unsigned int id, const struct flow_view *fv, const __u64 *stats,
		    int header);
void flow_view_json(const struct flow_view *fv, const struct pcbg_config *cfg,
		    const __u64 *stats);
void flow_view_prometheus(const char *labels, const struct flow_view *fv,
			  const __u64 *stats, int header);
/* Warn on stderr if the table evicts live flows; 1 if it did. */
int flow_view_warn(unsigned int id, const struct flow_view *fv,
		   const struct pcbg_config *cfg, const __u64 *stats);

/* What show prints besides the groups and sockets tables. */
#define SHOW_SAMPLES	(1 << 0)
#define SHOW_CPUS	(1 << 1)
#define SHOW_PROMETHEUS	(1 << 2)
#define SHOW_QUIET	(1 << 3)	/* no warning on stderr */

/* Print groups (all if @id is 0) as the /proc/net/pcbgroup tables, or JSON. */
int show_groups(const char *root, unsigned int id, int json, int what);

/* The same in steps, for the groups of several namespaces in one table. */
struct group_view;
struct show_set {
	struct group_view *views;
	int n;
};

/*
 * Add the groups under @root (all if @id is 0) to @set, with what this
 * network namespace says of them: its daemon's account, its sockets not in
 * them.  0, or -errno (-ENOENT: one could not be read, the others were).
 */
int show_collect(struct show_set *set, const char *root, unsigned int id, int what);
void show_print(const struct show_set *set, int json, int what);
void show_free(struct show_set *set);

const char *proto_name(int protocol);
/* "0.0.0.0:80" or "[::1]:80" */
void format_local(char *buf, size_t size, int family, const __u8 *addr,
		  __u16 port);

#endif
