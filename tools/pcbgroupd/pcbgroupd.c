// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd: keep the groups declared in /etc/pcbgroup/NAME.conf attached while
 * their sockets come and go (restarts, crashes, upgrades, more workers).
 *
 * It learns a socket of a declared port the moment it joins or leaves its
 * SO_REUSEPORT group, from cgroup socket hooks (bindwatch.c), and looks at
 * once, in that socket's namespace.  As a safety net, every interval it
 * lists the TCP listeners and unconnected UDP sockets of each namespace it
 * serves with sock_diag (a few netlink dumps, whatever the number of
 * groups) and compares, per declaration, the set of socket inodes on its
 * port with the last one.  Only when that set changed, or a hook reported
 * one, does it look for the
 * sockets in the declared processes' fds, take the new ones with
 * pidfd_getfd() into free slots (a restarted worker's socket takes the slot
 * its predecessor left, so Maglev gives it back its flows), republish the
 * members when one closed, and re-attach the program, which a fresh
 * SO_REUSEPORT group does not have.  Groups stay pinned: steering goes on
 * when the daemon stops, and a new daemon adopts them again as they are.
 *
 * With pcbgroup.ko in no-map mode, the daemon carries for the module: it
 * polls /proc/net/pcbgroup/knobs, copies a knob write into every group of
 * the namespace at once, and reports each group's counters to the module's
 * tables every STATE_EVERY_S seconds and after every change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "bindwatch.h"
#include "pcbgroupd.h"

#define STATE_EVERY_S	5	/* the state file's "seen" times, refreshed */
#define DIRTY_RETRIES	10	/* looks for sockets not found at first */
#define MAX_PLACES	256	/* cgroups one declaration matches */
#define RETRY_MAX	64	/* looks between tries of a step that keeps failing */
/*
 * A member released is taken out of the list this long after: a crashed
 * worker's successor binds a few ms later, and goes into the freed slot in
 * the same publish (one grace period, not two, before the next event).
 * Meanwhile its flows go to the other members (the program's second
 * choices).
 */
#define LEAVE_DELAY_MS	20
/* The sweep's default interval, with the hooks and without them. */
#define SWEEP_MS	5000
#define SWEEP_ALONE_MS	500

static const char usage_text[] =
	"Usage: pcbgroupd [-c DIR] [-i MS] [-l MS] [-p FILE [-P S]] [--realtime[=PRIO]]\n"
	"                 [--check]\n"
	"\n"
	"Keep the groups declared in DIR/*.conf (default " PCBGD_CONF_DIR ") attached\n"
	"as their sockets come and go.  SIGHUP reloads the declarations, SIGTERM\n"
	"stops the daemon and leaves the groups steering.\n"
	"\n"
	"Options:\n"
	"  -c, --config DIR      where the declarations are\n"
	"  -i, --interval MS     how often to look at the sockets besides when one\n"
	"                        joins or leaves (default 5000; 500 without the hooks)\n"
	"  -l, --load-interval MS  how often to sample the queues of the groups of\n"
	"                        algorithm least-loaded whose connections are not\n"
	"                        counted (UDP; TCP without the hooks) (default 20)\n"
	"  -p, --prometheus FILE write the counters there in the Prometheus text\n"
	"                        format, atomically (node_exporter's textfile collector)\n"
	"  -P, --prometheus-interval S  every S seconds (default 5)\n"
	"      --realtime[=PRIO] run at SCHED_FIFO priority PRIO (1-99, default 1),\n"
	"                        or at normal priority if that is refused\n"
	"      --check           check the declarations and exit (1 if one is bad)\n"
	"  -V, --version         print the version\n"
	"  -h, --help            this help\n";

static volatile sig_atomic_t got_hup, got_term;
static char pin_root[PATH_MAX];
static struct decl *decls;
static int ndecls;
static int module_loaded;
static int knobs_fd = -1;	/* /proc/net/pcbgroup/knobs, in no-map mode */
static struct bindwatch *watch;	/* the bind-time hooks, NULL without them */
static int conf_dir_given;	/* -c: a missing directory is an error */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* sd_notify(3)'s protocol, without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, path);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	close(fd);
}

/* The sockets of the namespace at this look (sock_diag). */
struct sightings {
	struct diag_sock *s;
	int n, cap;
};

static int note_socket(const struct diag_sock *s, void *arg)
{
	struct sightings *v = arg;

	if (grow_array((void **)&v->s, &v->cap, v->n, sizeof(*v->s)))
		return -1;
	v->s[v->n++] = *s;
	return 0;
}

static int decl_matches(const struct decl *d, int family, int protocol, __u16 port,
			const __u8 *addr)
{
	return protocol == d->protocol && port == d->port &&
	       (!d->family || (family == d->family &&
			       !memcmp(addr, d->addr, family == AF_INET ? 4 : 16)));
}

/* A mix of the inode, so that the sum over a set changes with any member. */
static __u64 mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/*
 * A group's place and what the daemon knows of it: one declaration in one
 * network namespace (and, for a cgroup declaration, one cgroup).
 */
struct served {
	int decl;		/* its declaration, in decls */
	struct place pl;	/* its namespace, held open while served */
	__u64 netns;		/* that namespace's cookie */
	char root[PATH_MAX];	/* where that namespace's groups are pinned */
	char label[PCBGD_NAME_MAX + 300];	/* in the logs: "web (cgroup X)" */
	unsigned int id;	/* its group, 0 if none yet */
	__u64 sig;		/* of the socket inodes seen at the last look */
	int nr_seen;
	int dirty;		/* looks left for sockets seen but not taken yet */
	int retry;		/* steps failed in a row: tried again at look retry_at */
	unsigned long retry_at;
	long long seen;		/* when its sockets were last seen */
	int waiting;
	int found;		/* its place was named at this look */
	int shadowed;		/* another declaration has its address there */
	int event;		/* a hook saw one of its sockets join: look now */
	pid_t event_pid;	/* the process that bound them; -1 if several */
	__u64 closed[8];	/* cookies of members released, not yet taken out */
	int nr_closed;
	long long closed_due;	/* when to take them out (CLOCK_MONOTONIC ms), 0: none */
	struct pcbg_group *grp;	/* its group, kept open between events */
	unsigned int grp_id;	/* the id and pin directory inode it was opened at */
	__u64 grp_ino;
	struct adopted_sock *unsettled;	/* steered, their server not yet seen waiting */
	int nr_unsettled;
	pid_t *settle_pids;	/* the processes they were adopted from */
	int nr_settle_pids;
	int settle_looks;	/* looks at their threads so far */
	long long settle_due;	/* when to look next (CLOCK_MONOTONIC ms), 0: none */
	int least_loaded;	/* its algorithm at the last sweep: sample its queues */
	int counted;		/* 1: its connections counted (no sample), -1: not */
	__u32 load_id;		/* its pcbg_load's key in the hooks' pcbgw_loads */
};

static struct served *served;
static int nserved;
static unsigned long looks;	/* counted, for the retries' pace */
static int home_fd = -1;	/* the daemon's own network namespace */
static __u64 home_netns;

static struct decl *decl_of(const struct served *s)
{
	return &decls[s->decl];
}

/* Into @s's namespace for its sock_diag, registrations and pins, and back. */
static int enter(const struct served *s)
{
	return s->netns == home_netns ? 0 : netns_enter(s->pl.netns_fd);
}

static void leave(const struct served *s)
{
	if (s->netns != home_netns && netns_enter(home_fd))
		abort();	/* half in another namespace: nothing is safe to do */
}

/* The handle kept for @s's group, closed. */
static void drop_group(struct served *s)
{
	pcbg_group_free(s->grp);
	s->grp = NULL;
}

/*
 * @s's group, locked, through a handle kept open from one event to the
 * next while its pin directory stays the same: a handle that made the last
 * switch of generation publishes without first waiting a grace period for
 * the readers of the one before (pcbg_group_publish()), which takes that
 * wait off the time to steer.  pcbg_group_unlock() when done.
 */
static int lock_kept_group(struct served *s, struct pcbg_group **grp)
{
	char dir[PATH_MAX];
	struct stat st;
	int err;

	group_dir(dir, sizeof(dir), s->root, s->id);
	if (stat(dir, &st)) {
		drop_group(s);
		return -errno;
	}
	if (s->grp && s->grp_id == s->id && s->grp_ino == st.st_ino &&
	    !pcbg_group_lock(s->grp)) {
		*grp = s->grp;
		return 0;
	}
	drop_group(s);
	err = open_pinned_group(s->root, s->id, 1, grp);
	if (err)
		return err;
	s->grp = *grp;
	s->grp_id = s->id;
	s->grp_ino = st.st_ino;
	return 0;
}

/* A pinned group of @s's namespace on its declared address, if one is. */
static unsigned int find_pinned(const struct served *s)
{
	const struct decl *d = decl_of(s);
	unsigned int ids[1024];
	int n = list_groups(s->root, ids, 1024), i, k;

	for (i = 0; i < n; i++) {
		struct pcbg_group_info info;
		struct pcbg_group *grp;
		int match;

		for (k = 0; k < nserved; k++)
			if (&served[k] != s && served[k].netns == s->netns &&
			    served[k].id == ids[i])
				break;
		if (k < nserved)
			continue;	/* another declaration's */
		if (open_pinned_group(s->root, ids[i], 0, &grp))
			continue;
		match = !pcbg_group_info(grp, &info) &&
			decl_matches(d, info.family, info.protocol, info.port, info.addr);
		pcbg_group_free(grp);
		if (match)
			return ids[i];
	}
	return 0;
}

static int apply_knobs(const struct decl *d, struct pcbg_group *grp)
{
	struct group_settings set;
	int err, i;

	err = settings_start(&set, grp);
	for (i = 0; !err && i < d->nr_knobs; i++)
		err = settings_add(&set, d->knobs[i].name, d->knobs[i].value);
	/* with the module loaded, its sysctls are the config's one writer */
	return err ? err : settings_write(&set, grp, !module_loaded);
}

/*
 * The declaration turns the flow table on (its last flow_table = 1), and
 * is the config's writer (pcbgroup.ko's sysctls are while it is loaded)?
 */
static int decl_flow_table(const struct decl *d)
{
	int i, on = 0;

	for (i = 0; i < d->nr_knobs; i++)
		if (!strcmp(d->knobs[i].name, "flow_table"))
			on = !strcmp(d->knobs[i].value, "1");
	return on && !module_loaded;
}

static int configure(struct pcbg_group *grp, const void *arg)
{
	return apply_knobs(arg, grp);
}

/* A new group of @socks for @s, pinned, registered, attached; 0 or -errno. */
static int create_group(struct served *s, struct adopted_sock *socks, int n)
{
	struct new_group g = { .root = s->root, .capacity = decl_of(s)->capacity,
			       .flow_entries = decl_of(s)->flow_entries,
			       .flow_table = decl_flow_table(decl_of(s)),
			       .configure = configure, .arg = decl_of(s) };
	char local[80];
	int err;

	err = make_group(s->label, &g, socks, n);
	if (err)
		return err;
	s->id = g.id;
	s->waiting = 0;
	format_local(local, sizeof(local), socks[0].desc.family, socks[0].desc.addr,
		     socks[0].desc.port);
	fprintf(stderr, "pcbgroupd: %s: group %u: %s %s, %d sockets\n", s->label, g.id,
		proto_name(decl_of(s)->protocol), local, n);
	return 0;
}

/* join_weight: the old version gone, the new one back to the default. */
static int settle_new_version(struct served *s, struct pcbg_group *grp)
{
	int n;

	if (!decl_of(s)->join_weighs)
		return 0;
	n = join_weight_settle(grp, decl_of(s)->join_weight);
	if (n > 0)
		fprintf(stderr, "pcbgroupd: %s: group %u: the old version has gone: "
			"%d sockets weigh %u again\n", s->label, s->id, n, PCBG_WEIGHT_DEFAULT);
	return n < 0 ? n : 0;
}

/* New sockets into free slots; members republished if one closed. 0 or -errno. */
static int update_group(struct served *s, struct adopted_sock *socks, int n)
{
	int err, i, slot, added = 0, live, failed = 0, attached, versions = 0;
	struct exe_id old[16];
	int *placed = calloc(n, sizeof(*placed));
	const struct decl *d = decl_of(s);
	struct pcbg_group_info info;
	struct pcbg_group *grp;

	err = placed ? lock_kept_group(s, &grp) : -ENOMEM;
	if (err) {
		pr_err(s->label, "group %u: %s", s->id, strerror(-err));
		s->id = 0;	/* removed under us: make it again */
		free(placed);
		return err;
	}
	/* sockets of a new version beside the old one's weigh join_weight */
	if (d->join_weighs)
		versions = join_weight_versions(grp, old, ARRAY_SIZE(old));
	/* every new socket placed, then one publish: one grace period for all */
	for (i = 0; i < n; i++) {
		placed[i] = -1;
		slot = pcbg_group_place_socket(grp, socks[i].fd, socks[i].cpu, socks[i].pid);
		if (slot == -EEXIST)
			continue;
		if (slot < 0) {
			pr_err(s->label, "group %u: pid %d: socket inode %llu: %s", s->id,
			       socks[i].pid, (unsigned long long)socks[i].desc.inode,
			       add_socket_error(slot));
			failed = slot;
			continue;
		}
		placed[i] = slot;
		added++;
		if (join_weight_is_new(socks[i].pid, old, versions) &&
		    pcbg_group_weigh_slot(grp, slot, d->join_weight))
			pr_err(s->label, "group %u: slot %d: weight %u: not set", s->id, slot,
			       d->join_weight);
	}
	err = added ? pcbg_group_publish(grp) : 0;
	for (i = 0; !err && i < n; i++) {
		if (placed[i] < 0)
			continue;
		/* a fresh SO_REUSEPORT group (a restart) has no program yet */
		attached = pcbg_group_attach(grp, socks[i].fd);
		if (attached) {
			pr_err(s->label, "group %u: attach through pid %d: %s", s->id,
			       socks[i].pid, strerror(-attached));
			failed = attached;
		}
		fprintf(stderr, "pcbgroupd: %s: group %u: slot %d: pid %d socket inode %llu "
			"cpu %d%s\n", s->label, s->id, placed[i], socks[i].pid,
			(unsigned long long)socks[i].desc.inode, socks[i].cpu,
			join_weight_is_new(socks[i].pid, old, versions) ?
			" (a new version: join_weight)" : "");
	}
	if (!err)
		err = pcbg_group_info(grp, &info);
	live = err ? 0 : group_live(grp);
	if (live < 0)
		err = live;
	/* a member closed: out of the list before its slot is taken again */
	if (!err && !added && (__u32)live != info.nr_members[info.gen & 1]) {
		err = pcbg_group_publish(grp);
		if (!err)
			fprintf(stderr, "pcbgroupd: %s: group %u: %d sockets left\n", s->label,
				s->id, live);
	}
	if (!err && live)
		err = settle_new_version(s, grp);
	if (err)
		pr_err(s->label, "group %u: %s", s->id, strerror(-err));
	if (live && s->waiting)
		fprintf(stderr, "pcbgroupd: %s: group %u: live again\n", s->label, s->id);
	s->waiting = 0;
	pcbg_group_unlock(grp);
	free(placed);
	return err ? err : failed;
}

/* @s's group off its sockets and unpinned; 0 or -errno. */
static int remove_group(struct served *s)
{
	struct pcbg_group *grp;
	char dir[PATH_MAX];
	int err;

	err = open_pinned_group(s->root, s->id, 1, &grp);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = pcbg_group_remove_sockets(grp);
	group_dir(dir, sizeof(dir), s->root, s->id);
	if (!err)
		err = pcbg_unpin(dir);
	pcbg_group_free(grp);	/* and the lock, once the pins are gone */
	return err;
}

/* Every socket gone: the group waits for them, or goes. */
static void group_gone(struct served *s)
{
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	int err;

	if (!s->id || s->waiting)
		return;
	drop_group(s);
	err = open_pinned_group(s->root, s->id, 1, &grp);
	if (err) {
		s->id = 0;
		return;
	}
	err = pcbg_group_info(grp, &info);
	if (!err && group_live(grp) > 0) {	/* not gone after all */
		pcbg_group_free(grp);
		return;
	}
	if (decl_of(s)->keep_waiting) {
		if (!err && info.nr_members[info.gen & 1])
			pcbg_group_publish(grp);
		pcbg_group_free(grp);
		s->waiting = 1;
		fprintf(stderr, "pcbgroupd: %s: group %u: no socket left: waiting\n", s->label,
			s->id);
		return;
	}
	pcbg_group_free(grp);
	err = remove_group(s);
	if (err)
		pr_err(s->label, "group %u: remove: %s", s->id, strerror(-err));
	else
		fprintf(stderr, "pcbgroupd: %s: group %u: no socket left: removed\n", s->label,
			s->id);
	s->id = 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void forget_unsettled(struct served *s)
{
	free(s->unsettled);
	free(s->settle_pids);
	s->unsettled = NULL;
	s->settle_pids = NULL;
	s->nr_unsettled = 0;
	s->settle_due = 0;
}

/* served[@i] no longer served: its handles closed, the ones after it moved up. */
static void unserve(int i)
{
	struct served *s = &served[i];

	drop_group(s);
	forget_unsettled(s);
	close(s->pl.netns_fd);
	memmove(s, s + 1, (nserved - i - 1) * sizeof(*s));
	nserved--;
}

/*
 * Sockets steered before their server waited on them (a master binds, then
 * forks its workers): their threads looked at again, SCAN_PAUSE_US apart,
 * from the main loop, and a CPU learned so written and published.  The CPU
 * refines the steering (algorithm cpu); it never holds up the join.
 */
static void defer_servers(struct served *s, const struct adopted_sock *socks, int n,
			  const pid_t *pids, int npids)
{
	forget_unsettled(s);
	s->unsettled = malloc(n * sizeof(*socks));
	s->settle_pids = malloc((npids ? npids : 1) * sizeof(*pids));
	if (!s->unsettled || !s->settle_pids) {
		forget_unsettled(s);
		return;
	}
	memcpy(s->unsettled, socks, n * sizeof(*socks));
	memcpy(s->settle_pids, pids, npids * sizeof(*pids));
	s->nr_unsettled = n;
	s->nr_settle_pids = npids;
	s->settle_looks = 1;
	s->settle_due = mono_ms() + SCAN_PAUSE_US / 1000;
}

static void settle_servers(struct served *s)
{
	struct pcbg_group_info info;
	struct adopted_sock *a;
	struct pcbg_group *grp;
	struct pcbg_slot sl;
	__u32 slot;
	int i;

	if (!guess_servers(s->unsettled, s->nr_unsettled, s->settle_pids, s->nr_settle_pids) &&
	    ++s->settle_looks < SCAN_ROUNDS) {
		s->settle_due = mono_ms() + SCAN_PAUSE_US / 1000;
		return;
	}
	if (!s->id || enter(s))
		goto out;
	if (lock_kept_group(s, &grp))
		goto leave;
	for (slot = 0; !pcbg_group_info(grp, &info) && slot < info.nr_slots; slot++) {
		if (pcbg_group_slot(grp, slot, &sl) || !(sl.flags & PCBG_SLOT_USED))
			continue;
		for (i = 0, a = s->unsettled; i < s->nr_unsettled && a->desc.inode != sl.inode;
		     i++, a++)
			;
		if (i < s->nr_unsettled && a->cpu != sl.cpu &&
		    !pcbg_group_set_cpu(grp, slot, a->cpu))
			fprintf(stderr, "pcbgroupd: %s: group %u: slot %u: cpu %d\n", s->label,
				s->id, slot, a->cpu);
	}
	pcbg_group_unlock(grp);
leave:
	leave(s);
out:
	forget_unsettled(s);
}

/*
 * A TCP group's connections counted by the hooks (bindwatch_count_conns()),
 * its listeners among @socks given their slots: least-loaded compares
 * those, and the group is not sampled.  Without the hooks, or for a group
 * made before they counted, its accept queues are sampled instead.
 */
static void count_conns(struct served *s, const struct adopted_sock *socks, int n)
{
	int *fds, err, i, was = s->counted;
	struct pcbg_group *grp;

	if (!watch || decl_of(s)->protocol != IPPROTO_TCP || !s->id)
		return;
	fds = calloc(n ? n : 1, sizeof(*fds));
	err = fds ? lock_kept_group(s, &grp) : -ENOMEM;
	if (!err) {
		for (i = 0; i < n; i++)
			fds[i] = socks[i].fd;
		err = bindwatch_count_conns(watch, grp, fds, n, &s->load_id);
		pcbg_group_unlock(grp);
	}
	free(fds);
	s->counted = err < 0 ? -1 : 1;
	if (err < 0 && was != -1)
		pr_err(s->label, "group %u: connections not counted, queues sampled: %s",
		       s->id, strerror(-err));
	else if (err >= 0 && was != 1)
		fprintf(stderr, "pcbgroupd: %s: group %u: connections counted\n", s->label, s->id);
}

/* The hooks count the connections of the groups served now, no others. */
static void keep_counting(void)
{
	__u32 *ids = watch ? calloc(nserved ? nserved : 1, sizeof(*ids)) : NULL;
	int i, n = 0;

	if (!ids)
		return;
	for (i = 0; i < nserved; i++)
		if (served[i].id && served[i].counted == 1)
			ids[n++] = served[i].load_id;
	bindwatch_keep_loads(watch, ids, n);
	free(ids);
}

static int by_creation(const void *a, const void *b)
{
	const struct adopted_sock *x = a, *y = b;
	unsigned long long tx = process_start(x->pid), ty = process_start(y->pid);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->target_fd - y->target_fd;
}

/*
 * Take the sockets of @s's processes that its namespace has now (the
 * nr_seen of this look); 0, or -errno if a step failed (tried again at the
 * next look).
 */
static int reconcile(struct served *s)
{
	const struct decl *d = decl_of(s);
	pid_t pids[ADOPT_MAX_PIDS];
	struct adopted_sock *socks = NULL;
	int npids, n, i, keep = 0, err = 0, only_binder = 0, settled;

	if (!s->nr_seen) {
		group_gone(s);
		s->dirty = 0;
		return 0;
	}
	/*
	 * A socket just bound by one of them: its sockets only, not every
	 * declared process's (the others' are in the group already); told
	 * from its lineage where that is enough, without a walk of /proc.
	 */
	if (s->event_pid > 0 && process_declared(d, &s->pl, s->event_pid) == 1) {
		pids[0] = s->event_pid;
		npids = 1;
		only_binder = 1;
	} else {
		npids = find_processes(d, &s->pl, pids, ADOPT_MAX_PIDS);
	}
	for (i = 0; !only_binder && s->event_pid > 0 && i < npids; i++) {
		if (pids[i] == s->event_pid) {
			pids[0] = pids[i];
			npids = 1;
			only_binder = 1;
			break;
		}
	}
	n = npids ? adopt_sockets_flags(s->label, pids, npids, d->port, d->protocol,
					ADOPT_ANY, s->netns, &socks) : 0;
	/*
	 * The binder holds none of them any more: it handed them to a child
	 * and closed its own (haproxy -W's master does): every declared
	 * process is looked at now, not at the next sweep.
	 */
	if (n <= 0 && only_binder) {
		only_binder = 0;
		npids = find_processes(d, &s->pl, pids, ADOPT_MAX_PIDS);
		n = npids ? adopt_sockets_flags(s->label, pids, npids, d->port,
						d->protocol, ADOPT_ANY, s->netns, &socks) : 0;
	}
	if (n < 0)
		n = 0;
	/*
	 * The declared address, else that of the oldest process's socket
	 * (not the lowest inode: sockfs numbers them in per-CPU batches).
	 */
	qsort(socks, n, sizeof(*socks), by_creation);
	for (i = 0; i < n; i++) {
		const struct pcbg_socket_desc *a = &socks[i].desc, *f = &socks[0].desc;

		if (!decl_matches(d, a->family, a->protocol, a->port, a->addr) ||
		    a->family != f->family || memcmp(a->addr, f->addr, 16)) {
			close(socks[i].fd);
			continue;
		}
		socks[keep++] = socks[i];
	}
	n = keep;
	/* the release of a socket bound before the hooks is reported too */
	for (i = 0; watch && i < n; i++)
		bindwatch_adopt(watch, socks[i].fd, socks[i].pid, d->port, d->protocol,
				socks[i].desc.family);
	/*
	 * Sockets seen but not found in the declared processes: one still
	 * starting, or another process's.  Look again for a few rounds only.
	 * After a look at the binder alone, the next sweep looks at them all.
	 */
	if (only_binder)
		s->sig = 0;
	else
		s->dirty = n >= s->nr_seen ? 0 : s->dirty ? s->dirty - 1 : DIRTY_RETRIES;
	if (!n) {
		release_sockets(socks, 0);
		return 0;
	}
	/* steered first; a server not yet waiting is looked for after */
	settled = guess_servers(socks, n, pids, npids);
	/*
	 * Into the slots in the order the workers were made (their process's
	 * start, then their fd), not by inode number, which sockfs hands out
	 * in per-CPU batches: a whole service restarted then comes back in the
	 * slots it had, and maglev gives each worker its flows back.
	 */
	qsort(socks, n, sizeof(*socks), by_creation);
	if (!s->id)
		s->id = find_pinned(s);
	if (s->id)
		err = update_group(s, socks, n);
	if (!s->id)
		err = create_group(s, socks, n);
	if (!err && !settled)
		defer_servers(s, socks, n, pids, npids);
	if (s->id)
		count_conns(s, socks, n);
	release_sockets(socks, n);
	return err;
}

/* Another declaration served earlier in @s's namespace has its address. */
static int shadowed(const struct served *s)
{
	const struct decl *d = decl_of(s), *o;
	int k;

	for (k = 0; &served[k] != s; k++) {
		o = decl_of(&served[k]);
		if (served[k].netns == s->netns && o->port == d->port &&
		    o->protocol == d->protocol && (!o->family || !d->family ||
		    (o->family == d->family && !memcmp(o->addr, d->addr, 16))))
			return k + 1;
	}
	return 0;
}

/*
 * One look at the sockets of namespace @netns, for its groups (@all) or for
 * those an event marked; 1 if one changed.
 */
static int look_in_netns(struct sightings *v, __u64 netns, long long now, int all)
{
	int i, k, changed = 0, want_tcp = 0, want_udp = 0, other, event;

	v->n = 0;
	for (i = 0; i < nserved; i++) {
		if (served[i].netns != netns || (!all && !served[i].event))
			continue;
		want_tcp |= decl_of(&served[i])->protocol == IPPROTO_TCP;
		want_udp |= decl_of(&served[i])->protocol == IPPROTO_UDP;
	}
	if ((want_tcp && diag_dump(IPPROTO_TCP, note_socket, v)) ||
	    (want_udp && diag_dump(IPPROTO_UDP, note_socket, v)))
		return 0;	/* try again at the next look */
	for (i = 0; i < nserved; i++) {
		struct served *s = &served[i];
		const struct decl *d = decl_of(s);
		__u64 sig = 0;
		int n = 0;

		if (s->netns != netns || (!all && !s->event))
			continue;
		event = s->event;
		s->event = 0;
		other = shadowed(s);
		if (other && !s->shadowed)
			pr_err(s->label, "%s port %u is already served here by %s: left to it",
			       proto_name(d->protocol), d->port, served[other - 1].label);
		s->shadowed = other;
		if (other)
			continue;
		for (k = 0; k < v->n; k++) {
			if (!decl_matches(d, v->s[k].family, v->s[k].protocol, v->s[k].port,
					  v->s[k].addr))
				continue;
			sig += mix(v->s[k].inode);
			n++;
		}
		if (n)
			s->seen = now;
		if (sig == s->sig && n == s->nr_seen && !s->dirty && !event &&
		    !(s->retry && looks >= s->retry_at))
			continue;
		s->sig = sig;
		s->nr_seen = n;
		/*
		 * A step that failed is tried again at the next look, then
		 * 2, 4 ... RETRY_MAX looks apart (a group is a BPF program
		 * loaded: not every look for ever); said the first time.
		 */
		log_muted = s->retry > 0;	/* said the first time */
		if (reconcile(s)) {
			s->retry_at = looks + (s->retry < 6 ? 1UL << s->retry : RETRY_MAX);
			s->retry++;
		} else {
			s->retry = 0;
		}
		s->event_pid = 0;
		log_muted = 0;
		changed = 1;
	}
	return changed;
}

/* Names @s in the logs: its declaration, and its place if not ours. */
static void make_label(struct served *s)
{
	const struct decl *d = decl_of(s);

	if (s->pl.cgroup[0])
		snprintf(s->label, sizeof(s->label), "%s (cgroup %s)", d->name, s->pl.cgroup);
	else if (d->netns[0])
		snprintf(s->label, sizeof(s->label), "%s (netns %s)", d->name, d->netns);
	else if (s->netns != home_netns)
		snprintf(s->label, sizeof(s->label), "%s (netns cookie %llu)", d->name,
			 (unsigned long long)s->netns);
	else
		snprintf(s->label, sizeof(s->label), "%s", d->name);
}

/* Declaration @k's place @pl, served already or new; 1 if new. */
static int take_place(int k, struct place *pl)
{
	struct served *s;
	__u64 cookie;
	int i, err;

	for (i = 0; i < nserved; i++) {
		s = &served[i];
		if (s->decl == k && s->pl.dev == pl->dev && s->pl.ino == pl->ino &&
		    !strcmp(s->pl.cgroup, pl->cgroup)) {
			s->found = 1;
			s->pl.anchor = pl->anchor;
			if (pl->netns_fd >= 0)
				close(pl->netns_fd);
			return 0;
		}
	}
	if (pl->netns_fd < 0)
		return 0;	/* known, but not by @k: not for this declaration */
	err = netns_cookie_of(pl->netns_fd, home_fd, &cookie);
	s = err ? NULL : realloc(served, (nserved + 1) * sizeof(*served));
	if (!s) {
		pr_err(decls[k].name, "its network namespace: %s", strerror(err ? -err : ENOMEM));
		close(pl->netns_fd);
		return 0;
	}
	served = s;
	s = &served[nserved++];
	memset(s, 0, sizeof(*s));
	s->decl = k;
	s->pl = *pl;
	s->netns = cookie;
	s->found = 1;
	s->dirty = 1;	/* look at once */
	netns_pin_root_of(cookie, s->root, sizeof(s->root));
	make_label(s);
	if (cookie != home_netns)
		fprintf(stderr, "pcbgroupd: %s: serving network namespace cookie %llu\n",
			s->label, (unsigned long long)cookie);
	return 1;
}

/* Is namespace @netns served by another than served[@skip]? */
static int netns_served(__u64 netns, int skip)
{
	int i;

	for (i = 0; i < nserved; i++)
		if (i != skip && served[i].netns == netns)
			return 1;
	return 0;
}

/* served[@i]'s namespace or cgroup went away: its group and pins go too. */
static void place_gone(int i)
{
	struct served *s = &served[i];
	int err = 0;

	if (!enter(s)) {
		if (s->id)
			err = remove_group(s);
		if (err)
			pr_err(s->label, "group %u: remove: %s", s->id, strerror(-err));
		else
			fprintf(stderr, "pcbgroupd: %s: its %s is gone%s\n", s->label,
				s->pl.cgroup[0] ? "cgroup" : "network namespace",
				s->id ? ": its group removed" : "");
		leave(s);
	}
	if (!netns_served(s->netns, i)) {
		rmdir(s->root);	/* if empty: pcbgroupctl's groups stay */
		if (s->netns != home_netns)
			managed_remove(s->netns);
	}
	unserve(i);
}

/*
 * The places the declarations name now: new ones served, those gone
 * removed with their groups.  A pid file naming no process keeps the
 * namespace it named (its process restarting).  1 if one came or went.
 */
static int follow_places(void)
{
	static const struct place *known[MAX_PLACES];
	static struct place pl[MAX_PLACES];
	int i, k, n, nknown, changed = 0, pidfile_only, ours;

	for (i = 0; i < nserved; i++)
		served[i].found = 0;
	for (k = 0; k < ndecls; k++) {
		ours = !decls[k].netns[0] && !decls[k].cgroup[0] &&
		       decls[k].finder != FIND_PIDFILE;
		for (i = 0, nknown = 0; i < nserved && nknown < MAX_PLACES; i++) {
			if (served[i].decl != k)
				continue;
			known[nknown++] = &served[i].pl;
			served[i].found |= ours;	/* our namespace stays */
		}
		if (ours && nknown)
			continue;
		n = find_places(&decls[k], known, nknown, pl, MAX_PLACES);
		pidfile_only = decls[k].finder == FIND_PIDFILE && !decls[k].netns[0];
		for (i = 0; !n && pidfile_only && i < nserved; i++)
			served[i].found |= served[i].decl == k;
		for (i = 0; i < n; i++)
			changed |= take_place(k, &pl[i]);
	}
	for (i = nserved - 1; i >= 0; i--) {
		if (served[i].found)
			continue;
		place_gone(i);
		changed = 1;
	}
	return changed;
}

/* The first served in served[@i]'s namespace: namespaces once each. */
static int first_of_netns(int i)
{
	int k;

	for (k = 0; k < i && served[k].netns != served[i].netns; k++)
		;
	return k;
}

/* One look at every namespace served; returns 1 if a group changed. */
static int look(struct sightings *v, long long now)
{
	int i, changed = follow_places();

	looks++;
	for (i = 0; i < nserved; i++) {
		if (first_of_netns(i) != i || enter(&served[i]))
			continue;
		changed |= look_in_netns(v, served[i].netns, now, 1);
		leave(&served[i]);
	}
	return changed;
}

/* A look in each namespace where a hook saw a socket join; 1 if a group changed. */
static int look_at_events(struct sightings *v, long long now)
{
	int i, k, changed = 0;

	for (i = 0; i < nserved; i++) {
		if (!served[i].event)
			continue;
		for (k = 0; k < i && (served[k].netns != served[i].netns || !served[k].event); k++)
			;
		if (k < i || enter(&served[i]))
			continue;	/* looked at with served[k] */
		changed |= look_in_netns(v, served[i].netns, now, 0);
		leave(&served[i]);
	}
	return changed;
}

/* Namespace @netns's state file, with its groups (@m: room for all). */
static void write_netns_state(__u64 netns, struct managed_group *m)
{
	int k, n = 0, err;

	for (k = 0; k < nserved; k++) {
		if (served[k].netns != netns || !served[k].id)
			continue;
		m[n].id = served[k].id;
		snprintf(m[n].name, sizeof(m[n].name), "%s", decl_of(&served[k])->name);
		snprintf(m[n].cgroup, sizeof(m[n].cgroup), "%s", served[k].pl.cgroup);
		m[n].seen = served[k].seen;
		m[n].waiting = served[k].waiting;
		n++;
	}
	err = managed_write(netns, m, n);
	if (err)
		pr_err("state", "%s: %s", PCBGD_RUN_DIR, strerror(-err));
}

/* The state file of our namespace and of every namespace served. */
static void write_state(void)
{
	struct managed_group *m = calloc(nserved ? nserved : 1, sizeof(*m));
	int i;

	if (!m)
		return;
	write_netns_state(home_netns, m);
	for (i = 0; i < nserved; i++)
		if (served[i].netns != home_netns && first_of_netns(i) == i)
			write_netns_state(served[i].netns, m);
	free(m);
}

static void remove_state(void)
{
	int i;

	managed_remove(home_netns);
	for (i = 0; i < nserved; i++)
		if (served[i].netns != home_netns && first_of_netns(i) == i)
			managed_remove(served[i].netns);
}

/*
 * A file of our own in @dirfd, beside @base: ".BASE.XXXXXXXX", a random
 * name made with O_EXCL and O_NOFOLLOW as mkstemp(3) does, but relative to
 * the directory's fd.  Its fd, or -1 with errno set.
 */
static int prometheus_temporary(int dirfd, const char *base, char *name, size_t size)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[8];
	int i, k, n, fd;

	for (i = 0; i < 100; i++) {
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -1;
		n = snprintf(name, size, ".%s.", base);
		if (n < 0 || (size_t)n + sizeof(rnd) >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		for (k = 0; k < (int)sizeof(rnd); k++)
			name[n + k] = chars[rnd[k] % (sizeof(chars) - 1)];
		name[n + k] = '\0';
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/*
 * The counters of our namespace's groups and every served namespace's into
 * @path, one exposition labelled with the namespace (and cgroup), written
 * atomically also where others may write in its directory (node_exporter's
 * textfile directory often is): a new file of our own, filled, then renamed
 * over @path, all relative to the directory opened once.  Nothing found
 * there is followed or written through.
 */
static void write_prometheus(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	int dirfd, fd, saved, i, err = 0;
	struct show_set set = {};

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
		 slash ? path : ".");
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || !*base) {
		pr_err("prometheus", "%s: %s", dir, !*base ? "no file name" : strerror(errno));
		if (dirfd >= 0)
			close(dirfd);
		return;
	}
	fd = prometheus_temporary(dirfd, base, tmp, sizeof(tmp));
	if (fd < 0) {
		pr_err("prometheus", "%s: a new file there: %s", dir, strerror(errno));
		close(dirfd);
		return;
	}
	show_collect(&set, pin_root, 0, SHOW_QUIET);
	for (i = 0; i < nserved; i++) {
		if (served[i].netns == home_netns || first_of_netns(i) != i ||
		    enter(&served[i]))
			continue;
		show_collect(&set, served[i].root, 0, SHOW_QUIET);
		leave(&served[i]);
	}
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	show_print(&set, 0, SHOW_PROMETHEUS | SHOW_QUIET);
	if (watch)
		bindwatch_print_prometheus(watch);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	show_free(&set);
	if (fchmod(fd, 0644) || fsync(fd))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && renameat(dirfd, tmp, dirfd, base))
		err = errno;
	if (err) {
		pr_err("prometheus", "%s: %s", path, strerror(err));
		unlinkat(dirfd, tmp, 0);
	}
	close(dirfd);
}

/*
 * No-map mode: the module's knobs into every group of the namespace (when
 * they changed), and every group to the module's tables.  Each group under
 * its writer lock, and only while still pinned: a group removed meanwhile
 * is not brought back into the module's tables.
 */
static void carry_for_module(int knobs_changed)
{
	unsigned int ids[1024];
	struct pcbg_config cfg;
	int n = list_groups(pin_root, ids, 1024), i, err;

	/* read even with no group: poll() waits for the next write again */
	if (knobs_changed && pcbg_module_knobs(knobs_fd, &cfg))
		pr_err("knobs", "/proc/net/pcbgroup/knobs: cannot be read");
	for (i = 0; i < n; i++) {
		struct pcbg_group *grp;
		char dir[PATH_MAX];

		if (open_pinned_group(pin_root, ids[i], 1, &grp))
			continue;
		group_dir(dir, sizeof(dir), pin_root, ids[i]);
		err = 0;
		if (!access(dir, F_OK)) {
			if (knobs_changed)
				err = pcbg_group_carry_knobs(grp, knobs_fd);
			if (!err)
				err = pcbg_group_report(grp, ids[i]);
		}
		/* unpinned meanwhile (pcbgroupctl gc): the report taken back */
		if (access(dir, F_OK))
			pcbg_unpin(dir);
		if (err < 0)
			pr_err("module", "group %u: %s", ids[i], strerror(-err));
		pcbg_group_free(grp);
	}
}

/* Opens or closes the knobs file as the module comes, goes or changes mode. */
static int follow_module(void)
{
	if (module_loaded && pcbg_module_nomap()) {
		if (knobs_fd >= 0)
			return 0;
		knobs_fd = open("/proc/net/" PCBG_PROC_DIR "/" PCBG_PROC_KNOBS,
				O_RDONLY | O_CLOEXEC);
		return knobs_fd >= 0;	/* new: carry the knobs at once */
	}
	if (knobs_fd >= 0)
		close(knobs_fd);
	knobs_fd = -1;
	return 0;
}

/* Is @a the declaration @b was, for the same place? */
static int same_decl(const struct decl *a, const struct decl *b)
{
	return !strcmp(a->name, b->name) && a->port == b->port &&
	       a->protocol == b->protocol && a->family == b->family &&
	       !memcmp(a->addr, b->addr, 16) && !strcmp(a->netns, b->netns) &&
	       !strcmp(a->cgroup, b->cgroup);
}

/* New declarations; what the daemon knew of the same groups carries over. */
static int reload(const char *conf_dir)
{
	struct decl *fresh;
	struct served *s;
	int n, i, k, nbad, err;

	n = load_declarations(conf_dir, !conf_dir_given, &fresh, &nbad);
	if (n < 0)
		return -1;
	for (i = nserved - 1; i >= 0; i--) {
		s = &served[i];
		for (k = 0; k < n && !same_decl(&fresh[k], decl_of(s)); k++)
			;
		if (k < n) {
			s->decl = k;	/* of fresh, from here on */
			s->dirty = 1;	/* look again, with the new finder */
			continue;
		}
		if (s->id)
			fprintf(stderr, "pcbgroupd: %s: declaration gone: group %u left as it is\n",
				s->label, s->id);
		unserve(i);
	}
	free(decls);
	decls = fresh;
	ndecls = n;
	for (i = 0; i < nserved; i++) {
		struct pcbg_group *grp;

		s = &served[i];
		make_label(s);
		if (!s->id || open_pinned_group(s->root, s->id, 1, &grp))
			continue;
		err = apply_knobs(decl_of(s), grp);
		if (err)
			pr_err(s->label, "group %u: knobs: %s", s->id, strerror(-err));
		pcbg_group_free(grp);
	}
	fprintf(stderr, "pcbgroupd: %d declarations from %s%s\n", n, conf_dir,
		nbad ? ", some refused (above)" : "");
	return 0;
}

/*
 * Members released (their last descriptor closed) out of the member list:
 * one publish for all, or a planned leave for one the kernel still holds.
 * A slot already holding another socket (a respawned worker's, published
 * meanwhile) is left alone.
 */
/*
 * Algorithm least-loaded: the queues of each served group of that algorithm
 * into its pcbg_load (pcbg_group_sample_load(), one sock_diag dump of the
 * port), every load interval.  With @check, first which groups those are,
 * from their configs (at every sweep: a knob changed to least-loaded is
 * sampled from the next one on).  Returns how many groups are sampled.
 */
static int sample_loads(int check)
{
	struct pcbg_config cfg;
	struct pcbg_group *grp;
	int i, n = 0;

	for (i = 0; i < nserved; i++) {
		struct served *s = &served[i];

		/* a group whose connections the hooks count is not sampled */
		if (!s->id || (!check && !s->least_loaded) || s->counted == 1 || enter(s))
			continue;
		/*
		 * Between sweeps, the handle kept: pcbg_load is not the writer
		 * lock's (its one writer is this sampling), and a handle the
		 * group outlived writes to maps no program reads any more.
		 */
		if (!check && s->grp) {
			pcbg_group_sample_load(s->grp);
		} else if (!lock_kept_group(s, &grp)) {
			if (check)
				s->least_loaded = !pcbg_group_config(grp, &cfg) &&
						  cfg.algorithm == PCBG_ALGO_LEAST_LOADED;
			if (s->least_loaded)
				pcbg_group_sample_load(grp);
			pcbg_group_unlock(grp);
		}
		leave(s);
		n += s->least_loaded;
	}
	return n;
}

static void forget_closed(struct served *s)
{
	int err = 0, dead = 0, empty = 0, k;
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	struct pcbg_slot sl;
	__u32 slot;

	if (!s->id || enter(s))
		goto out;
	if (lock_kept_group(s, &grp))
		goto leave;
	for (slot = 0; !err && !pcbg_group_info(grp, &info) && slot < info.nr_slots &&
	     slot < info.capacity; slot++) {
		if (pcbg_group_slot(grp, slot, &sl) || !(sl.flags & PCBG_SLOT_USED))
			continue;
		for (k = 0; k < s->nr_closed && s->closed[k] != sl.cookie; k++)
			;
		if (k == s->nr_closed)
			continue;
		if (pcbg_group_slot_live(grp, slot) == 1)
			err = pcbg_group_remove_socket(grp, slot);
		else
			dead++;
		fprintf(stderr, "pcbgroupd: %s: group %u: slot %u: socket closed\n", s->label,
			s->id, slot);
	}
	if (!err && dead)
		err = pcbg_group_publish(grp);
	if (!err)
		err = settle_new_version(s, grp);
	if (err)
		pr_err(s->label, "group %u: %s", s->id, strerror(-err));
	empty = !group_live(grp);
	pcbg_group_unlock(grp);
	if (empty)
		group_gone(s);	/* they were the last */
leave:
	leave(s);
out:
	s->nr_closed = 0;
	s->closed_due = 0;
}

static void on_sock_event(const struct pcbg_sock_event *e, void *arg)
{
	const struct decl *d;
	struct served *s;
	int i;

	(void)arg;
	for (i = 0; i < nserved; i++) {
		s = &served[i];
		d = decl_of(s);
		if (s->netns != e->netns_cookie || d->port != e->port ||
		    d->protocol != e->protocol)
			continue;
		if (e->kind == PCBG_SOCK_LEFT) {
			if (s->nr_closed < (int)ARRAY_SIZE(s->closed))
				s->closed[s->nr_closed++] = e->sock_cookie;
			if (!s->closed_due)
				s->closed_due = mono_ms() + LEAVE_DELAY_MS;
			continue;
		}
		if (!s->event_pid)
			s->event_pid = e->tgid ? (pid_t)e->tgid : -1;
		else if (s->event_pid != (pid_t)e->tgid)
			s->event_pid = -1;	/* several: look at them all */
		s->event = 1;	/* a look now */
	}
}

/* The hooks report the declared ports of the namespaces served, only those. */
static void watch_ports(void)
{
	struct pcbg_watch_key *keys;
	int i, err;

	keys = watch ? calloc(nserved ? nserved : 1, sizeof(*keys)) : NULL;
	if (!keys)
		return;
	for (i = 0; i < nserved; i++) {
		keys[i].netns_cookie = served[i].netns;
		keys[i].port = decl_of(&served[i])->port;
		keys[i].protocol = decl_of(&served[i])->protocol;
	}
	err = bindwatch_set_ports(watch, keys, nserved);
	if (err)
		pr_err("bindwatch", "declared ports: %s", strerror(-err));
	free(keys);
}

/* The hooks, if this kernel and our privileges allow; else the sweep alone. */
static void start_watch(void)
{
	int err = bindwatch_open(&watch);

	if (err) {
		pr_err("bindwatch", "sockets not learned at bind time, only every interval: %s",
		       strerror(-err));
		watch = NULL;
	}
}

/* What the command line asks for. */
struct options {
	const char *conf_dir;
	const char *prom;	/* -p FILE; NULL none */
	long interval_ms;	/* 0: by whether the hooks work */
	long prom_s;
	long load_ms;
	int check;
	int rt_prio;		/* --realtime: SCHED_FIFO at this priority; 0 none */
};

/* Parse the command line into @o: -1 to go on, or the exit status. */
static int read_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "prometheus-interval", required_argument, NULL, 'P' },
		{ "load-interval", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'C' },
		{ "realtime", optional_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:i:p:P:l:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->conf_dir = optarg;
			conf_dir_given = 1;
			break;
		case 'i':
		case 'l':
		case 'P':
			if (parse_uint(optarg, 3600000, &v) || !v) {
				pr_err(opt == 'i' ? "--interval" : opt == 'l' ? "--load-interval" :
				       "--prometheus-interval",
				       "'%s': not a number (1-3600000)", optarg);
				return EXIT_USAGE;
			}
			if (opt == 'i')
				o->interval_ms = v;
			else if (opt == 'l')
				o->load_ms = v;
			else
				o->prom_s = v;
			break;
		case 'p':
			o->prom = optarg;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'R':
			if (realtime_parse(optarg, &o->rt_prio))
				return EXIT_USAGE;
			break;
		case 'V':
			puts("pcbgroupd " PCBG_VERSION);
			return EXIT_OK;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "pcbgroupd: see pcbgroupd -h\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		pr_err(argv[optind], "unexpected argument (see pcbgroupd -h)");
		return EXIT_USAGE;
	}
	return -1;
}

/* --check: how many declarations of @conf_dir are good and bad; the exit status. */
static int check_declarations(const char *conf_dir)
{
	struct decl *d;
	int nbad, n = load_declarations(conf_dir, 0, &d, &nbad);

	free(d);
	if (n < 0)
		return EXIT_FAIL;
	printf("%d good, %d bad declarations in %s\n", n, nbad, conf_dir);
	return nbad ? EXIT_FAIL : EXIT_OK;
}

/*
 * Everything before the loop: the namespace it runs in, the signals, the
 * priority, the declarations, the hooks and the ports they watch.  0, or
 * -1 said why.
 */
static int start(struct options *o)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	err = netns_pin_root(pin_root, sizeof(pin_root));
	home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!err)
		err = home_fd < 0 ? -errno : netns_cookie(&home_netns);
	if (err) {
		pr_err("start", "this network namespace's cookie: %s", strerror(-err));
		return -1;
	}
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o->rt_prio)
		realtime_enter(o->rt_prio);
	if (reload(o->conf_dir))
		return -1;
	start_watch();
	follow_places();	/* the ports to watch, before saying we started */
	watch_ports();
	/* with the hooks the sweep is a safety net only */
	if (!o->interval_ms)
		o->interval_ms = watch ? SWEEP_MS : SWEEP_ALONE_MS;
	fprintf(stderr, "pcbgroupd: started, pid %d, looking every %ld ms%s\n", getpid(),
		o->interval_ms, watch ? " and at every bind, listen and close" : "");
	return 0;
}

/* The loop's clocks and what it carries from one turn to the next. */
struct loop {
	long long last_state, last_report;		/* time(), s */
	long long next_sweep, next_load, next_prom;	/* mono_ms() */
	int ready;		/* READY=1 sent */
	int knobs_changed;	/* a knob write seen in no-map mode */
	struct sightings sightings;
};

/*
 * One turn: a reload asked for, the closes and settlings due, a sweep or
 * the hooks' events, the loads, then the state, the module's report and
 * the metrics when due.
 */
static void turn(struct loop *l, const struct options *o)
{
	long long now = time(NULL);
	int changed, i, sweep;

	sweep = mono_ms() >= l->next_sweep;
	if (got_hup) {
		got_hup = 0;
		notify("RELOADING=1");
		reload(o->conf_dir);
		l->ready = 0;
		sweep = 1;
	}
	for (i = 0; i < nserved; i++)
		if (served[i].closed_due && mono_ms() >= served[i].closed_due)
			forget_closed(&served[i]);
	for (i = 0; i < nserved; i++)
		if (served[i].settle_due && mono_ms() >= served[i].settle_due)
			settle_servers(&served[i]);
	if (sweep) {
		module_loaded = pcbg_module_loaded();
		l->knobs_changed |= follow_module();
		changed = look(&l->sightings, now);
		watch_ports();	/* the namespaces served now */
		keep_counting();
		l->next_sweep = mono_ms() + o->interval_ms;
	} else {
		changed = look_at_events(&l->sightings, now);
	}
	if (sweep || changed || l->knobs_changed || mono_ms() >= l->next_load) {
		/* no group of least-loaded: no wake-up for it */
		l->next_load = sample_loads(sweep || changed || l->knobs_changed) ?
			       mono_ms() + o->load_ms : LLONG_MAX;
	}
	if (changed || now - l->last_state >= STATE_EVERY_S) {
		write_state();
		l->last_state = now;
	}
	if (knobs_fd >= 0 && (changed || l->knobs_changed ||
			      now - l->last_report >= STATE_EVERY_S)) {
		carry_for_module(l->knobs_changed);
		l->last_report = now;
	}
	if (o->prom && mono_ms() >= l->next_prom) {
		write_prometheus(o->prom);
		l->next_prom = mono_ms() + o->prom_s * 1000LL;
	}
	if (!l->ready) {	/* the groups were looked at once */
		notify("READY=1");
		l->ready = 1;
	}
}

/*
 * Until the next sweep; a signal cuts it short, and so do a socket joining
 * or leaving and a knob write in no-map mode.  Then the hooks' events are
 * taken.
 */
static void wait_for_work(struct loop *l)
{
	struct pollfd fds[2] = { { .events = POLLPRI }, { .events = POLLIN } };
	long long wait;
	int i;

	fds[0].fd = knobs_fd;
	fds[1].fd = watch ? bindwatch_fd(watch) : -1;
	wait = l->next_sweep < l->next_load ? l->next_sweep : l->next_load;
	if (l->next_prom < wait)	/* the metrics are due even when nothing moves */
		wait = l->next_prom;
	for (i = 0; i < nserved; i++)
		if (served[i].closed_due && served[i].closed_due < wait)
			wait = served[i].closed_due;
	for (i = 0; i < nserved; i++)
		if (served[i].settle_due && served[i].settle_due < wait)
			wait = served[i].settle_due;
	wait -= mono_ms();
	poll(fds, 2, wait < 0 ? 0 : wait);
	l->knobs_changed = !!(fds[0].revents & POLLPRI);
	/* the module is going away: open its file again once it is back */
	if (knobs_fd >= 0 && (fds[0].revents & (POLLERR | POLLHUP))) {
		close(knobs_fd);
		knobs_fd = -1;
		l->knobs_changed = 0;
	}
	if (fds[1].revents & POLLIN)
		bindwatch_drain(watch, on_sock_event, NULL);
}

/* SIGTERM: the hooks and the state file go; the groups stay attached. */
static void stop(struct loop *l)
{
	bindwatch_close(watch);	/* the hooks go; the groups stay */
	notify("STOPPING=1");
	module_loaded = 0;
	follow_module();	/* closes the knobs file */
	remove_state();
	fprintf(stderr, "pcbgroupd: stopped; the groups stay attached\n");
	free(l->sightings.s);
	while (nserved)
		unserve(nserved - 1);
	free(served);
	free(decls);
}

int main(int argc, char **argv)
{
	struct options o = {
		.conf_dir = PCBGD_CONF_DIR,
		.prom_s = 5,
		.load_ms = PCBG_LOAD_INTERVAL_MS,
	};
	struct loop l = {};
	int rc;

	log_prog = "pcbgroupd";
	rc = read_options(argc, argv, &o);
	if (rc >= 0)
		return rc;
	log_libbpf();	/* libbpf says nothing: log_verbose is 0 */
	if (o.check)
		return check_declarations(o.conf_dir);
	if (start(&o))
		return EXIT_FAIL;
	l.next_prom = o.prom ? 0 : LLONG_MAX;
	while (!got_term) {
		turn(&l, &o);
		wait_for_work(&l);
	}
	stop(&l);
	return EXIT_OK;
}
