// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl under 2,000+ argument vectors, well formed and not (options
 * unknown, values missing, out of range, with newlines and escapes, random
 * bytes), on three groups of real servers, run with ASan and UBSan (see
 * fuzz.h): no crash, no hang, no sanitizer report, exit 0, 1 or 2, every
 * error line one line with the prefix, and a run that fails changes no
 * group.  PCBG_FUZZ_SEED=N runs other vectors, PCBG_FUZZ_VECTORS=N
 * fewer or more.
 */
#include "fuzz.h"

#define VECTORS		2000
#define GROUPS		3
#define SNAP_MAX	16384

static const char *const commands[] = {
	"show", "set", "pin", "drain", "undrain", "rebalance", "detach", "attach",
	"", "frob", "SHOW", "show\n", "-", "--", "help", "set=1",
};

static const char *const global_opts[] = {
	"-v", "-vv", "-x", "--verbose", "--bogus", "-", "--help=1", "-hx", "-v\n",
};

static const char *const ids[] = {
	"1", "2", "3", "0", "-1", "4", "99", "4294967295", "4294967296",
	"18446744073709551616", "1x", " 1", "", "abc", "0x1", "+1", "1e3", "\n",
	"1\n", "01", "\x1b[31m1", "65536",
};

static const char *const slots[] = {
	"0", "1", "2", "3", "63", "64", "65535", "-1", "4294967295", "x", "", "1 ",
};

static const char *const cpus[] = {
	"0", "1", "none", "-1", "4096", "2147483647", "2147483648", "NONE", "1.5", "",
};

static const char *const knobs[] = {
	"algorithm=modulo", "algorithm=hash-threshold", "algorithm=cpu",
	"algorithm=maglev", "algorithm=random", "algorithm=", "=modulo", "=",
	"algorithm==modulo", "cpu_bits=-1", "cpu_bits=0", "cpu_bits=16",
	"cpu_bits=17", "cpu_bits=-2", "max_group_size=1", "max_group_size=32768",
	"max_group_size=0", "max_group_size=32769", "max_group_size=99999999999",
	"stats=0", "stats=1", "stats=2", "samples=1", "samples=0", "samples=2",
	"samples=", "hash_fields=2tuple", "hash_fields=4tuple", "hash_fields=3tuple",
	"migrate=0", "migrate=1", "tcp_reuseport_ext=1", "udp_reuseport_ext=1",
	"udp_reuseport_ext=0x1", "colour=blue", "a\nb=c", "stats=1\n",
	"algorithm=modulo\n", "algorithm", "samples", "\x7f=\x7f",
};

static const char *const options[] = {
	"--group", "--group=1", "--group=2", "--group=9", "--group=", "-j", "--json",
	"--cpus", "--samples", "--all", "--all=1", "--pid", "--port", "--proto",
	"--capacity", "--help", "-h", "--", "-", "--x", "-jx", "-g", "--gr", "--js",
	"--pid=999999", "--port=0", "--port=65536", "--proto=sctp", "--proto=udp",
	"--capacity=0", "--capacity=32769", "--capacity=8",
};

static const char *const misc[] = {
	"999999", "4194305", "2147483648", "udp", "tcp", "80", "65535", "0",
};

/* An entry of @a (@bytes long); with @k, half the time one of the first @k. */
static const char *pick(const char *const *a, size_t bytes, size_t k, __u64 *seedp)
{
	size_t n = bytes / sizeof(*a);

	if (k && fuzz_rand(seedp) % 2)
		n = k;
	return a[fuzz_rand(seedp) % n];
}

#define PICK(a) pick(a, sizeof(a), 0, &seed)
/* the usual values: the first @k */
#define USUAL(a, k) pick(a, sizeof(a), k, &seed)

/* A random string of 0-24 bytes 1-255. */
static char *random_bytes(char *buf, __u64 *seedp)
{
	int n = fuzz_rand(seedp) % 25, i;

	for (i = 0; i < n; i++)
		buf[i] = 1 + fuzz_rand(seedp) % 255;
	buf[n] = '\0';
	return buf;
}

/* Any token of any pool, or random bytes into @buf. */
static const char *any_token(char *buf, char pids[][16], __u64 *seedp)
{
	__u64 seed = fuzz_rand(seedp);
	const char *a;

	switch (fuzz_rand(&seed) % 9) {
	case 0:
		a = PICK(ids);
		break;
	case 1:
		a = PICK(slots);
		break;
	case 2:
		a = PICK(cpus);
		break;
	case 3:
		a = PICK(knobs);
		break;
	case 4:
		a = PICK(options);
		break;
	case 5:
		a = pids[fuzz_rand(&seed) % GROUPS];
		break;
	case 6:
		a = PICK(misc);
		break;
	case 7:
		a = PICK(global_opts);
		break;
	default:
		a = random_bytes(buf, &seed);
	}
	*seedp ^= seed;
	return a;
}

/* The arguments @cmd expects, drawn from its pools; returns the new argc. */
static int well_formed(char **argv, int argc, const char *cmd, char pids[][16],
		       __u64 *seedp)
{
	static const char *const show_opts[] = { "-j", "--json", "--cpus", "--samples" };
	static const char *const protos[] = { "udp", "tcp", "sctp", "" };
	__u64 seed = fuzz_rand(seedp);
	int i;

	if (!strcmp(cmd, "show")) {
		for (i = fuzz_rand(&seed) % 3; i > 0; i--)
			argv[argc++] = (char *)PICK(show_opts);
		if (fuzz_rand(&seed) % 2)
			argv[argc++] = (char *)USUAL(ids, 3);
	} else if (!strcmp(cmd, "set")) {
		if (fuzz_rand(&seed) % 3 == 0) {
			argv[argc++] = "--group";
			argv[argc++] = (char *)USUAL(ids, 3);
		}
		for (i = 1 + fuzz_rand(&seed) % 3; i > 0; i--)
			argv[argc++] = (char *)USUAL(knobs, 34);
	} else if (!strcmp(cmd, "pin")) {
		argv[argc++] = (char *)USUAL(ids, 3);
		argv[argc++] = (char *)USUAL(slots, 2);
		argv[argc++] = (char *)USUAL(cpus, 3);
	} else if (!strcmp(cmd, "drain") || !strcmp(cmd, "undrain")) {
		argv[argc++] = (char *)USUAL(ids, 3);
		argv[argc++] = (char *)USUAL(slots, 2);
	} else if (!strcmp(cmd, "rebalance")) {
		argv[argc++] = (char *)USUAL(ids, 3);
	} else if (!strcmp(cmd, "detach")) {
		/* mostly groups that do not exist: a detach costs an attach again */
		argv[argc++] = fuzz_rand(&seed) % 4 ? (char *)PICK(misc) :
			       fuzz_rand(&seed) % 8 ? (char *)PICK(ids) : "--all";
	} else if (!strcmp(cmd, "attach")) {
		argv[argc++] = "--pid";
		argv[argc++] = fuzz_rand(&seed) % 2 ? pids[fuzz_rand(&seed) % GROUPS] :
			       (char *)PICK(misc);
		if (fuzz_rand(&seed) % 2) {
			argv[argc++] = "--proto";
			argv[argc++] = (char *)PICK(protos);
		}
		if (fuzz_rand(&seed) % 2) {
			argv[argc++] = "--port";
			argv[argc++] = (char *)PICK(misc);
		}
	}
	*seedp ^= seed;
	return argc;
}

FIXTURE(fuzz) {
	pid_t servers[GROUPS];
	char pids[GROUPS][16];
	char before[SNAP_MAX], after[SNAP_MAX];
	struct run run;
};

FIXTURE_SETUP(fuzz)
{
	static const char *const proto[GROUPS] = { "udp", "tcp", "udp" };
	char *argv[8];
	int i;

	ASSERT_EQ(0, setup_namespaces());
	for (i = 0; i < GROUPS; i++) {
		self->servers[i] = start_echo_server("", NULL, NULL, "-t %s -w 2 -p 0%s",
						     proto[i], i == 2 ? " -6" : "");
		ASSERT_LT(0, self->servers[i]);
		snprintf(self->pids[i], sizeof(self->pids[i]), "%d", self->servers[i]);
		argv[0] = "pcbgroupctl";
		argv[1] = "attach";
		argv[2] = "--pid";
		argv[3] = self->pids[i];
		argv[4] = "--capacity";
		argv[5] = "64";
		argv[6] = NULL;
		ctl_run(&self->run, argv, 0);
		ASSERT_EQ(0, self->run.status) TH_LOG("%s", self->run.err);
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < GROUPS; i++) {
		if (self->servers[i] > 0) {
			kill(self->servers[i], SIGKILL);
			waitpid(self->servers[i], NULL, 0);
		}
	}
}

/* Attach again the servers whose group a successful detach took away. */
static int reattach(struct __test_metadata *_metadata, char pids[][16], struct run *run)
{
	char dir[PATH_MAX], *argv[] = { "pcbgroupctl", "attach", "--pid", NULL, "--capacity",
				  "64", NULL };
	int i, n = 0;

	for (i = 0; i < GROUPS; i++) {
		group_pin_dir(dir, sizeof(dir), i + 1);
		if (!access(dir, F_OK))
			continue;
		argv[3] = pids[i];
		ctl_run(run, argv, 0);
		EXPECT_EQ(0, run->status) TH_LOG("reattach: %s", run->err);
		n++;
	}
	return n;
}

TEST_F_TIMEOUT(fuzz, argument_vectors, 600)
{
	int v, i, argc, verbose, failed = 0, bad = 0, exits[3] = {}, reattached = 0;
	char *argv[20], rnd[4][32];
	__u64 seed = fuzz_seed();
	const char *env = getenv("PCBG_FUZZ_VECTORS");
	int vectors = env ? atoi(env) : VECTORS;
	const char *why, *cmd;

	TH_LOG("seed %#llx", (unsigned long long)seed);
	snapshot(self->before, SNAP_MAX, 4);
	for (v = 0; v < vectors; v++) {
		int r = 0, cmd_at;

		argc = 0;
		verbose = 0;
		argv[argc++] = "pcbgroupctl";
		for (i = fuzz_rand(&seed) % 8 ? 0 : 1 + fuzz_rand(&seed) % 2; i > 0; i--) {
			const char *o = PICK(global_opts);

			verbose |= o[1] == 'v' || !strcmp(o, "--verbose");
			argv[argc++] = (char *)o;
		}
		cmd = fuzz_rand(&seed) % 10 ? commands[fuzz_rand(&seed) % 8] : PICK(commands);
		cmd_at = argc;
		argv[argc++] = (char *)cmd;
		argc = well_formed(argv, argc, cmd, self->pids, &seed);
		/* then 0-2 mutations: a token replaced, inserted or dropped */
		for (i = fuzz_rand(&seed) % 4 < 2 ? 0 : 1 + fuzz_rand(&seed) % 2;
		     i > 0 && argc < 14; i--) {
			int at = cmd_at + 1 + fuzz_rand(&seed) % (argc - cmd_at);
			const char *a = any_token(rnd[r++ % 4], self->pids, &seed);

			int how = fuzz_rand(&seed) % 3;

			if (at == argc && how != 1)
				how = 1;	/* past the end: only an insertion */
			if (how == 0) {
				argv[at] = (char *)a;
			} else if (how == 1) {
				memmove(&argv[at + 1], &argv[at], (argc - at) * sizeof(*argv));
				argv[at] = (char *)a;
				argc++;
			} else {
				memmove(&argv[at], &argv[at + 1], (argc - at - 1) * sizeof(*argv));
				argc--;
			}
		}
		argv[argc] = NULL;

		ctl_run(&self->run, argv, v % LEAK_EVERY == 0);
		why = judge_run(&self->run, verbose);
		if (!why && self->run.status) {
			snapshot(self->after, SNAP_MAX, 4);
			if (strcmp(self->before, self->after))
				why = "a failed run changed a group";
		}
		if (why) {
			bad++;
			TH_LOG("%s: %s (exit %d, signal %d)\nstderr: %.2000s", why, show_argv(argv),
			       self->run.status, self->run.signal, self->run.err);
			if (bad > 10)
				break;
		}
		if (getenv("PCBG_FUZZ_LOG"))
			fprintf(stderr, "%d %s: %.200s\n", self->run.status, show_argv(argv),
				self->run.err);
		if (self->run.status >= 0 && self->run.status <= 2)
			exits[self->run.status]++;
		failed += !!self->run.status;
		if (!self->run.status) {	/* it may change groups: the new state */
			reattached += reattach(_metadata, self->pids, &self->run);
			snapshot(self->before, SNAP_MAX, 4);
		}
	}
	TH_LOG("%d vectors: exit 0: %d, 1: %d, 2: %d; %d groups attached again; %d bad",
	       v, exits[0], exits[1], exits[2], reattached, bad);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(vectors, v);
	/* the vectors reach past argument parsing, both ways */
	EXPECT_LT(100, exits[0]);
	EXPECT_LT(100, exits[1]);
}

TEST_HARNESS_MAIN
