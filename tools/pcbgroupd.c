// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd: keep the groups declared in /etc/pcbgroup/NAME.conf attached while
 * their sockets come and go (restarts, crashes, upgrades, more workers).
 *
 * Every interval it lists the namespace's TCP listeners and unconnected UDP
 * sockets with sock_diag (a few netlink dumps, whatever the number of
 * groups) and compares, per declaration, the set of socket inodes on its
 * port with the last one.  Only when that set changed does it look for the
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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <bpf/libbpf.h>

#include "pcbgroupd.h"

#define STATE_EVERY_S	5	/* the state file's "seen" times, refreshed */
#define DIRTY_RETRIES	10	/* looks for sockets not found at first */

static const char usage_text[] =
	"Usage: pcbgroupd [-c DIR] [-i MS] [-p FILE [-P S]] [--check]\n"
	"\n"
	"Keep the groups declared in DIR/*.conf (default " PCBGD_CONF_DIR ") attached\n"
	"as their sockets come and go.  SIGHUP reloads the declarations, SIGTERM\n"
	"stops the daemon and leaves the groups steering.\n"
	"\n"
	"Options:\n"
	"  -c, --config DIR      where the declarations are\n"
	"  -i, --interval MS     how often to look at the sockets (default 500)\n"
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
static int conf_dir_given;	/* -c: a missing directory is an error */

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
	int err = 0, i, config = 0, samples = -1;
	struct pcbg_config cfg;

	for (i = 0; i < d->nr_knobs; i++) {
		if (!strcmp(d->knobs[i].name, "samples"))
			samples = d->knobs[i].value[0] == '1';
		else
			config = 1;
	}
	/* with the module loaded, its sysctls are the config's one writer */
	if (config && !module_loaded) {
		err = pcbg_group_config(grp, &cfg);
		for (i = 0; !err && i < d->nr_knobs; i++)
			if (strcmp(d->knobs[i].name, "samples"))
				err = pcbg_config_set_knob(&cfg, d->knobs[i].name,
							   d->knobs[i].value);
		if (!err)
			err = pcbg_group_set_config(grp, &cfg);
	}
	/* the group's own, whoever writes the config */
	if (!err && samples >= 0)
		err = pcbg_group_set_samples(grp, samples);
	return err;
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
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	int err, i, slot, added = 0, live;

	err = lock_group(d->id, &grp);
	if (err) {
		pr_err(d->name, "group %u: %s", d->id, strerror(-err));
		d->id = 0;	/* removed under us: make it again */
		return;
	}
	for (i = 0; i < n; i++) {
		slot = pcbg_group_add_socket(grp, socks[i].fd, socks[i].cpu, socks[i].pid);
		if (slot == -EEXIST)
			continue;
		if (slot < 0) {
			pr_err(d->name, "group %u: pid %d: socket inode %llu: %s", d->id,
			       socks[i].pid, (unsigned long long)socks[i].desc.inode,
			       strerror(-slot));
			continue;
		}
		/* a fresh SO_REUSEPORT group (a restart) has no program yet */
		err = pcbg_group_attach(grp, socks[i].fd);
		if (err)
			pr_err(d->name, "group %u: attach through pid %d: %s", d->id,
			       socks[i].pid, strerror(-err));
		fprintf(stderr, "pcbgroupd: %s: group %u: slot %d: pid %d socket inode %llu "
			"cpu %d\n", d->name, d->id, slot, socks[i].pid,
			(unsigned long long)socks[i].desc.inode, socks[i].cpu);
		added++;
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
	pcbg_group_free(grp);
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
	int npids, n, i, k, keep = 0, matched = 0;

	for (k = 0; k < v->n; k++)
		matched += decl_matches(d, v->s[k].family, v->s[k].protocol, v->s[k].port,
					v->s[k].addr);
	if (!matched) {
		group_gone(d);
		d->dirty = 0;
		return;
	}
	npids = find_processes(d, pids, ADOPT_MAX_PIDS);
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
	/*
	 * Sockets seen but not found in the declared processes: one still
	 * starting, or another process's.  Look again for a few rounds only.
	 */
	d->dirty = n >= matched ? 0 : d->dirty ? d->dirty - 1 : DIRTY_RETRIES;
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

/* One look at the namespace's sockets; returns 1 if a group changed. */
static int look(struct sightings *v, long long now)
{
	int i, k, changed = 0, want_tcp = 0, want_udp = 0;

	v->n = 0;
	for (i = 0; i < ndecls; i++) {
		want_tcp |= decls[i].protocol == IPPROTO_TCP;
		want_udp |= decls[i].protocol == IPPROTO_UDP;
	}
	if ((want_tcp && diag_dump(IPPROTO_TCP, note_socket, v)) ||
	    (want_udp && diag_dump(IPPROTO_UDP, note_socket, v)))
		return 0;	/* try again at the next look */
	for (i = 0; i < ndecls; i++) {
		struct decl *d = &decls[i];
		__u64 sig = 0;
		int n = 0;

		for (k = 0; k < v->n; k++) {
			if (!decl_matches(d, v->s[k].family, v->s[k].protocol, v->s[k].port,
					  v->s[k].addr))
				continue;
			sig += mix(v->s[k].inode);
			n++;
		}
		if (n)
			d->seen = now;
		if (sig == d->sig && n == d->nr_seen && !d->dirty)
			continue;
		d->sig = sig;
		d->nr_seen = n;
		reconcile(d, v);
		changed = 1;
	}
	return changed;
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
 * The counters into @path, atomically, also where others may write in its
 * directory (node_exporter's textfile directory often is): a new file of
 * our own, filled, then renamed over @path, all relative to the directory
 * opened once.  Nothing found there is followed or written through.
 */
static void write_prometheus(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	int dirfd, fd, saved, err = 0;

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
	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	show_groups(pin_root, 0, 0, SHOW_PROMETHEUS | SHOW_QUIET);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
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

	n = load_declarations(conf_dir, !conf_dir_given, &fresh, &nbad);
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
	long interval_ms = 500, prom_s = 5, v;
	const char *conf_dir = PCBGD_CONF_DIR, *prom = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	long long last_state = 0, last_prom = 0, last_report = 0;
	struct pollfd knobs_poll = { .events = POLLPRI };
	struct sightings sightings = {};
	int check = 0, ready = 0, nbad, opt, err, changed, knobs_changed = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "c:i:p:P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_dir = optarg;
			conf_dir_given = 1;
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
		int n = load_declarations(conf_dir, 0, &d, &nbad);

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
	fprintf(stderr, "pcbgroupd: started, pid %d, looking every %ld ms\n", getpid(),
		interval_ms);

	while (!got_term) {
		long long now = time(NULL);

		if (got_hup) {
			got_hup = 0;
			notify("RELOADING=1");
			reload(conf_dir);
			ready = 0;
		}
		module_loaded = pcbg_module_loaded();
		knobs_changed |= follow_module();
		changed = look(&sightings, now);
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
		/* a signal cuts it short, and a knob write in no-map mode */
		knobs_poll.fd = knobs_fd;
		knobs_changed = poll(&knobs_poll, knobs_fd >= 0, interval_ms) > 0 &&
				(knobs_poll.revents & POLLPRI);
		/* the module is going away: open its file again once it is back */
		if (knobs_fd >= 0 && (knobs_poll.revents & (POLLERR | POLLHUP))) {
			close(knobs_fd);
			knobs_fd = -1;
			knobs_changed = 0;
		}
	}
	notify("STOPPING=1");
	module_loaded = 0;
	follow_module();	/* closes the knobs file */
	managed_remove();
	fprintf(stderr, "pcbgroupd: stopped; the groups stay attached\n");
	free(sightings.s);
	free(decls);
	return EXIT_OK;
}
