// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl show: the pinned groups as the /proc/net/pcbgroup tables (same
 * column names), or as JSON with every counter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "state.h"
#include "tools.h"

const char *proto_name(int protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "?";
}

void format_local(char *buf, size_t size, int family, const __u8 *addr,
		  __u16 port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
}

struct group_view {
	unsigned int id;
	struct pcbg_group *grp;
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	__u64 stats[PCBG_STAT_NR];
	__u32 live;
	__u64 *live_inodes;	/* of the @live sockets */
	__u32 unsteered;	/* sockets on its address not in it */
	__u64 netns;		/* its namespace's cookie */
	struct managed_group managed;	/* by a running pcbgroupd: id not 0 */
	struct flow_view flows;
	char labels[640];	/* its Prometheus labels (prom_labels()) */
};

/* live: a socket in it; waiting: none, kept by pcbgroupd; dead: none */
static const char *group_state(const struct group_view *v)
{
	if (v->live)
		return "live";
	return v->managed.id && v->managed.waiting ? "waiting" : "dead";
}

static int load_view(const char *root, unsigned int id, struct group_view *v)
{
	__u32 i;
	int err;

	memset(v, 0, sizeof(*v));
	v->id = id;
	err = open_pinned_group(root, id, 0, &v->grp);
	if (!err)
		err = pcbg_group_info(v->grp, &v->info);
	if (!err)
		err = pcbg_group_config(v->grp, &v->cfg);
	if (!err)
		err = pcbg_group_stats(v->grp, v->stats);
	if (!err && v->info.nr_slots > v->info.capacity)
		err = -EUCLEAN;
	if (!err) {
		v->live_inodes = calloc(v->info.nr_slots + 1, sizeof(__u64));
		if (!v->live_inodes)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < v->info.nr_slots; i++) {
		struct pcbg_slot s;

		if (pcbg_group_slot_live(v->grp, i) != 1)
			continue;
		if (!pcbg_group_slot(v->grp, i, &s))
			v->live_inodes[v->live] = s.inode;
		v->live++;
	}
	if (err) {
		free(v->live_inodes);
		v->live_inodes = NULL;
		pr_err("show", "group %u: %s", id,
		       err == -ENOENT ? "no such group" : pcbg_strerror(err));
		pcbg_group_free(v->grp);
		v->grp = NULL;
	}
	return err;
}

/* The socket's inode if the slot holds it now, else 0 (as the module does). */
static __u64 slot_inode(const struct group_view *v, __u32 slot, struct pcbg_slot *s)
{
	if (pcbg_group_slot(v->grp, slot, s))
		memset(s, 0, sizeof(*s));
	return pcbg_group_slot_live(v->grp, slot) == 1 ? s->inode : 0;
}

/* What a table row says of a slot, in text and JSON alike. */
struct slot_row {
	struct pcbg_slot s;
	__u64 inode;		/* slot_inode() */
	__u64 selected;
	struct pcbg_slot_load load;
};

static void read_slot_row(const struct group_view *v, __u32 slot, struct slot_row *r)
{
	memset(r, 0, sizeof(*r));
	r->inode = slot_inode(v, slot, &r->s);
	pcbg_group_slot_selected(v->grp, slot, &r->selected);
	pcbg_group_slot_load(v->grp, slot, &r->load);
}

/* The weight of the socket in a slot, 0 without one, as the module shows it. */
static __u32 shown_weight(__u64 inode, const struct pcbg_slot *s)
{
	return inode ? pcbg_slot_weight(s) : 0;
}

/* "0,3,5" or "-": the slots in CPU @cpu's table */
static void format_cpu_slots(char *buf, size_t size, const struct group_view *v, int cpu)
{
	__u32 slots[64];
	int n = pcbg_group_cpu_table(v->grp, cpu, slots, 64), i, len = 0;

	snprintf(buf, size, "-");
	for (i = 0; i < n && i < 64 && (size_t)len < size - 12; i++)
		len += snprintf(buf + len, size - len, "%s%u", i ? "," : "", slots[i]);
	if (n > 64)
		snprintf(buf + len, size - len, ",...");
}

/* The rows of /proc/net/pcbgroup/cpus: one per (CPU, group). */
static void print_cpus(struct group_view *views, int n)
{
	char slots[512];	/* 64 slots of 5 digits and ",..." */
	int i, cpu;

	printf("\n%-4s %-5s %-16s %12s %12s %12s\n", "cpu", "group", "slots", "local",
	       "misses", "selected");
	for (i = 0; i < n; i++) {
		for (cpu = 0; cpu < pcbg_group_nr_cpus(views[i].grp); cpu++) {
			__u64 st[PCBG_STAT_NR];

			if (pcbg_group_cpu_stats(views[i].grp, cpu, st))
				continue;
			format_cpu_slots(slots, sizeof(slots), &views[i], cpu);
			printf("%-4d %-5u %-16s %12llu %12llu %12llu\n", cpu, views[i].id, slots,
			       (unsigned long long)st[PCBG_STAT_CPU_LOCAL],
			       (unsigned long long)st[PCBG_STAT_CPU_MISS],
			       (unsigned long long)st[PCBG_STAT_SELECTED]);
		}
	}
}

/* Live flows of each slot (flow_table), or NULL; the caller frees it. */
static __u32 *live_flows(const struct group_view *v)
{
	__u32 *live = calloc(v->info.nr_slots + 1, sizeof(*live));

	if (live && pcbg_group_flows(v->grp, live, v->info.nr_slots) < 0) {
		free(live);
		return NULL;
	}
	return live;
}

static void print_text(struct group_view *views, int n, int what)
{
	char local[80];
	int i, k;
	__u32 slot;

	printf("%-4s %-5s %-24s %7s %-14s %8s %12s %12s %9s %-7s %s\n", "id", "proto",
	       "local", "sockets", "algorithm", "cpu_bits", "selected", "fallbacks",
	       "unsteered", "state", "daemon");
	for (i = 0; i < n; i++) {
		struct group_view *v = &views[i];
		char daemon[PCBGD_NAME_MAX + 300] = "-";

		if (v->managed.id)
			snprintf(daemon, sizeof(daemon), "%s%s%s,seen %llds ago", v->managed.name,
				 v->managed.cgroup[0] ? ",cgroup " : "", v->managed.cgroup,
				 (long long)time(NULL) - v->managed.seen);
		format_local(local, sizeof(local), v->info.family, v->info.addr,
			     v->info.port);
		printf("%-4u %-5s %-24s %7u %-14s %8u %12llu %12llu %9u %-7s %s\n", v->id,
		       proto_name(v->info.protocol), local, v->live,
		       pcbg_algorithm_name(v->cfg.algorithm) ?: "?", v->cfg.cpu_bits,
		       (unsigned long long)v->stats[PCBG_STAT_SELECTED],
		       (unsigned long long)pcbg_fallbacks(v->stats), v->unsteered, group_state(v),
		       daemon);
	}
	for (i = 0; i < n; i++)
		if (views[i].info.quic_cid_len)
			printf("group %u: QUIC connection IDs of %u octets name the slot\n",
			       views[i].id, views[i].info.quic_cid_len);
	printf("\n%-5s %5s %10s %4s %12s %6s %8s %8s %8s %s\n", "group", "slot", "inode",
	       "cpu", "selected", "weight", "flows", "queue", "conns", "state");
	for (i = 0; i < n; i++) {
		struct group_view *v = &views[i];
		__u32 *live = live_flows(v);

		for (slot = 0; slot < v->info.nr_slots; slot++) {
			struct slot_row r;

			read_slot_row(v, slot, &r);
			printf("%-5u %5u %10llu %4d %12llu %6u %8u %8u %8u %s\n", v->id, slot,
			       (unsigned long long)r.inode, r.s.cpu, (unsigned long long)r.selected,
			       shown_weight(r.inode, &r.s), live ? live[slot] : 0, r.load.queue,
			       r.load.conns, !r.inode ? "empty" :
			       r.s.flags & PCBG_SLOT_DRAINING ? "draining" : "live");
		}
		free(live);
	}
	for (i = 0, k = 0; i < n; i++)
		if (views[i].flows.ok)
			flow_view_text(views[i].id, &views[i].flows, views[i].stats, !k++);
	printf("\n%-5s %-16s %12s\n", "group", "counter", "value");
	for (i = 0; i < n; i++) {
		__u32 st;

		for (st = 0; st < PCBG_STAT_NR; st++)
			printf("%-5u %-16s %12llu\n", views[i].id, pcbg_stat_name(st),
			       (unsigned long long)views[i].stats[st]);
	}
	if (what & SHOW_CPUS)
		print_cpus(views, n);
	if (!(what & SHOW_SAMPLES))
		return;
	printf("\n%-5s %4s %6s %10s %5s %8s %-14s %8s %5s %5s\n", "group", "cpu", "seq",
	       "hash", "slot", "nr_slots", "algorithm", "cpu_bits", "sport", "dport");
	for (i = 0; i < n; i++) {
		struct pcbg_sample buf[1024];
		int k, ns = pcbg_group_samples(views[i].grp, buf, 1024);

		for (k = 0; k < ns; k++)
			printf("%-5u %4u %6u %10u %5u %8u %-14s %8u %5u %5u\n", views[i].id,
			       buf[k].cpu, buf[k].seq, buf[k].hash, buf[k].slot,
			       buf[k].nr_slots, pcbg_algorithm_name(buf[k].algorithm) ?: "?",
			       buf[k].cpu_bits, buf[k].sport, buf[k].dport);
	}
}

static void print_json_cpu(const struct group_view *v, int cpu)
{
	static __u32 slots[PCBG_SLOTS_LIMIT];
	__u64 st[PCBG_STAT_NR] = {};
	int k, ns = pcbg_group_cpu_table(v->grp, cpu, slots, PCBG_SLOTS_LIMIT);

	pcbg_group_cpu_stats(v->grp, cpu, st);
	printf("%s{\"cpu\":%d,\"slots\":[", cpu ? "," : "", cpu);
	for (k = 0; k < ns && k < PCBG_SLOTS_LIMIT; k++)
		printf("%s%u", k ? "," : "", slots[k]);
	printf("],\"local\":%llu,\"misses\":%llu,\"selected\":%llu}",
	       (unsigned long long)st[PCBG_STAT_CPU_LOCAL],
	       (unsigned long long)st[PCBG_STAT_CPU_MISS],
	       (unsigned long long)st[PCBG_STAT_SELECTED]);
}

static void print_json(struct group_view *views, int n)
{
	char local[80], addr[INET6_ADDRSTRLEN];
	__u32 slot, st, *live;
	int i, cpu;

	printf("{\"groups\":[");
	for (i = 0; i < n; i++) {
		struct group_view *v = &views[i];

		format_local(local, sizeof(local), v->info.family, v->info.addr,
			     v->info.port);
		inet_ntop(v->info.family, v->info.addr, addr, sizeof(addr));
		printf("%s{\"id\":%u,\"proto\":\"%s\",\"family\":\"%s\","
		       "\"addr\":\"%s\",\"port\":%u,\"local\":\"%s\",\"slots\":%u,"
		       "\"sockets\":%u,\"members\":%u,\"capacity\":%u,\"maglev_size\":%u,"
		       "\"unsteered\":%u,\"state\":\"%s\",\"netns\":%llu,",
		       i ? "," : "", v->id, proto_name(v->info.protocol),
		       v->info.family == AF_INET6 ? "inet6" : "inet", addr, v->info.port,
		       local, v->info.nr_slots, v->live, v->info.nr_members[v->info.gen & 1],
		       v->info.capacity, v->info.maglev_size[v->info.gen & 1], v->unsteered,
		       group_state(v), (unsigned long long)v->netns);
		if (v->managed.id)
			printf("\"daemon\":{\"name\":\"%s\",\"last_seen\":%lld,"
			       "\"cgroup\":\"%s\"},",
			       v->managed.name, v->managed.seen, v->managed.cgroup);
		else
			printf("\"daemon\":null,");
		printf("\"config\":{\"tcp_reuseport_ext\":%u,\"udp_reuseport_ext\":%u,"
		       "\"algorithm\":\"%s\",\"cpu_bits\":%u,\"max_group_size\":%u,"
		       "\"stats\":%u,\"hash_fields\":\"%s\",\"migrate\":%u,\"samples\":%u,"
		       "\"flow_table\":%u,\"flow_timeout\":%u},",
		       v->cfg.tcp_reuseport_ext, v->cfg.udp_reuseport_ext,
		       pcbg_algorithm_name(v->cfg.algorithm) ?: "?", v->cfg.cpu_bits,
		       v->cfg.max_group_size, v->cfg.stats,
		       pcbg_hash_fields_name(v->cfg.hash_fields) ?: "?", v->cfg.migrate,
		       v->info.samples, v->cfg.flow_table, v->cfg.flow_timeout);
		flow_view_json(&v->flows, &v->cfg, v->stats);
		printf("\"quic_cid_len\":%u,", v->info.quic_cid_len);
		printf("\"counters\":{");
		for (st = 0; st < PCBG_STAT_NR; st++)
			printf("%s\"%s\":%llu", st ? "," : "", pcbg_stat_name(st),
			       (unsigned long long)v->stats[st]);
		printf("},\"fallbacks\":%llu,\"table\":[",
		       (unsigned long long)pcbg_fallbacks(v->stats));
		live = live_flows(v);
		for (slot = 0; slot < v->info.nr_slots; slot++) {
			struct slot_row r;

			read_slot_row(v, slot, &r);
			printf("%s{\"slot\":%u,\"inode\":%llu,\"cookie\":%llu,\"cpu\":%d,"
			       "\"pid\":%u,\"live\":%s,\"draining\":%s,\"selected\":%llu,"
			       "\"flows\":%u,\"weight\":%u,\"queue\":%u,\"queue_sampled_ns\":%llu,"
			       "\"conns\":%u}",
			       slot ? "," : "", slot, (unsigned long long)r.inode,
			       (unsigned long long)r.s.cookie, r.s.cpu, r.s.pid,
			       r.inode ? "true" : "false",
			       r.s.flags & PCBG_SLOT_DRAINING ? "true" : "false",
			       (unsigned long long)r.selected, live ? live[slot] : 0,
			       shown_weight(r.inode, &r.s), r.load.queue,
			       (unsigned long long)r.load.sampled_ns, r.load.conns);
		}
		free(live);
		printf("],\"cpus\":[");
		for (cpu = 0; cpu < pcbg_group_nr_cpus(v->grp); cpu++)
			print_json_cpu(v, cpu);
		printf("]}");
	}
	printf("]}\n");
}

/*
 * The Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector or a scrape: one HELP and TYPE per
 * metric, then its samples.
 */
static void prom_labels(char *buf, size_t size, const struct group_view *v)
{
	char local[80];
	int n;

	format_local(local, sizeof(local), v->info.family, v->info.addr, v->info.port);
	n = snprintf(buf, size, "group=\"%u\",proto=\"%s\",port=\"%u\",local=\"%s\","
		     "netns=\"%llu\"", v->id, proto_name(v->info.protocol), v->info.port, local,
		     (unsigned long long)v->netns);
	if (v->managed.cgroup[0] && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - n, ",cgroup=\"%s\"", v->managed.cgroup);
}

/* Gauge @name per slot of the least-loaded groups: the queue, or (TCP) @conns. */
static void prom_slot_loads(struct group_view *views, int n, const char *name, int conns)
{
	struct pcbg_slot_load load;
	__u32 slot;
	int i;

	for (i = 0; i < n; i++) {
		if (views[i].cfg.algorithm != PCBG_ALGO_LEAST_LOADED ||
		    (conns && views[i].info.protocol != IPPROTO_TCP))
			continue;
		for (slot = 0; slot < views[i].info.nr_slots; slot++) {
			memset(&load, 0, sizeof(load));
			pcbg_group_slot_load(views[i].grp, slot, &load);
			printf("%s{%s,slot=\"%u\"} %u\n", name, views[i].labels, slot,
			       conns ? load.conns : load.queue);
		}
	}
}

static void prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void print_prometheus(struct group_view *views, int n)
{
	__u32 slot, st;
	int i;

	for (i = 0; i < n; i++)
		prom_labels(views[i].labels, sizeof(views[i].labels), &views[i]);
	prom_head("pcbgroup_selected_total", "counter",
		  "New flows the program sent to each slot, whichever socket held it.");
	for (i = 0; i < n; i++) {
		for (slot = 0; slot < views[i].info.nr_slots; slot++) {
			__u64 sel = 0;

			pcbg_group_slot_selected(views[i].grp, slot, &sel);
			printf("pcbgroup_selected_total{%s,slot=\"%u\"} %llu\n", views[i].labels,
			       slot, (unsigned long long)sel);
		}
	}
	prom_head("pcbgroup_weight", "gauge",
		  "Weight of the socket in each slot: its share of new flows is its weight over the sum.");
	for (i = 0; i < n; i++) {
		for (slot = 0; slot < views[i].info.nr_slots; slot++) {
			struct pcbg_slot s;

			if (slot_inode(&views[i], slot, &s))
				printf("pcbgroup_weight{%s,slot=\"%u\"} %u\n", views[i].labels,
				       slot, pcbg_slot_weight(&s));
		}
	}
	prom_head("pcbgroup_events_total", "counter",
		  "Program outcomes by reason: selected, fallbacks, CPU-local picks, migrations.");
	for (i = 0; i < n; i++)
		for (st = 0; st < PCBG_STAT_NR; st++)
			printf("pcbgroup_events_total{%s,event=\"%s\"} %llu\n", views[i].labels,
			       pcbg_stat_name(st), (unsigned long long)views[i].stats[st]);
	prom_head("pcbgroup_slot_queue", "gauge",
		  "Each slot's queue as last sampled for least-loaded: accept queue "
		  "(TCP), receive queue bytes (UDP).");
	prom_slot_loads(views, n, "pcbgroup_slot_queue", 0);
	prom_head("pcbgroup_slot_conns", "gauge",
		  "Each slot's TCP connections in service (queued or accepted, not "
		  "closed by the server), counted by pcbgroupd's hooks for least-loaded.");
	prom_slot_loads(views, n, "pcbgroup_slot_conns", 1);
	prom_head("pcbgroup_sockets", "gauge", "Live sockets in the group.");
	for (i = 0; i < n; i++)
		printf("pcbgroup_sockets{%s} %u\n", views[i].labels, views[i].live);
	prom_head("pcbgroup_unsteered_sockets", "gauge",
		  "Sockets on the group's address that are not in the group.");
	for (i = 0; i < n; i++)
		printf("pcbgroup_unsteered_sockets{%s} %u\n", views[i].labels, views[i].unsteered);
	for (i = 0; i < n; i++)
		flow_view_prometheus(views[i].labels, &views[i].flows, views[i].stats, !i);
	prom_head("pcbgroup_managed_last_seen_seconds", "gauge",
		  "When pcbgroupd last saw the group's sockets, in unix time.");
	for (i = 0; i < n; i++) {
		if (!views[i].managed.id)
			continue;
		printf("pcbgroup_managed_last_seen_seconds{%s,declaration=\"%s\"} %lld\n",
		       views[i].labels, views[i].managed.name, views[i].managed.seen);
	}
}

struct unsteered_ctx {
	struct group_view *views;
	int n;
};

static int count_unsteered(const struct diag_sock *s, void *arg)
{
	struct unsteered_ctx *ctx = arg;
	int i, addr_len = s->family == AF_INET ? 4 : 16;
	__u32 k;

	for (i = 0; i < ctx->n; i++) {
		struct group_view *v = &ctx->views[i];

		if (v->info.protocol != s->protocol || v->info.family != s->family ||
		    v->info.port != s->port || memcmp(v->info.addr, s->addr, addr_len))
			continue;
		for (k = 0; k < v->live && v->live_inodes[k] != s->inode; k++)
			;
		v->unsteered += k == v->live;
	}
	return 0;
}

/*
 * A socket bound to a group's address after the group was formed (a worker
 * added, a server restarted) is in its SO_REUSEPORT group but not in its
 * socket array: the program never picks it.  Say so.
 */
static void find_unsteered(struct group_view *views, int n, int quiet)
{
	struct unsteered_ctx ctx = { views, n };
	int i;

	if (!n)
		return;
	diag_dump(IPPROTO_TCP, count_unsteered, &ctx);
	diag_dump(IPPROTO_UDP, count_unsteered, &ctx);
	for (i = 0; i < n; i++) {
		char local[80];

		if (!views[i].unsteered || quiet)
			continue;
		format_local(local, sizeof(local), views[i].info.family, views[i].info.addr,
			     views[i].info.port);
		fprintf(stderr, "pcbgroupctl: show: group %u: %u %s sockets on %s "
			"are not in the group and get no new flows%s\n", views[i].id,
			views[i].unsteered, proto_name(views[i].info.protocol), local,
			views[i].live ? "" : " from it");
	}
}

int show_collect(struct show_set *set, const char *root, unsigned int id, int what)
{
	struct managed_group managed[1024];
	const struct managed_group *m;
	unsigned int ids[1024];
	struct group_view *views;
	int n, i, nv, err = 0, nm;
	pid_t daemon_pid;
	__u64 netns = 0;

	n = id ? 1 : list_groups(root, ids, 1024);
	if (n < 0) {
		pr_err("show", "%s: %s", root, strerror(-n));
		return n;
	}
	if (id)
		ids[0] = id;
	views = realloc(set->views, (set->n + n + 1) * sizeof(*views));
	if (!views)
		return -ENOMEM;
	set->views = views;
	views += set->n;
	for (i = 0, nv = 0; i < n; i++) {
		if (load_view(root, ids[i], &views[nv]))
			err = -ENOENT;
		else
			nv++;
	}
	netns_cookie(&netns);
	nm = managed_read(managed, 1024, &daemon_pid);
	for (i = 0; i < nv; i++) {
		views[i].netns = netns;
		m = daemon_pid ? managed_find(managed, nm, views[i].id) : NULL;
		if (m)
			views[i].managed = *m;
	}
	find_unsteered(views, nv, what & SHOW_QUIET);
	for (i = 0; i < nv; i++) {
		/* a walk of the table: not for every scrape */
		flow_view_load(&views[i].flows, views[i].grp, views[i].info.protocol,
			       !(what & SHOW_PROMETHEUS));
		if (!(what & SHOW_QUIET))
			flow_view_warn(views[i].id, &views[i].flows, &views[i].cfg,
				       views[i].stats);
	}
	set->n += nv;
	return err;
}

void show_print(const struct show_set *set, int json, int what)
{
	if (what & SHOW_PROMETHEUS)
		print_prometheus(set->views, set->n);
	else if (json)
		print_json(set->views, set->n);
	else
		print_text(set->views, set->n, what);
}

void show_free(struct show_set *set)
{
	int i;

	for (i = 0; i < set->n; i++) {
		pcbg_group_free(set->views[i].grp);
		free(set->views[i].live_inodes);
	}
	free(set->views);
	set->views = NULL;
	set->n = 0;
}

int show_groups(const char *root, unsigned int id, int json, int what)
{
	struct show_set set = {};
	int err = show_collect(&set, root, id, what);

	if (err != -ENOMEM && (err >= 0 || err == -ENOENT))
		show_print(&set, json, what);
	show_free(&set);
	return err;
}
