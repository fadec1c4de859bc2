// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The flow table's size as the operator gives it (flow_entries), and what
 * it holds and costs: its entries, the memory the kernel charges for it,
 * and how old its least recently seen entry is, which tells an eviction
 * of a live flow from that of an idle one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "internal.h"

int pcbg_parse_flow_entries(const char *s, __u32 *entries)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')	/* no sign, no blank */
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end ||
	    n < PCBG_FLOWS_MIN || n > PCBG_FLOWS_MAX)
		return -EINVAL;
	*entries = n;
	return 0;
}

__u32 pcbg_flow_table_size(const struct pcbg_group *grp)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(grp->map_fd[PCBG_M_FLOWS], &info, &len))
		return 0;
	return info.max_entries;
}

/* "memlock:" of the map's fdinfo: what the kernel charges for it; 0 unknown. */
__u64 pcbg_map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

int pcbg_group_flow_usage(const struct pcbg_group *grp, struct pcbg_flow_usage *u,
			  int scan)
{
	int n;

	memset(u, 0, sizeof(*u));
	u->size = pcbg_flow_table_size(grp);
	if (!u->size)
		return -errno ? -errno : -EINVAL;
	u->bytes = pcbg_map_memlock(grp->map_fd[PCBG_M_FLOWS]);
	if (!scan)
		return 0;
	n = pcbg_flows_scan(grp, NULL, 0, &u->oldest_ns);
	if (n < 0)
		return n;
	u->entries = n;
	return 0;
}

int pcbg_flow_evicting_live(const struct pcbg_flow_usage *u,
			    const struct pcbg_config *cfg,
			    const __u64 stats[PCBG_STAT_NR])
{
	return cfg->flow_table && stats[PCBG_STAT_FLOW_EVICTED] && u->entries &&
	       u->oldest_ns < (__u64)cfg->flow_timeout * 1000000000ULL;
}
