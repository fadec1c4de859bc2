// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl register: hand pinned groups to pcbgroup.ko, in the caller's
 * network namespace.  attach registers the groups it makes; this brings
 * back those pinned before the module was loaded (or reloaded): the module
 * cannot find pins itself, and its load message names this command.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

#define MAX_GROUPS	1024

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

/* 0 registered (now or before), -1 not. */
static int register_group(const char *root, unsigned int id)
{
	struct pcbg_group *grp;
	char dir[PATH_MAX];
	int err;

	group_dir(dir, sizeof(dir), root, id);
	err = pcbg_group_open_pinned(&grp, dir);
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

int register_groups(const char *root, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned int ids[MAX_GROUPS];
	int all = 0, opt, n, i, ret = EXIT_OK;
	unsigned long id;
	char *end;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			all = 1;
			break;
		case 'h':
			printf("Usage: pcbgroupctl register GROUP | --all\n");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - !all) {
		pr_err("register", "GROUP or --all is required (see pcbgroupctl -h)");
		return EXIT_USAGE;
	}
	if (!all) {
		errno = 0;
		id = strtoul(argv[optind], &end, 10);
		if (errno || end == argv[optind] || *end || argv[optind][0] == '-' ||
		    !id || id > UINT_MAX) {
			pr_err("register", "'%s': not a group id", argv[optind]);
			return EXIT_USAGE;
		}
	}
	if (!pcbg_module_loaded()) {
		pr_err("register", "pcbgroup.ko is not loaded");
		return EXIT_FAIL;
	}
	if (!all)
		return register_group(root, id) ? EXIT_FAIL : EXIT_OK;
	n = list_groups(root, ids, MAX_GROUPS);
	for (i = 0; i < n; i++)
		if (register_group(root, ids[i]))
			ret = EXIT_FAIL;
	return ret;
}
