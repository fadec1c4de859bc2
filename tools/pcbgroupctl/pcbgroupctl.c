// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl: put pcbgroup's steering on the SO_REUSEPORT sockets of running
 * servers, show the groups, tune them, take the steering off again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "state.h"
#include "tools.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)	/* a number of the header, in the help's text */

static char pin_root[PATH_MAX];	/* this network namespace's, see netns.c */
static __u64 netns;		/* its cookie */

static const char usage_text[] =
	"Usage: pcbgroupctl [-v] COMMAND [OPTIONS]\n"
	"\n"
	"Commands:\n"
	"  attach --pid PID [--pid PID ...] [--port PORT] [--proto tcp|udp] [--capacity N]\n"
	"         [--flow-entries N]\n"
	"         adopt the SO_REUSEPORT sockets of running processes as one group\n"
	"         (the union of what they hold; PID may be a list: \"$(pidof nginx)\"),\n"
	"         attach the steering program and pin it under\n"
	"         " PCBG_PIN_ROOT "/netnsCOOKIE/ID (one directory per network namespace);\n"
	"         --flow-entries: the flow table's size (flow_table, UDP), 1024-4194304,\n"
	"         default 262144 (32 MiB) for UDP with flow_table on, else 1024\n"
	"  show [-j] [--prometheus] [--cpus] [--samples] [GROUP]\n"
	"         print the groups (live, waiting or dead; managed by pcbgroupd or not)\n"
	"         and per-slot counters (JSON with -j, Prometheus text format with\n"
	"         --prometheus), the per-CPU tables (--cpus), the last selections\n"
	"         (--samples); warn of sockets on a group's address not in it\n"
	"  set [--group GROUP] KNOB=VALUE ...\n"
	"         change the config of every group (or one) where pcbgroup.ko is not\n"
	"         loaded (the knobs below)\n"
	"  pin GROUP SLOT CPU|none\n"
	"         move the socket in SLOT to CPU's table (algorithm cpu)\n"
	"  drain GROUP SLOT | undrain GROUP SLOT\n"
	"         stop new flows to the socket in SLOT while its connections finish;\n"
	"         undrain lets them come again\n"
	"  weight GROUP SLOT WEIGHT\n"
	"         give the socket in SLOT a share of new flows of WEIGHT over the\n"
	"         members' sum (0-" STR(PCBG_WEIGHT_MAX) ", " STR(PCBG_WEIGHT_DEFAULT)
	" unless weighed; 0: no new flow)\n"
	"         with hash-threshold, modulo and maglev\n"
	"  rebalance GROUP\n"
	"         give each socket without a CPU the online CPU with the fewest\n"
	"         sockets (algorithm cpu)\n"
	"  detach GROUP | --all\n"
	"         take the program off the group's sockets and remove its pins\n"
	"  register GROUP | --all\n"
	"         hand pinned groups to pcbgroup.ko (after it is loaded or reloaded)\n"
	"  gc\n"
	"         remove the groups with no live socket left (dead), but those\n"
	"         pcbgroupd keeps waiting for their sockets, and the groups of\n"
	"         network namespaces that are gone\n"
	"\n"
	"Options:\n"
	"  -v, --verbose  print libbpf's messages\n"
	"  -V, --version  print the version\n"
	"  -h, --help     this help\n"
	"\n"
	"Knobs (set KNOB=VALUE; sysctl net.pcbgroup.KNOB with pcbgroup.ko):\n";

static const char examples_text[] =
	"\n"
	"Examples:\n"
	"  pcbgroupctl attach --pid \"$(pidof nginx)\" --port 443 --proto tcp\n"
	"  pcbgroupctl set algorithm=modulo cpu_bits=0\n"
	"  pcbgroupctl set algorithm=cpu; pcbgroupctl rebalance 1\n"
	"  pcbgroupctl weight 1 3 5\n"
	"  pcbgroupctl show -j\n"
	"  pcbgroupctl detach 1\n";

/* A knob's line of the help: its values and default. */
static void print_knob(const char *name, enum pcbg_knob_kind kind, int min,
		       int max, int def, const char *const *names)
{
	int i;

	printf("  %-18s ", name);
	if (kind == PCBG_KNOB_NAME) {
		for (i = min; i <= max; i++)
			printf("%s%s", i > min ? ", " : "", names[i]);
		printf("; default %s\n", names[def]);
	} else {
		printf(kind == PCBG_KNOB_BOOL ? "%d, %d" : "%d..%d", min, max);
		printf("; default %d\n", def);
	}
}

/* The help, its knobs from the table of include/uapi/pcbgroup.h. */
static int usage(void)
{
	fputs(usage_text, stdout);
	/* print_knob(...), print_knob(...), ..., puts(...); */
#define KNOB_HELP(knob, kind, min, max, def, names) \
	print_knob(#knob, kind, min, max, def, (const char *const[])names),
	PCBG_KNOBS(KNOB_HELP)
#undef KNOB_HELP
	puts("  samples            0, 1; default 0 (the group's, not a sysctl)");
	puts("  quic_cid_len       0, 4..20; default 0 (the group's, not a sysctl: QUIC)");
	fputs(examples_text, stdout);
	return EXIT_OK;
}

static int usage_error(const char *cmd, const char *what)
{
	pr_err(cmd, "%s (see pcbgroupctl -h)", what);
	return EXIT_USAGE;
}

/*
 * getopt's own messages are off (opterr = 0): what it refused, in one line.
 * A long option is named as written, a short one by getopt's optopt.
 */
static int option_error(const char *cmd, int opt, char **argv)
{
	const char *arg = argv[optind - 1], *why = "no such option";
	char name[3] = { '-', (char)optopt, '\0' };
	int is_long = !strncmp(arg, "--", 2);

	if (opt == ':')
		why = "needs a value";
	else if (optopt && is_long)
		why = "takes no value";
	pr_err(cmd, "%s: %s (see pcbgroupctl -h)", optopt && !is_long ? name : arg, why);
	return EXIT_USAGE;
}

/*
 * Add the pids in @arg ("12", "12 13 14" as pidof prints them, or
 * "12,13") to @pids; -1 if one is not a pid or there are too many.
 */
static int parse_pids(const char *arg, pid_t *pids, int *npids)
{
	char buf[4096], *tok, *save;
	unsigned long v;
	int got = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (tok = strtok_r(buf, " \t\n,", &save); tok;
	     tok = strtok_r(NULL, " \t\n,", &save)) {
		if (parse_uint(tok, INT_MAX, &v) || !v || *npids == ADOPT_MAX_PIDS)
			return -1;
		pids[(*npids)++] = v;
		got++;
	}
	return got ? 0 : -1;
}

/* What pcbgroupctl attach is asked to take. */
struct attach_args {
	pid_t pids[ADOPT_MAX_PIDS];
	int npids;
	int port;		/* 0: any */
	int protocol;		/* 0: any */
	struct new_group g;
};

/*
 * pcbgroupctl attach's options and pids into @a: -1 to go on, or the exit
 * status to end with (-h, a usage error).
 */
static int attach_options(int argc, char **argv, struct attach_args *a)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "proto", required_argument, NULL, 't' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "flow-entries", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long v;
	int opt;

	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (parse_pids(optarg, a->pids, &a->npids))
				return usage_error("attach", a->npids == ADOPT_MAX_PIDS ?
						   "--pid: more than 64 pids" :
						   "--pid: not a process id");
			break;
		case 'P':
			if (parse_uint(optarg, 65535, &v) || !v)
				return usage_error("attach", "--port: not a port (1-65535)");
			a->port = v;
			break;
		case 't':
			if (!strcmp(optarg, "tcp"))
				a->protocol = IPPROTO_TCP;
			else if (!strcmp(optarg, "udp"))
				a->protocol = IPPROTO_UDP;
			else
				return usage_error("attach", "--proto: tcp or udp");
			break;
		case 'c':
			if (parse_uint(optarg, PCBG_SLOTS_LIMIT, &v) || !v)
				return usage_error("attach", "--capacity: 1-32768");
			a->g.capacity = v;
			break;
		case 'f':
			if (pcbg_parse_flow_entries(optarg, &a->g.flow_entries))
				return usage_error("attach", "--flow-entries: 1024-4194304");
			break;
		case 'h':
			return usage();
		default:
			return option_error("attach", opt, argv);
		}
	}
	if (!a->npids)
		return usage_error("attach", "--pid is required");
	/* --pid $(pidof nginx), unquoted: the other pids come as arguments */
	for (; optind < argc; optind++)
		if (parse_pids(argv[optind], a->pids, &a->npids))
			return usage_error("attach", "unexpected argument");
	return -1;
}

static int cmd_attach(int argc, char **argv)
{
	struct attach_args a = { .g = { .root = pin_root, .capacity = PCBG_SLOTS_DEFAULT } };
	int ret = attach_options(argc, argv, &a), n;
	struct adopted_sock *socks = NULL;
	char local[80];

	if (ret >= 0)
		return ret;
	ret = EXIT_FAIL;
	n = adopt_sockets_flags("attach", a.pids, a.npids, a.port, a.protocol, 0, netns,
				&socks);
	if (n < 0)
		return EXIT_FAIL;
	if ((__u32)n > a.g.capacity) {
		pr_err("attach", "%d sockets: more than the group's capacity %u", n, a.g.capacity);
		goto out;
	}
	find_servers(socks, n, a.pids, a.npids);
	if (make_group("attach", &a.g, socks, n))
		goto out;
	format_local(local, sizeof(local), socks[0].desc.family, socks[0].desc.addr,
		     socks[0].desc.port);
	printf("group %u: %s %s, %d sockets, pinned at %s\n", a.g.id,
	       proto_name(socks[0].desc.protocol), local, n, a.g.dir);
	ret = EXIT_OK;
out:
	release_sockets(socks, n);
	return ret;
}

static int parse_group(const char *cmd, const char *s, unsigned int *id)
{
	unsigned long v;

	if (parse_uint(s, UINT_MAX, &v) || !v) {
		pr_err(cmd, "'%s': not a group id", s);
		return -1;
	}
	*id = v;
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "samples", no_argument, NULL, 's' },
		{ "cpus", no_argument, NULL, 'c' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int json = 0, what = 0, opt;
	unsigned int id = 0;
	char dir[PATH_MAX];

	while ((opt = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 's':
			what |= SHOW_SAMPLES;
			break;
		case 'c':
			what |= SHOW_CPUS;
			break;
		case 'P':
			what |= SHOW_PROMETHEUS;
			break;
		case 'h':
			return usage();
		default:
			return option_error("show", opt, argv);
		}
	}
	if (optind < argc - 1)
		return usage_error("show", "unexpected argument");
	if (optind == argc - 1) {
		if (parse_group("show", argv[optind], &id))
			return EXIT_USAGE;
		group_dir(dir, sizeof(dir), pin_root, id);
		if (access(dir, F_OK) && errno == ENOENT) {
			pr_err("show", "group %u: no such group", id);
			return EXIT_FAIL;
		}
	}
	return show_groups(pin_root, id, json, what) ? EXIT_FAIL : EXIT_OK;
}

/* What a group's -errno says, for "CMD: group ID: ..." */
static const char *group_error(int err)
{
	return err == -ENOENT ? "no such group" : pcbg_strerror(err);
}

/*
 * One writer per group: a command that changes a group holds the group's
 * writer lock from open to free (open_pinned_group()), so a second one waits
 * instead of interleaving its writes (and losing one of the changes).
 */
static int open_group_dir(const char *cmd, unsigned int id, struct pcbg_group **grp)
{
	int err = open_pinned_group(pin_root, id, 1, grp);

	if (err)
		pr_err(cmd, "group %u: %s", id, group_error(err));
	return err ? -1 : 0;
}

/*
 * The KNOB=VALUE assignments @knobs (checked already) on group @id: with
 * @write 0 only opened, checked and computed; with @write 1 also written.
 * Returns 0 or -errno; nothing is printed.
 */
static int set_group(unsigned int id, char **knobs, int nknobs, int write)
{
	struct group_settings set;
	struct pcbg_group *grp;
	int err = open_pinned_group(pin_root, id, 1, &grp), k;

	if (!err)
		err = settings_start(&set, grp);
	for (k = 0; !err && k < nknobs; k++) {
		char *eq = strchr(knobs[k], '=');

		*eq = '\0';
		err = settings_add(&set, knobs[k], eq + 1);
		*eq = '=';
	}
	if (!err && write)
		err = settings_write(&set, grp, 1);
	pcbg_group_free(grp);
	return err;
}

/*
 * Check every KNOB=VALUE of @assign before anything is written: the exit
 * status, said on stderr if not EXIT_OK.
 */
static int check_assignments(char **assign, int n)
{
	struct group_settings probe;
	int k, err;

	settings_start(&probe, NULL);
	for (k = 0; k < n; k++) {
		char *eq = strchr(assign[k], '=');

		if (!eq || eq == assign[k])
			return usage_error("set", "expected KNOB=VALUE");
		*eq = '\0';
		err = settings_add(&probe, assign[k], eq + 1);
		if (err == -ENOENT)
			pr_err("set", "%s: no such knob", assign[k]);
		else if (err)
			pr_err("set", "%s: invalid value '%s'", assign[k], eq + 1);
		*eq = '=';
		if (err)
			return EXIT_FAIL;
	}
	if (probe.knobs && pcbg_module_loaded()) {
		pr_err("set", "%s",
		       "pcbgroup.ko is loaded and its sysctls are the source of truth: use sysctl -w net.pcbgroup.KNOB=VALUE");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned int ids[1024], id = 0;
	int opt, i, k, n, err, len;

	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'g':
			if (parse_group("set", optarg, &id))
				return EXIT_USAGE;
			break;
		case 'h':
			return usage();
		default:
			return option_error("set", opt, argv);
		}
	}
	if (optind == argc)
		return usage_error("set", "KNOB=VALUE is required");

	err = check_assignments(argv + optind, argc - optind);
	if (err)
		return err;

	n = id ? 1 : list_groups(pin_root, ids, 1024);
	if (id)
		ids[0] = id;
	if (n < 0) {
		pr_err("set", "%s: %s", pin_root, strerror(-n));
		return EXIT_FAIL;
	}
	if (!n) {
		pr_err("set", "no group under %s", pin_root);
		return EXIT_FAIL;
	}
	/* All or nothing: every group is opened and checked before one is written. */
	for (i = 0; i < n; i++) {
		err = set_group(ids[i], argv + optind, argc - optind, 0);
		if (err) {
			pr_err("set", "group %u: %s%s", ids[i], group_error(err),
			       n > 1 ? "; no group changed" : "");
			return EXIT_FAIL;
		}
	}
	for (i = 0; i < n; i++) {
		err = set_group(ids[i], argv + optind, argc - optind, 1);
		if (err) {	/* changed meanwhile, or a write failed */
			char done[64] = "none";

			for (k = 0, len = 0; k < i && len < (int)sizeof(done) - 16; k++)
				len += snprintf(done + len, sizeof(done) - len, "%s%u",
						k ? "," : "", ids[k]);
			if (k < i)
				snprintf(done + len, sizeof(done) - len, ",...");
			pr_err("set", "group %u: %s; groups changed before it: %s", ids[i],
			       group_error(err), done);
			return EXIT_FAIL;
		}
	}
	return EXIT_OK;
}

/*
 * A group whose pins do not check out: take the program off through a
 * socket its records still name, empty its socket array and remove every
 * pin, so that nothing is left to clean by hand.
 */
static int detach_damaged(unsigned int id, const char *dir)
{
	struct pcbg_socket_desc d;
	struct pcbg_slot socks[64];
	char what[192];
	int n, i, fd, err, done = 0;

	snprintf(what, sizeof(what), "%s", pcbg_strerror(-EUCLEAN));
	n = pcbg_salvage_sockets(dir, socks, ARRAY_SIZE(socks));
	for (i = 0; i < n && !done; i++) {
		fd = socks[i].pid ? steal_socket(socks[i].pid, socks[i].inode) : -1;
		if (fd < 0)
			continue;
		if (!pcbg_socket_describe(fd, &d) && d.cookie == socks[i].cookie) {
			err = pcbg_detach(fd);
			done = !err || err == -ENOENT;
		}
		close(fd);
	}
	err = pcbg_salvage_release(dir);
	if (!err)
		err = pcbg_unpin(dir);
	if (err) {
		pr_err("detach", "group %u: %s; remove %s: %s", id, what, dir, strerror(-err));
		return -1;
	}
	printf("group %u: detached (%s%s)\n", id, what,
	       done ? "" : "; no socket of it found to take its program off");
	return 0;
}

/* Take the program off through any live socket of the group. */
static int detach_group(unsigned int id)
{
	char dir[PATH_MAX], what[PATH_MAX + 8] = "SO_DETACH_REUSEPORT_BPF";
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	int err, fd, done = 0;
	__u32 slot;

	group_dir(dir, sizeof(dir), pin_root, id);
	err = open_pinned_group(pin_root, id, 1, &grp);
	if (err && err != -EUCLEAN) {
		pr_err("detach", "group %u: %s", id, group_error(err));
		return -1;
	}
	if (!err)
		err = pcbg_group_info(grp, &info);
	for (slot = 0; !err && !done && slot < info.nr_slots; slot++) {
		struct pcbg_slot s;

		if (pcbg_group_slot(grp, slot, &s) || !s.pid ||
		    pcbg_group_slot_live(grp, slot) != 1)
			continue;
		fd = steal_socket(s.pid, s.inode);
		if (fd < 0)
			continue;
		err = pcbg_detach(fd);
		close(fd);
		if (err == -ENOENT)	/* someone else already took it off */
			err = 0;
		done = !err;
	}
	if (!err) {
		snprintf(what, sizeof(what), "empty its socket array");
		err = pcbg_group_remove_sockets(grp);
	}
	pcbg_group_free(grp);
	if (err == -EUCLEAN)	/* damaged, at the open or since */
		return detach_damaged(id, dir);
	/* No live socket: the group's sockets are gone; the pins are all that is left. */
	if (!err) {
		snprintf(what, sizeof(what), "unpin %s", dir);
		err = pcbg_unpin(dir);
	}
	if (err) {
		pr_err("detach", "group %u: %s: %s", id, what, strerror(-err));
		return -1;
	}
	printf("group %u: detached%s\n", id, done ? "" : " (no live socket left)");
	return 0;
}

/*
 * "CMD GROUP | --all", options included: @fn on the group or on each (at
 * most 1024), once pcbgroup.ko is seen loaded if @module: the exit status.
 */
static int each_group(const char *cmd, int argc, char **argv, int (*fn)(unsigned int id),
		      int module)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int all = 0, opt, n, i, ret = EXIT_OK;
	unsigned int ids[1024];

	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt != 'a')
			return opt == 'h' ? usage() : option_error(cmd, opt, argv);
		all = 1;
	}
	if (all && optind != argc)
		return usage_error(cmd, "GROUP and --all exclude each other");
	if (!all && optind != argc - 1)
		return usage_error(cmd, "GROUP or --all is required");
	if (!all && parse_group(cmd, argv[optind], ids))
		return EXIT_USAGE;
	n = all ? list_groups(pin_root, ids, 1024) : 1;
	if (n < 0) {
		pr_err(cmd, "%s: %s", pin_root, strerror(-n));
		return EXIT_FAIL;
	}
	if (module && !pcbg_module_loaded()) {
		pr_err(cmd, "pcbgroup.ko is not loaded");
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++)
		if (fn(ids[i]))
			ret = EXIT_FAIL;
	return ret;
}

static int cmd_detach(int argc, char **argv)
{
	return each_group("detach", argc, argv, detach_group, 0);
}

/* Remove group @id if no live socket is left in it: 1 removed, 0 not, -1 error. */
static int gc_group(unsigned int id, const struct managed_group *managed, int nm)
{
	const struct managed_group *m = managed_find(managed, nm, id);
	struct pcbg_group *grp;
	char dir[PATH_MAX];
	int err, live;

	if (open_group_dir("gc", id, &grp))
		return -1;
	live = group_live(grp);
	err = live < 0 ? live : 0;
	if (err || live || (m && m->waiting)) {
		pcbg_group_free(grp);
		if (err)
			pr_err("gc", "group %u: %s", id, strerror(-err));
		else if (!live)
			printf("group %u: kept: pcbgroupd waits for its sockets (%s)\n", id,
			       m->name);
		return err ? -1 : 0;
	}
	err = pcbg_group_remove_sockets(grp);
	pcbg_group_free(grp);
	group_dir(dir, sizeof(dir), pin_root, id);
	if (!err)
		err = pcbg_unpin(dir);
	if (err) {
		pr_err("gc", "group %u: %s", id, strerror(-err));
		return -1;
	}
	printf("group %u: removed (no live socket)\n", id);
	return 1;
}

/*
 * Remove the groups of namespace directory @dir, whose namespace is gone:
 * 0, or -1 if one could not be.  None can have a live socket (a socket
 * holds its namespace): one that has is kept, as a namespace not seen.
 */
static int gc_namespace_dir(const char *dir, const char *name)
{
	char gdir[PATH_MAX];
	unsigned int ids[1024];
	struct pcbg_group *grp;
	int n, i, err, live, ret = 0;

	n = list_groups(dir, ids, 1024);
	for (i = 0; i < n; i++) {
		group_dir(gdir, sizeof(gdir), dir, ids[i]);
		err = open_pinned_group(dir, ids[i], 0, &grp);
		live = err ? 0 : group_live(grp);
		if (live < 0)
			err = live;
		pcbg_group_free(grp);
		if (!err && !live)
			err = pcbg_unpin(gdir);
		if (err || live) {
			pr_err("gc", "%s: group %u: %s", name, ids[i],
			       err ? pcbg_strerror(err) : "kept: a socket in it is live");
			ret = -1;
			continue;
		}
		printf("%s: group %u: removed (its network namespace is gone)\n", name, ids[i]);
	}
	if (!ret && rmdir(dir) && errno != ENOENT) {
		pr_err("gc", "%s: %s", dir, strerror(errno));
		ret = -1;
	}
	return ret;
}

/*
 * The pins of the network namespaces that are gone, which nothing else
 * would remove (their own gc cannot run any more), beside this namespace's
 * directory.  Namespaces alive are left to their own gc.
 */
static int gc_gone_namespaces(void)
{
	char top[PATH_MAX], dir[PATH_MAX + NAME_MAX + 2], *slash;
	unsigned long long cookie;
	struct dirent *de;
	__u64 *alive;
	int n, i, ret = 0;
	DIR *d;

	n = netns_alive(&alive);
	if (n == -EOPNOTSUPP)
		return 0;	/* some namespaces would be out of sight */
	if (n < 0) {
		pr_err("gc", "the network namespaces alive: %s; theirs left", strerror(-n));
		free(alive);
		return -1;
	}
	snprintf(top, sizeof(top), "%s", pin_root);
	slash = strrchr(top, '/');
	if (slash)
		*slash = '\0';
	d = opendir(top);
	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "netns%llu", &cookie) != 1 || cookie == netns)
			continue;
		for (i = 0; i < n && alive[i] != cookie; i++)
			;
		if (i < n)
			continue;	/* alive: left to its own gc */
		snprintf(dir, sizeof(dir), "%s/%s", top, de->d_name);
		if (gc_namespace_dir(dir, de->d_name))
			ret = -1;
	}
	if (d)
		closedir(d);
	free(alive);
	return ret;
}

static int cmd_gc(int argc, char **argv)
{
	struct managed_group managed[1024];
	unsigned int ids[1024];
	int n, i, nm, ret = EXIT_OK;
	pid_t daemon_pid;

	if (argc == 2 && !strcmp(argv[1], "--help"))
		return usage();
	if (argc != 1)
		return usage_error("gc", "unexpected argument");
	nm = managed_read(managed, 1024, &daemon_pid);
	if (!daemon_pid)
		nm = 0;
	n = list_groups(pin_root, ids, 1024);
	for (i = 0; i < n; i++)
		if (gc_group(ids[i], managed, nm) < 0)
			ret = EXIT_FAIL;
	if (gc_gone_namespaces())
		ret = EXIT_FAIL;
	return ret;
}

static int open_group(const char *cmd, const char *arg, unsigned int *id,
		      struct pcbg_group **grp)
{
	if (parse_group(cmd, arg, id))
		return -EXIT_USAGE;
	return open_group_dir(cmd, *id, grp) ? -EXIT_FAIL : 0;
}

/*
 * The operands of "CMD GROUP [SLOT [ARG]]", @n of them (@what names them):
 * -1 to go on, with SLOT (if any) in *@slot, or the exit status to end with.
 */
static int operands(int argc, char **argv, int n, const char *what,
		    unsigned long *slot)
{
	if (argc == 2 && !strcmp(argv[1], "--help"))
		return usage();
	if (argc != n + 1)
		return usage_error(argv[0], what);
	if (n > 1 && parse_uint(argv[2], UINT_MAX, slot)) {
		pr_err(argv[0], "'%s': not a slot number", argv[2]);
		return EXIT_USAGE;
	}
	return -1;
}

/* What a command on one slot did: its error said, its exit status. */
static int slot_done(const char *cmd, unsigned int id, unsigned long slot, int err)
{
	if (err == -ERANGE || err == -ENOENT)
		pr_err(cmd, "group %u: no socket in slot %lu", id, slot);
	else if (err)
		pr_err(cmd, "group %u: %s", id, pcbg_strerror(err));
	return err ? EXIT_FAIL : EXIT_OK;
}

static int cmd_pin(int argc, char **argv)
{
	struct pcbg_group *grp;
	unsigned long slot, v;
	unsigned int id;
	int err = operands(argc, argv, 3, "GROUP SLOT CPU|none are required", &slot);
	int cpu = -1;

	if (err >= 0)
		return err;
	if (strcmp(argv[3], "none")) {
		if (parse_uint(argv[3], INT_MAX, &v))
			return usage_error("pin", "CPU: a CPU number or none");
		cpu = v;
	}
	err = open_group("pin", argv[1], &id, &grp);
	if (err)
		return -err;
	err = pcbg_group_set_cpu(grp, slot, cpu);
	if (err == -EINVAL)
		pr_err("pin", "group %u: CPU %s is not a possible CPU (0-%d)", id, argv[3],
		       pcbg_group_nr_cpus(grp) - 1);
	pcbg_group_free(grp);
	return err == -EINVAL ? EXIT_FAIL : slot_done("pin", id, slot, err);
}

/* drain and undrain: argv[0] says which */
static int cmd_drain(int argc, char **argv)
{
	struct pcbg_group *grp;
	unsigned long slot;
	unsigned int id;
	int err = operands(argc, argv, 2, "GROUP SLOT are required", &slot);

	if (err >= 0)
		return err;
	err = open_group(argv[0], argv[1], &id, &grp);
	if (err)
		return -err;
	err = pcbg_group_drain(grp, slot, !strcmp(argv[0], "drain"));
	pcbg_group_free(grp);
	return slot_done(argv[0], id, slot, err);
}

static int cmd_weight(int argc, char **argv)
{
	unsigned long slot, weight;
	struct pcbg_group *grp;
	unsigned int id;
	int err = operands(argc, argv, 3, "GROUP SLOT WEIGHT are required", &slot);

	if (err >= 0)
		return err;
	if (parse_uint(argv[3], PCBG_WEIGHT_MAX, &weight)) {
		pr_err("weight", "'%s': not a weight (0-%u)", argv[3], PCBG_WEIGHT_MAX);
		return EXIT_USAGE;
	}
	err = open_group("weight", argv[1], &id, &grp);
	if (err)
		return -err;
	err = pcbg_group_set_weight(grp, slot, weight);
	pcbg_group_free(grp);
	return slot_done("weight", id, slot, err);
}

static int cmd_rebalance(int argc, char **argv)
{
	struct pcbg_group *grp;
	unsigned int id;
	int err = operands(argc, argv, 1, "GROUP is required", NULL);

	if (err >= 0)
		return err;
	err = open_group("rebalance", argv[1], &id, &grp);
	if (err)
		return -err;
	err = pcbg_group_rebalance(grp);
	pcbg_group_free(grp);
	if (err < 0) {
		pr_err("rebalance", "group %u: %s", id, pcbg_strerror(err));
		return EXIT_FAIL;
	}
	printf("group %u: %d sockets given a CPU\n", id, err);
	return EXIT_OK;
}

static int register_one(unsigned int id)
{
	return register_group(pin_root, id);
}

static int cmd_register(int argc, char **argv)
{
	return each_group("register", argc, argv, register_one, 1);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "attach", cmd_attach },
		{ "show", cmd_show },
		{ "set", cmd_set },
		{ "detach", cmd_detach },
		{ "pin", cmd_pin },
		{ "rebalance", cmd_rebalance },
		{ "drain", cmd_drain },
		{ "undrain", cmd_drain },
		{ "weight", cmd_weight },
		{ "register", cmd_register },
		{ "gc", cmd_gc },
	};
	static const struct option global_opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	size_t i;
	int opt;

	log_prog = "pcbgroupctl";

	opterr = 0;	/* our own one-line messages: option_error() */
	while ((opt = getopt_long(argc, argv, "+:vVh", global_opts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			log_verbose++;
			break;
		case 'V':
			puts("pcbgroupctl " PCBG_VERSION);
			return EXIT_OK;
		case 'h':
			return usage();
		default:
			return option_error("", opt, argv);
		}
	}
	if (optind >= argc) {
		fputs("pcbgroupctl: a COMMAND is required (see pcbgroupctl -h)\n", stderr);
		return EXIT_USAGE;
	}
	log_libbpf();
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!strcmp(argv[optind], cmds[i].name)) {
			int err = netns_cookie(&netns);

			if (!err)
				err = netns_pin_root_of(netns, pin_root, sizeof(pin_root));
			if (err) {
				pr_err(argv[optind], "this network namespace's cookie: %s",
				       strerror(-err));
				return EXIT_FAIL;
			}
			argc -= optind;
			argv += optind;
			optind = 0;	/* restart getopt for the command */
			return cmds[i].fn(argc, argv);
		}
	}
	pr_err(argv[optind], "no such command (see pcbgroupctl -h)");
	return EXIT_USAGE;
}
