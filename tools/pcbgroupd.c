// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd: keep the groups declared in /etc/pcbgroup/NAME.conf attached while
 * their sockets come and go (restarts, crashes, upgrades, more workers).
 *
 * It learns a socket of a declared port the moment it joins or leaves its
 * SO_REUSEPORT group, from cgroup socket hooks (bindwatch.c), and looks at
 * once.  Every interval, as a safety net, it lists the namespace's TCP
 * listeners and unconnected UDP sockets with sock_diag (a few netlink
 * dumps, whatever the number of groups) and compares, per declaration, the
 * set of socket inodes on its port with the last one.  Only when that set
 * changed, or a hook reported one, does it look for the
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <bpf/libbpf.h>

#include "bindwatch.h"
#include "pcbgroupd.h"

#define STATE_EVERY_S	5	/* the state file's "seen" times, refreshed */
#define DIRTY_RETRIES	10	/* looks for sockets not found at first */
/*
 * A member released is taken out of the list this long after: a crashed
 * worker's successor binds a few ms later, and goes into the freed slot in
 * the same publish (one grace period, not two, before the next event).
 * Meanwhile its flows go to the other members (the program's second
 * choice).
 */
#define LEAVE_DELAY_MS	20
/* The sweep's default interval, with the hooks and without them. */
#define SWEEP_MS	5000
#define SWEEP_ALONE_MS	500

static const char usage_text[] =
	"Usage: pcbgroupd [-c DIR] [-i MS] [-p FILE [-P S]] [--check]\n"
	"\n"
	"Keep the groups declared in DIR/*.conf (default " PCBGD_CONF_DIR ") attached\n"
	"as their sockets come and go.  SIGHUP reloads the declarations, SIGTERM\n"
	"stops the daemon and leaves the groups steering.\n"
	"\n"
	"Options:\n"
	"  -c, --config DIR      where the declarations are\n"
	"  -i, --interval MS     how often to look at the sockets besides when one\n"
	"                        joins or leaves (default 5000; 500 without the hooks)\n"
	"  -p, --prometheus FILE write the counters there in the Prometheus text\n"
	"                        format, atomically (node_exporter's textfile collector)\n"
	"  -P, --prometheus-interval S  every S seconds (default 5)\n"
	"      --check           check the declarations and exit (1 if one is bad)\n"
	"  -h, --help            this help\n";

static volatile sig_atomic_t got_hup, got_term;
static char pin_root[PATH_MAX];
static struct decl *decls;
static int ndecls;
static int module_loaded;
static int knobs_fd = -1;	/* /proc/net/pcbgroup/knobs, in no-map mode */
static struct bindwatch *watch;	/* the bind-time hooks, NULL without them */
static __u64 our_netns;		/* the namespace whose sockets we steer */

void pr_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcbgroupd: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
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

	if (v->n == v->cap) {
		struct diag_sock *p;

		v->cap = v->cap ? 2 * v->cap : 256;
		p = realloc(v->s, v->cap * sizeof(*p));
		if (!p)
			return -1;
		v->s = p;
	}
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

static int claim_group_dir(unsigned int *id)
{
	char dir[PATH_MAX];

	for (*id = 1; *id < 65536; (*id)++) {
		group_dir(dir, sizeof(dir), pin_root, *id);
		if (!mkdir(dir, 0700))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -ENOSPC;
}

/*
 * An open pinned group, holding its writer lock (pcbg_group_lock()) against
 * pcbgroupctl's and other writers until pcbg_group_free().
 */
static int lock_group(unsigned int id, struct pcbg_group **grp)
{
	char dir[PATH_MAX];
	int err;

	group_dir(dir, sizeof(dir), pin_root, id);
	err = pcbg_group_open_pinned(grp, dir);
	if (err)
		return err;
	err = pcbg_group_lock(*grp);
	if (err)
		pcbg_group_free(*grp);
	return err;
}

/* The handle kept for @d's group, closed. */
static void drop_group(struct decl *d)
{
	pcbg_group_free(d->grp);
	d->grp = NULL;
}

/*
 * @d's group, locked, through a handle kept open from one event to the
 * next while its pin directory stays the same: a handle that made the last
 * switch of generation publishes without first waiting a grace period for
 * the readers of the one before (pcbg_group_publish()), which takes that
 * wait off the time to steer.  pcbg_group_unlock() when done.
 */
static int lock_kept_group(struct decl *d, struct pcbg_group **grp)
{
	char dir[PATH_MAX];
	struct stat st;
	int err;

	group_dir(dir, sizeof(dir), pin_root, d->id);
	if (stat(dir, &st)) {
		drop_group(d);
		return -errno;
	}
	if (d->grp && d->grp_id == d->id && d->grp_ino == st.st_ino &&
	    !pcbg_group_lock(d->grp)) {
		*grp = d->grp;
		return 0;
	}
	drop_group(d);
	err = lock_group(d->id, grp);
	if (err)
		return err;
	d->grp = *grp;
	d->grp_id = d->id;
	d->grp_ino = st.st_ino;
	return 0;
}

static int group_live(struct pcbg_group *grp, const struct pcbg_group_info *info)
{
	__u32 slot;
	int live = 0;

	for (slot = 0; slot < info->nr_slots && slot < info->capacity; slot++)
		live += pcbg_group_slot_live(grp, slot) == 1;
	return live;
}

/* A pinned group of this namespace on the declared address, if one is. */
static unsigned int find_pinned(const struct decl *d)
{
	unsigned int ids[1024];
	int n = list_groups(pin_root, ids, 1024), i, k;

	for (i = 0; i < n; i++) {
		struct pcbg_group_info info;
		struct pcbg_group *grp;
		char dir[PATH_MAX];
		int match;

		for (k = 0; k < ndecls; k++)
			if (&decls[k] != d && decls[k].id == ids[i])
				break;
		if (k < ndecls)
			continue;	/* another declaration's */
		group_dir(dir, sizeof(dir), pin_root, ids[i]);
		if (pcbg_group_open_pinned(&grp, dir))
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
	struct pcbg_config cfg;
	int err, i;

	/* with the module loaded, its sysctls are the config's one writer */
	if (!d->nr_knobs || module_loaded)
		return 0;
	err = pcbg_group_config(grp, &cfg);
	for (i = 0; !err && i < d->nr_knobs; i++)
		err = pcbg_config_set_knob(&cfg, d->knobs[i].name, d->knobs[i].value);
	return err ? err : pcbg_group_set_config(grp, &cfg);
}

static void create_group(struct decl *d, struct adopted_sock *socks, int n)
{
	struct pcbg_group *grp = NULL;
	char dir[PATH_MAX], local[80];
	unsigned int id = 0;
	int err, i, slot;

	err = pcbg_group_create(&grp, d->capacity);
	if (!err)
		err = apply_knobs(d, grp);
	for (i = 0; !err && i < n; i++) {
		slot = pcbg_group_place_socket(grp, socks[i].fd, socks[i].cpu, socks[i].pid);
		err = slot < 0 ? slot : 0;
	}
	if (!err)
		err = pcbg_group_publish(grp);
	if (err) {
		pr_err(d->name, "make its group: %s", strerror(-err));
		goto out;
	}
	if (netns_make_pin_root(d->name, pin_root))
		goto out;
	err = claim_group_dir(&id);
	group_dir(dir, sizeof(dir), pin_root, id);
	if (!err) {
		err = pcbg_group_pin(grp, dir);
		if (err)
			rmdir(dir);
	}
	if (!err && module_loaded) {
		err = pcbg_group_register(grp, id);
		err = err < 0 ? err : 0;
		if (err)
			pcbg_unpin(dir);
	}
	if (!err) {
		err = pcbg_group_attach(grp, socks[0].fd);
		if (err)
			pcbg_unpin(dir);
	}
	if (err) {
		pr_err(d->name, "pin and attach its group: %s", strerror(-err));
		goto out;
	}
	d->id = id;
	d->waiting = 0;
	format_local(local, sizeof(local), socks[0].desc.family, socks[0].desc.addr,
		     socks[0].desc.port);
	fprintf(stderr, "pcbgroupd: %s: group %u: %s %s, %d sockets\n", d->name, id,
		proto_name(d->protocol), local, n);
out:
	pcbg_group_free(grp);
}

/* New sockets into free slots; members republished if one closed. */
static void update_group(struct decl *d, struct adopted_sock *socks, int n)
{
	int err, i, slot, added = 0, live, *placed = calloc(n, sizeof(*placed));
	struct pcbg_group_info info;
	struct pcbg_group *grp;

	err = lock_kept_group(d, &grp);
	if (err) {
		pr_err(d->name, "group %u: %s", d->id, strerror(-err));
		d->id = 0;	/* removed under us: make it again */
		free(placed);
		return;
	}
	/* every new socket placed, then one publish: one grace period for all */
	for (i = 0; placed && i < n; i++) {
		slot = pcbg_group_place_socket(grp, socks[i].fd, socks[i].cpu, socks[i].pid);
		placed[i] = -1;
		if (slot == -EEXIST)
			continue;
		if (slot < 0) {
			pr_err(d->name, "group %u: pid %d: socket inode %llu: %s", d->id,
			       socks[i].pid, (unsigned long long)socks[i].desc.inode,
			       strerror(-slot));
			continue;
		}
		placed[i] = slot;
		added++;
	}
	err = added ? pcbg_group_publish(grp) : 0;
	if (err)
		pr_err(d->name, "group %u: publish: %s", d->id, strerror(-err));
	for (i = 0; !err && i < n; i++) {
		int attached;

		if (placed[i] < 0)
			continue;
		/* a fresh SO_REUSEPORT group (a restart) has no program yet */
		attached = pcbg_group_attach(grp, socks[i].fd);
		if (attached)
			pr_err(d->name, "group %u: attach through pid %d: %s", d->id,
			       socks[i].pid, strerror(-attached));
		fprintf(stderr, "pcbgroupd: %s: group %u: slot %d: pid %d socket inode %llu "
			"cpu %d\n", d->name, d->id, placed[i], socks[i].pid,
			(unsigned long long)socks[i].desc.inode, socks[i].cpu);
	}
	err = pcbg_group_info(grp, &info);
	live = err ? 0 : group_live(grp, &info);
	/* a member closed: out of the list before its slot is taken again */
	if (!err && !added && (__u32)live != info.nr_members[info.gen & 1]) {
		err = pcbg_group_publish(grp);
		if (!err)
			fprintf(stderr, "pcbgroupd: %s: group %u: %d sockets left\n", d->name,
				d->id, live);
	}
	if (err)
		pr_err(d->name, "group %u: %s", d->id, strerror(-err));
	if (live && d->waiting)
		fprintf(stderr, "pcbgroupd: %s: group %u: live again\n", d->name, d->id);
	d->waiting = 0;
	pcbg_group_unlock(grp);
	free(placed);
}

/* Every socket gone: the group waits for them, or goes. */
static void group_gone(struct decl *d)
{
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	char dir[PATH_MAX];
	int err;

	if (!d->id || d->waiting)
		return;
	drop_group(d);
	err = lock_group(d->id, &grp);
	if (err) {
		d->id = 0;
		return;
	}
	err = pcbg_group_info(grp, &info);
	if (!err && group_live(grp, &info)) {	/* not gone after all */
		pcbg_group_free(grp);
		return;
	}
	if (d->keep_waiting) {
		if (!err && info.nr_members[info.gen & 1])
			pcbg_group_publish(grp);
		pcbg_group_free(grp);
		d->waiting = 1;
		fprintf(stderr, "pcbgroupd: %s: group %u: no socket left: waiting\n", d->name,
			d->id);
		return;
	}
	err = pcbg_group_remove_sockets(grp);
	group_dir(dir, sizeof(dir), pin_root, d->id);
	if (!err)
		err = pcbg_unpin(dir);
	pcbg_group_free(grp);	/* and the lock, once the pins are gone */
	if (err)
		pr_err(d->name, "group %u: remove: %s", d->id, strerror(-err));
	else
		fprintf(stderr, "pcbgroupd: %s: group %u: no socket left: removed\n", d->name,
			d->id);
	d->id = 0;
}

/* When process @pid started, in clock ticks since boot (0 if unknown). */
static unsigned long long start_time(pid_t pid)
{
	unsigned long long t = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
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

static int by_creation(const void *a, const void *b)
{
	const struct adopted_sock *x = a, *y = b;
	unsigned long long tx = start_time(x->pid), ty = start_time(y->pid);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->target_fd - y->target_fd;
}

/* Take the declared processes' sockets of @d that the namespace has now. */
static void reconcile(struct decl *d, const struct sightings *v)
{
	pid_t pids[ADOPT_MAX_PIDS];
	struct adopted_sock *socks = NULL;
	int npids, n, i, k, keep = 0, matched = 0, only_binder = 0;

	for (k = 0; k < v->n; k++)
		matched += decl_matches(d, v->s[k].family, v->s[k].protocol, v->s[k].port,
					v->s[k].addr);
	if (!matched) {
		group_gone(d);
		d->dirty = 0;
		return;
	}
	npids = find_processes(d, pids, ADOPT_MAX_PIDS);
	/*
	 * A socket just bound by one of them: its sockets only, not every
	 * declared process's (the others' are in the group already).
	 */
	for (i = 0; d->event_pid > 0 && i < npids; i++) {
		if (pids[i] == d->event_pid) {
			pids[0] = pids[i];
			npids = 1;
			only_binder = 1;
			break;
		}
	}
	n = npids ? adopt_sockets_flags(d->name, pids, npids, d->port, d->protocol,
					ADOPT_ANY, &socks) : 0;
	if (n < 0)
		n = 0;
	/* the declared address, else the one of the group or first socket */
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
	 */
	if (!only_binder)
		d->dirty = n >= matched ? 0 : d->dirty ? d->dirty - 1 : DIRTY_RETRIES;
	else
		d->sig = 0;	/* and the next sweep looks at every declared process */
	if (!n) {
		release_sockets(socks, 0);
		return;
	}
	find_servers(socks, n, pids, npids);
	/*
	 * Into the slots in the order the workers were made (their process's
	 * start, then their fd), not by inode number, which sockfs hands out
	 * in per-CPU batches: a whole service restarted then comes back in the
	 * slots it had, and maglev gives each worker its flows back.
	 */
	qsort(socks, n, sizeof(*socks), by_creation);
	if (!d->id)
		d->id = find_pinned(d);
	if (d->id)
		update_group(d, socks, n);
	if (!d->id)
		create_group(d, socks, n);
	release_sockets(socks, n);
}

/*
 * One look at the namespace's sockets, for every declaration (@all) or for
 * those an event marked; returns 1 if a group changed.
 */
static int look(struct sightings *v, long long now, int all)
{
	int i, k, changed = 0, want_tcp = 0, want_udp = 0;

	v->n = 0;
	for (i = 0; i < ndecls; i++) {
		if (!all && !decls[i].event)
			continue;
		want_tcp |= decls[i].protocol == IPPROTO_TCP;
		want_udp |= decls[i].protocol == IPPROTO_UDP;
	}
	if (!want_tcp && !want_udp)
		return 0;
	if ((want_tcp && diag_dump(IPPROTO_TCP, note_socket, v)) ||
	    (want_udp && diag_dump(IPPROTO_UDP, note_socket, v)))
		return 0;	/* try again at the next look */
	for (i = 0; i < ndecls; i++) {
		struct decl *d = &decls[i];
		int event = d->event;
		__u64 sig = 0;
		int n = 0;

		if (!all && !event)
			continue;
		d->event = 0;
		for (k = 0; k < v->n; k++) {
			if (!decl_matches(d, v->s[k].family, v->s[k].protocol, v->s[k].port,
					  v->s[k].addr))
				continue;
			sig += mix(v->s[k].inode);
			n++;
		}
		if (n)
			d->seen = now;
		if (sig == d->sig && n == d->nr_seen && !d->dirty && !event)
			continue;
		d->sig = sig;
		d->nr_seen = n;
		reconcile(d, v);
		d->event_pid = 0;
		changed = 1;
	}
	return changed;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Members released (their last descriptor closed) out of the member list:
 * one publish for all, or a planned leave for one the kernel still holds.
 * A slot already holding another socket (a respawned worker's, published
 * meanwhile) is left alone.
 */
static void forget_closed(struct decl *d)
{
	int err = 0, dead = 0, empty, k;
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	struct pcbg_slot s;
	__u32 slot;

	if (!d->id || lock_kept_group(d, &grp))
		goto out;
	for (slot = 0; !err && !pcbg_group_info(grp, &info) && slot < info.nr_slots &&
	     slot < info.capacity; slot++) {
		if (pcbg_group_slot(grp, slot, &s) || !(s.flags & PCBG_SLOT_USED))
			continue;
		for (k = 0; k < d->nr_closed && d->closed[k] != s.cookie; k++)
			;
		if (k == d->nr_closed)
			continue;
		if (pcbg_group_slot_live(grp, slot) == 1)
			err = pcbg_group_remove_socket(grp, slot);
		else
			dead++;
		fprintf(stderr, "pcbgroupd: %s: group %u: slot %u: socket closed\n", d->name,
			d->id, slot);
	}
	if (!err && dead)
		err = pcbg_group_publish(grp);
	if (err)
		pr_err(d->name, "group %u: %s", d->id, strerror(-err));
	empty = !pcbg_group_info(grp, &info) && !group_live(grp, &info);
	pcbg_group_unlock(grp);
	if (empty)
		group_gone(d);	/* they were the last */
out:
	d->nr_closed = 0;
	d->closed_due = 0;
}

static void on_sock_event(const struct pcbg_sock_event *e, void *arg)
{
	int i;

	(void)arg;
	if (e->netns_cookie != our_netns)
		return;
	for (i = 0; i < ndecls; i++) {
		struct decl *d = &decls[i];

		if (d->port != e->port || d->protocol != e->protocol)
			continue;
		if (e->kind == PCBG_SOCK_LEFT) {
			if (d->nr_closed < (int)ARRAY_SIZE(d->closed))
				d->closed[d->nr_closed++] = e->sock_cookie;
			if (!d->closed_due)
				d->closed_due = mono_ms() + LEAVE_DELAY_MS;
			continue;
		}
		if (!d->event_pid)
			d->event_pid = e->tgid ? (pid_t)e->tgid : -1;
		else if (d->event_pid != (pid_t)e->tgid)
			d->event_pid = -1;	/* several: look at them all */
		d->event = 1;	/* a look now */
	}
}

/* The hooks report the declared ports of this namespace, and only those. */
static void watch_ports(void)
{
	struct pcbg_watch_key *keys;
	int i, err;

	if (!watch)
		return;
	keys = calloc(ndecls ? ndecls : 1, sizeof(*keys));
	if (!keys)
		return;
	for (i = 0; i < ndecls; i++) {
		keys[i].netns_cookie = our_netns;
		keys[i].port = decls[i].port;
		keys[i].protocol = decls[i].protocol;
	}
	err = bindwatch_set_ports(watch, keys, ndecls);
	if (err)
		pr_err("bindwatch", "declared ports: %s", strerror(-err));
	free(keys);
}

/* The hooks, if this kernel and our privileges allow; else the sweep alone. */
static void start_watch(void)
{
	int err = netns_cookie(&our_netns);

	if (!err)
		err = bindwatch_open(&watch, NULL);
	if (err) {
		pr_err("bindwatch", "sockets not learned at bind time, only every interval: %s",
		       strerror(-err));
		watch = NULL;
	}
}

static void write_state(void)
{
	struct managed_group *m = calloc(ndecls ? ndecls : 1, sizeof(*m));
	int i, n = 0, err;

	if (!m)
		return;
	for (i = 0; i < ndecls; i++) {
		if (!decls[i].id)
			continue;
		m[n].id = decls[i].id;
		snprintf(m[n].name, sizeof(m[n].name), "%s", decls[i].name);
		m[n].seen = decls[i].seen;
		m[n].waiting = decls[i].waiting;
		n++;
	}
	err = managed_write(m, n);
	if (err)
		pr_err("state", "%s: %s", PCBGD_RUN_DIR, strerror(-err));
	free(m);
}

/* The counters into @path, atomically: written aside, renamed over. */
static void write_prometheus(const char *path)
{
	char tmp[PATH_MAX + 8];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_err("prometheus", "%s: %s", tmp, strerror(errno));
		return;
	}
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	show_groups(pin_root, 0, 0, SHOW_PROMETHEUS | SHOW_QUIET);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	if (fsync(fd) || close(fd) || rename(tmp, path)) {
		pr_err("prometheus", "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
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

		if (lock_group(ids[i], &grp))
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

/* New declarations; what the old ones knew of the same groups carries over. */
static int reload(const char *conf_dir)
{
	struct decl *fresh;
	int n, i, k, nbad;

	n = load_declarations(conf_dir, &fresh, &nbad);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < ndecls; k++) {
			struct decl *o = &decls[k];

			if (strcmp(o->name, fresh[i].name) || o->port != fresh[i].port ||
			    o->protocol != fresh[i].protocol || o->family != fresh[i].family ||
			    memcmp(o->addr, fresh[i].addr, 16))
				continue;
			fresh[i].id = o->id;
			fresh[i].seen = o->seen;
			fresh[i].waiting = o->waiting;
		}
		fresh[i].dirty = 1;	/* look again, with the new finder */
		if (fresh[i].id) {
			struct pcbg_group *grp;

			if (!lock_group(fresh[i].id, &grp)) {
				int err = apply_knobs(&fresh[i], grp);

				if (err)
					pr_err(fresh[i].name, "group %u: knobs: %s", fresh[i].id,
					       strerror(-err));
				pcbg_group_free(grp);
			}
		}
	}
	for (k = 0; k < ndecls; k++) {
		for (i = 0; i < n && strcmp(decls[k].name, fresh[i].name); i++)
			;
		if (i == n && decls[k].id)
			fprintf(stderr, "pcbgroupd: %s: declaration gone: group %u left as it is\n",
				decls[k].name, decls[k].id);
	}
	for (k = 0; k < ndecls; k++)
		drop_group(&decls[k]);
	free(decls);
	decls = fresh;
	ndecls = n;
	fprintf(stderr, "pcbgroupd: %d declarations from %s%s\n", n, conf_dir,
		nbad ? ", some refused (above)" : "");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "prometheus-interval", required_argument, NULL, 'P' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	long interval_ms = 0, prom_s = 5, v;	/* 0: by whether the hooks work */
	const char *conf_dir = PCBGD_CONF_DIR, *prom = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	long long last_state = 0, last_prom = 0, last_report = 0, next_sweep = 0, wait;
	struct pollfd fds[2] = { { .events = POLLPRI }, { .events = POLLIN } };
	struct sightings sightings = {};
	int check = 0, ready = 0, nbad, opt, err, changed, knobs_changed = 0, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "c:i:p:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_dir = optarg;
			break;
		case 'i':
		case 'P':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > 3600000) {
				pr_err(opt == 'i' ? "--interval" : "--prometheus-interval",
				       "'%s': not a number (1-3600000)", optarg);
				return EXIT_USAGE;
			}
			if (opt == 'i')
				interval_ms = v;
			else
				prom_s = v;
			break;
		case 'p':
			prom = optarg;
			break;
		case 'C':
			check = 1;
			break;
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
	libbpf_set_print(quiet_libbpf);
	if (check) {
		struct decl *d;
		int n = load_declarations(conf_dir, &d, &nbad);

		free(d);
		if (n < 0)
			return EXIT_FAIL;
		printf("%d good, %d bad declarations in %s\n", n, nbad, conf_dir);
		return nbad ? EXIT_FAIL : EXIT_OK;
	}
	err = netns_pin_root(pin_root, sizeof(pin_root));
	if (err) {
		pr_err("start", "this network namespace's cookie: %s", strerror(-err));
		return EXIT_FAIL;
	}
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (reload(conf_dir))
		return EXIT_FAIL;
	start_watch();
	watch_ports();
	/* with the hooks the sweep is a safety net only */
	if (!interval_ms)
		interval_ms = watch ? SWEEP_MS : SWEEP_ALONE_MS;
	fprintf(stderr, "pcbgroupd: started, pid %d, looking every %ld ms%s\n", getpid(),
		interval_ms, watch ? " and at every bind, listen and close" : "");

	while (!got_term) {
		long long now = time(NULL);
		int sweep = mono_ms() >= next_sweep;

		if (got_hup) {
			got_hup = 0;
			notify("RELOADING=1");
			reload(conf_dir);
			watch_ports();
			ready = 0;
			sweep = 1;
		}
		if (sweep) {
			module_loaded = pcbg_module_loaded();
			knobs_changed |= follow_module();
			next_sweep = mono_ms() + interval_ms;
		}
		for (i = 0; i < ndecls; i++)
			if (decls[i].closed_due && mono_ms() >= decls[i].closed_due)
				forget_closed(&decls[i]);
		changed = look(&sightings, now, sweep);
		if (changed || now - last_state >= STATE_EVERY_S) {
			write_state();
			last_state = now;
		}
		if (knobs_fd >= 0 && (changed || knobs_changed ||
				      now - last_report >= STATE_EVERY_S)) {
			carry_for_module(knobs_changed);
			last_report = now;
		}
		if (prom && now - last_prom >= prom_s) {
			write_prometheus(prom);
			last_prom = now;
		}
		if (!ready) {	/* the groups were looked at once */
			notify("READY=1");
			ready = 1;
		}
		/*
		 * Until the next sweep; a signal cuts it short, and so do a
		 * socket joining or leaving and a knob write in no-map mode.
		 */
		fds[0].fd = knobs_fd;
		fds[1].fd = watch ? bindwatch_fd(watch) : -1;
		fds[0].revents = 0;
		fds[1].revents = 0;
		wait = next_sweep;
		for (i = 0; i < ndecls; i++)
			if (decls[i].closed_due && decls[i].closed_due < wait)
				wait = decls[i].closed_due;
		wait -= mono_ms();
		poll(fds, 2, wait < 0 ? 0 : wait);
		knobs_changed = !!(fds[0].revents & POLLPRI);
		if (fds[1].revents & POLLIN)
			bindwatch_drain(watch, on_sock_event, NULL);
	}
	bindwatch_close(watch);	/* the hooks go; the groups stay */
	notify("STOPPING=1");
	module_loaded = 0;
	follow_module();	/* closes the knobs file */
	managed_remove();
	fprintf(stderr, "pcbgroupd: stopped; the groups stay attached\n");
	for (i = 0; i < ndecls; i++)
		drop_group(&decls[i]);
	free(sightings.s);
	free(decls);
	return EXIT_OK;
}
