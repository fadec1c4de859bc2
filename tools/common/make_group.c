// SPDX-License-Identifier: GPL-2.0
/*
 * A group's birth, written once for pcbgroupctl attach and pcbgroupd:
 * create it, configure it, place the sockets, publish them, claim an id
 * under the namespace's pin root, pin, register with pcbgroup.ko if it is
 * loaded, attach.  The attach comes last: until then nothing the server
 * sees has changed, and a step that fails undoes the ones before it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "tools.h"

const char *add_socket_error(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT: return "not a TCP or UDP socket";
	case -ENOPROTOOPT: return "socket is not bound with SO_REUSEPORT";
	case -EDESTADDRREQ: return "socket is not bound";
	case -ENOTCONN: return "TCP socket is not listening";
	case -EXDEV: return "socket has another address, port or protocol than the group";
	case -EEXIST: return "socket is already in this group";
	case -EBUSY: return "socket is already in a group (pcbgroupctl detach it first)";
	case -E2BIG: return "group is full (max_group_size)";
	case -EINVAL: return "its CPU is not a possible CPU";
	case -EAGAIN: return "the group changed meanwhile (another writer); try again";
	default: return strerror(-err);
	}
}

/* pcbgroup.ko is loaded and its flow_table sysctl in this namespace is 1 */
static int module_flow_table(void)
{
	FILE *f = fopen("/proc/sys/net/pcbgroup/flow_table", "re");
	char buf[8];
	int on = f && fgets(buf, sizeof(buf), f) && buf[0] == '1';

	if (f)
		fclose(f);
	return on;
}

/*
 * The flow table is preallocated whether flow_table is on or not (an LRU
 * map always is), and only a UDP group with flow_table on uses it: the
 * large default goes to those alone.
 */
static __u32 flow_entries(const struct new_group *g, int protocol)
{
	if (g->flow_entries)
		return g->flow_entries;
	if (protocol == IPPROTO_UDP && (g->flow_table || module_flow_table()))
		return PCBG_FLOWS_UDP_DEFAULT;
	return PCBG_FLOWS_MIN;	/* unused unless flow_table is turned on later */
}

/* The new group, made and published but seen by nobody yet. */
static int build(const char *cmd, struct new_group *g, struct pcbg_group **grp,
		 const struct adopted_sock *socks, int n)
{
	int err, i, slot;

	err = pcbg_group_create_flows(grp, g->capacity,
				      flow_entries(g, socks[0].desc.protocol));
	if (err) {
		pr_err(cmd, "load program: %s%s", strerror(-err),
		       err == -EPERM ? " (run as root?)" : "");
		return err;
	}
	err = g->configure ? g->configure(*grp, g->arg) : 0;
	if (err) {
		pr_err(cmd, "knobs: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		slot = pcbg_group_place_socket(*grp, socks[i].fd, socks[i].cpu, socks[i].pid);
		if (slot < 0) {
			pr_err(cmd, "pid %d: socket inode %llu: %s", socks[i].pid,
			       (unsigned long long)socks[i].desc.inode, add_socket_error(slot));
			return slot;
		}
	}
	err = pcbg_group_publish(*grp);
	if (err)
		pr_err(cmd, "publish the group: %s", strerror(-err));
	return err;
}

int make_group(const char *cmd, struct new_group *g, const struct adopted_sock *socks, int n)
{
	struct pcbg_group *grp = NULL;
	int err;

	g->id = 0;
	err = build(cmd, g, &grp, socks, n);
	if (err)
		goto out;
	if (netns_make_pin_root(cmd, g->root)) {
		err = -EIO;
		goto out;
	}
	err = claim_group_dir(cmd, g->root, &g->id, g->dir, sizeof(g->dir));
	if (err)
		goto out;
	err = pcbg_group_pin(grp, g->dir);
	if (err) {
		pr_err(cmd, "pin %s: %s", g->dir, strerror(-err));
		rmdir(g->dir);
		goto out;
	}
	if (pcbg_module_loaded()) {
		err = pcbg_group_register(grp, g->id);
		if (err < 0) {
			pr_err(cmd, "register group %u with pcbgroup.ko: %s", g->id,
			       strerror(-err));
			goto unpin;
		}
	}
	/* Last: until here nothing the server sees has changed. */
	err = pcbg_group_attach(grp, socks[0].fd);
	if (err) {
		pr_err(cmd, "pid %d: SO_ATTACH_REUSEPORT_EBPF: %s", socks[0].pid,
		       strerror(-err));
		goto unpin;
	}
	err = 0;
	goto out;
unpin:
	pcbg_unpin(g->dir);
out:
	pcbg_group_free(grp);
	if (err)
		g->id = 0;
	return err;
}
