// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl register: hand pinned groups to pcbgroup.ko, in the caller's
 * network namespace.  attach registers the groups it makes; this brings
 * back those pinned before the module was loaded (or reloaded): the module
 * cannot find pins itself, and its load message names this command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tools.h"

/* Why the module refused a group, for people. */
static const char *register_error(int err)
{
	switch (err) {
	case -EXDEV: return "its sockets are in another network namespace";
	case -ENOENT: return "no live socket left (detach it)";
	case -EADDRINUSE: return "its id is taken by another group of pcbgroup.ko";
	case -EPERM: return "Operation not permitted (needs CAP_NET_ADMIN, read-write pins)";
	default: return strerror(-err);
	}
}

int register_group(const char *root, unsigned int id)
{
	struct pcbg_group *grp;
	int err;

	err = open_pinned_group(root, id, 0, &grp);
	if (err) {
		pr_err("register", "group %u: %s", id,
		       err == -ENOENT ? "no such group" : strerror(-err));
		return -1;
	}
	err = pcbg_group_register(grp, id);
	pcbg_group_free(grp);
	if (err == -EEXIST) {
		printf("group %u: registered already\n", id);
		return 0;
	}
	if (err < 0) {
		pr_err("register", "group %u: %s", id, register_error(err));
		return -1;
	}
	printf("group %u: registered\n", id);
	return 0;
}
