// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl show, the flow table of a UDP group: its size and the memory
 * the kernel charges for it, its entries and evictions, and a warning when
 * it is too small for the flows, that is, when it evicts live ones.
 */
#include <stdio.h>
#include <netinet/in.h>

#include "pcbgroupctl.h"

void flow_view_load(struct flow_view *fv, const struct pcbg_group *grp, int protocol,
		    int scan)
{
	fv->udp = protocol == IPPROTO_UDP;
	fv->scanned = scan;
	fv->ok = fv->udp && !pcbg_group_flow_usage(grp, &fv->u, scan);
}

static double mib(__u64 bytes)
{
	return bytes / 1048576.0;
}

void flow_view_text(unsigned int id, const struct flow_view *fv, const __u64 *stats,
		    int header)
{
	if (!fv->ok)
		return;
	if (header)
		printf("\n%-5s %12s %10s %12s %10s %12s\n", "group", "flow_entries",
		       "memory_MiB", "in_use", "oldest_s", "flow_evicted");
	printf("%-5u %12u %10.1f %12u %10.1f %12llu\n", id, fv->u.size, mib(fv->u.bytes),
	       fv->u.entries, fv->u.oldest_ns / 1e9,
	       (unsigned long long)stats[PCBG_STAT_FLOW_EVICTED]);
}

void flow_view_json(const struct flow_view *fv, const struct pcbg_config *cfg,
		    const __u64 *stats)
{
	if (!fv->ok) {
		printf("\"flow_table\":null,");
		return;
	}
	printf("\"flow_table\":{\"entries\":%u,\"bytes\":%llu,\"in_use\":%u,"
	       "\"oldest_ms\":%llu,\"evicting_live\":%s},", fv->u.size,
	       (unsigned long long)fv->u.bytes, fv->u.entries,
	       (unsigned long long)(fv->u.oldest_ns / 1000000),
	       pcbg_flow_evicting_live(&fv->u, cfg, stats) ? "true" : "false");
}

void flow_view_prometheus(const char *labels, const struct flow_view *fv,
			  const __u64 *stats, int header)
{
	if (header) {
		printf("# HELP pcbgroup_flow_table_entries The flow table's size "
		       "(flow_entries), UDP groups.\n"
		       "# TYPE pcbgroup_flow_table_entries gauge\n"
		       "# HELP pcbgroup_flow_table_bytes Memory the kernel charges for the "
		       "flow table, taken when the group is made.\n"
		       "# TYPE pcbgroup_flow_table_bytes gauge\n"
		       "# HELP pcbgroup_flow_evicted_total Flows the full flow table dropped "
		       "(at least; at most 128 per CPU more): growing while flows are live, "
		       "the table is too small.\n"
		       "# TYPE pcbgroup_flow_evicted_total counter\n");
	}
	if (!fv->ok)
		return;
	printf("pcbgroup_flow_table_entries{%s} %u\n"
	       "pcbgroup_flow_table_bytes{%s} %llu\n"
	       "pcbgroup_flow_evicted_total{%s} %llu\n", labels, fv->u.size, labels,
	       (unsigned long long)fv->u.bytes, labels,
	       (unsigned long long)stats[PCBG_STAT_FLOW_EVICTED]);
}

int flow_view_warn(unsigned int id, const struct flow_view *fv,
		   const struct pcbg_config *cfg, const __u64 *stats)
{
	if (!fv->ok || !fv->scanned || !pcbg_flow_evicting_live(&fv->u, cfg, stats))
		return 0;
	fprintf(stderr, "pcbgroupctl: show: group %u: the flow table is evicting live flows: "
		"%llu evicted, and its least recently seen entry is %.1fs old, below "
		"flow_timeout %us; make the group with more --flow-entries (now %u)\n", id,
		(unsigned long long)stats[PCBG_STAT_FLOW_EVICTED], fv->u.oldest_ns / 1e9,
		cfg->flow_timeout, fv->u.size);
	return 1;
}
