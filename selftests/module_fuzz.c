// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko under random input, in each guest kernel: 6,000 sysctl writes,
 * registration ioctls and odd table reads, after each of which every
 * registered group's config map equals the knobs; 2,000 register and close
 * cycles that leave no group and no map behind; and a kernel log without a
 * warning at the end.  The inputs come from a fixed seed (PCBG_FUZZ_SEED
 * overrides it), printed so that a failure can be replayed.
 */
#include "modlib.h"
#include "knobs.h"

#define FUZZ_INPUTS	6000
#define LEAK_CYCLES	2000
#define SPARE_SETS	3

static __u64 rng_state;

static __u32 rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545F4914F6CDD1DULL) >> 32;
}

static __u32 below(__u32 n)
{
	return ((__u64)rnd() * n) >> 32;
}

static void seed_rng(struct __test_metadata *_metadata)
{
	const char *s = getenv("PCBG_FUZZ_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : 0x9cb6a3d1f00dULL;
	if (!rng_state)
		rng_state = 1;
	TH_LOG("seed %#llx", (unsigned long long)rng_state);
}

/* The config value a knob's text stands for, or -1 if it is not one. */
static long knob_config_value(const struct knob *k, const char *text)
{
	long v;

	for (v = 0; k->kind == PCBG_KNOB_NAME && v <= k->max; v++)
		if (!strcmp(text, k->names[v]))
			return v;
	if (k->kind == PCBG_KNOB_NAME)
		return -1;
	v = strtol(text, NULL, 10);
	return v < 0 ? pcbg_cpu_bits_auto() : v;	/* cpu_bits auto */
}

static __u32 config_field(const struct pcbg_config *cfg, const struct knob *k)
{
	return *(const __u32 *)((const char *)cfg + k->offset);
}

/* A value for knob @k: in its domain (*valid = 1), or anything. */
static void random_value(const struct knob *k, char *buf, size_t size, int *valid)
{
	static const char junk[] = " \t\n-+0123456789xabcdefmoduloHASH-,.=\\\"'";
	const char *const *names = knob_find("algorithm")->names;
	char d[16];
	int n, i;

	*valid = 0;
	switch (below(8)) {
	case 0: case 1: case 2:	/* in the domain, as a user would write it */
		*valid = 1;
		snprintf(buf, size, "%s", knob_value(k, k->min + below(k->max - k->min + 1),
						     d, sizeof(d)));
		if (below(2))
			strncat(buf, "\n", size - strlen(buf) - 1);
		break;
	case 3:	/* numbers around and past the bounds */
		snprintf(buf, size, "%lld", (long long)(__s32)rnd() >> below(32));
		break;
	case 4:	/* a name with a change */
		snprintf(buf, size, "%s", names[below(PCBG_ALGO_NR)]);
		buf[below(strlen(buf))] = junk[below(sizeof(junk) - 1)];
		break;
	case 5:	/* long */
		n = 40 + below(200);
		for (i = 0; i < n && i < (int)size - 1; i++)
			buf[i] = junk[below(sizeof(junk) - 1)];
		buf[i] = '\0';
		break;
	default:	/* short junk */
		n = below(12);
		for (i = 0; i < n; i++)
			buf[i] = junk[below(sizeof(junk) - 1)];
		buf[n] = '\0';
	}
}

struct fuzz {
	struct hand_maps group;		/* registered: id 1 */
	struct hand_maps spare[SPARE_SETS];	/* right, each with a socket */
	struct hand_maps wrong;		/* each map wrong in turn (below) */
	int pool[64];			/* every fd the requests draw from */
	int npool;
	char knobs[KNOBS_NR][256];	/* the knobs as last read */
};

static int read_knobs(struct fuzz *f)
{
	for (int k = 0; k < KNOBS_NR; k++)
		if (knob_read(knobs[k].name, f->knobs[k], sizeof(f->knobs[k])))
			return -1;
	return 0;
}

/* Does the group's config hold the knobs?  Returns the first knob that differs, or -1. */
static int config_mismatch(struct fuzz *f)
{
	struct pcbg_config cfg;

	if (maps_config(&f->group, &cfg))
		return KNOBS_NR;
	for (int k = 0; k < KNOBS_NR; k++)
		if (knob_config_value(&knobs[k], f->knobs[k]) !=
		    (long)config_field(&cfg, &knobs[k]))
			return k;
	return -1;
}

static int random_fd(struct fuzz *f, int role)
{
	switch (below(10)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return f->spare[below(SPARE_SETS)].fd[role];
	case 6:
		return f->group.fd[role];
	default:
		return f->pool[below(f->npool)];
	}
}

/* One random registration request; its result must be one documented. */
static int fuzz_register(struct fuzz *f, int ctl, int *ok)
{
	struct pcbg_register reg = {};
	__s32 *fds[HAND_MAPS] = {
		&reg.cfg_fd, &reg.group_fd, &reg.socks_fd, &reg.slots_fd,
		&reg.slot_cnt_fd, &reg.stats_fd, &reg.cpu_cnt_fd, &reg.cpu_slots_fd,
		&reg.load_fd,
	};
	int i, err, whole = below(3) == 0;
	int set = below(SPARE_SETS);

	reg.abi = below(8) ? PCBG_ABI_VERSION : rnd() % 4;
	for (i = 0; i < HAND_MAPS; i++)
		*fds[i] = whole ? f->spare[set].fd[i] : random_fd(f, i);
	if (whole && below(2))		/* one field changed */
		*fds[below(HAND_MAPS)] = random_fd(f, below(HAND_MAPS));
	switch (below(6)) {
	case 0:
		reg.id = 1;		/* taken */
		break;
	case 1:
		reg.id = rnd();
		break;
	case 2:
		reg.id = 2 + below(4);
		break;
	default:
		reg.id = 0;
	}
	if (!below(10))
		reg.__pad[below(6)] = rnd() | 1;
	if (ioctl(ctl, PCBG_IOC_REGISTER, &reg) == 0) {
		*ok = 1;
		return unregister_group(reg.id);
	}
	err = errno;
	switch (err) {
	case EINVAL: case EBADF: case EPERM: case EXDEV: case ENOENT:
	case EEXIST: case EADDRINUSE: case ENOSPC:
		return 0;
	}
	return -err;
}

/* Other ioctls: unknown commands, unregistering what is not there, bad pointers. */
static int fuzz_other_ioctl(int ctl)
{
	__u32 id = 2 + below(1000);

	switch (below(3)) {
	case 0:
		return ioctl(ctl, _IOC(below(4), below(256), below(256), below(128)), &id) &&
		       errno == ENOTTY ? 0 : -EPROTO;
	case 1:
		return ioctl(ctl, PCBG_IOC_UNREGISTER, &id) && errno == ENOENT ? 0 : -EPROTO;
	default:
		return ioctl(ctl, below(2) ? PCBG_IOC_REGISTER : PCBG_IOC_UNREGISTER,
			     (void *)(unsigned long)(below(2) ? 8 : -4096UL)) &&
		       errno == EFAULT ? 0 : -EPROTO;
	}
}

/* A read of a table at an odd offset and size: never an error. */
static int fuzz_table_read(void)
{
	static const char *const tables[] = { "groups", "sockets", "cpus" };
	char path[128], buf[4096];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PROC_DIR "/%s", tables[below(3)]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (pread(fd, buf, 1 + below(sizeof(buf)), below(4096)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int make_set_with_socket(struct hand_maps *m)
{
	int sock, err = make_maps(m, -1);

	if (err)
		return err;
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	if (sock < 0)
		return sock;
	return maps_add_socket(m, below(HAND_CAPACITY), sock);
}

static void fill_pool(struct fuzz *f)
{
	int i, k, p[2];

	for (k = 0; k < SPARE_SETS; k++)
		for (i = 0; i < HAND_MAPS; i++)
			f->pool[f->npool++] = f->spare[k].fd[i];
	for (i = 0; i < HAND_MAPS; i++) {
		f->pool[f->npool++] = f->group.fd[i];
		f->pool[f->npool++] = f->wrong.fd[i];
	}
	if (!pipe(p)) {
		f->pool[f->npool++] = p[0];
		f->pool[f->npool++] = p[1];
	}
	f->pool[f->npool++] = socket(AF_INET, SOCK_DGRAM, 0);
	f->pool[f->npool++] = open("/dev/null", O_RDWR);
	f->pool[f->npool++] = -1;
	f->pool[f->npool++] = 1000;	/* not open */
	f->pool[f->npool++] = INT_MAX;
}

/*
 * Random sysctl writes, registrations, other ioctls and table reads; after
 * each, the registered group's config equals the knobs, a refused write
 * left its knob alone, and a request got a documented answer.
 */
TEST_F_TIMEOUT(netns, sysctl_and_registration_fuzz, 600)
{
	int i, k, ctl, valid, ret, mism, writes = 0, refused = 0, regs = 0, regs_ok = 0;
	static struct fuzz f;
	char value[256], before[256], log[8192];
	struct groups_row rows[4];

	REQUIRE_MODULE();
	seed_rng(_metadata);
	ASSERT_EQ(0, make_set_with_socket(&f.group));
	for (k = 0; k < SPARE_SETS; k++)
		ASSERT_EQ(0, make_set_with_socket(&f.spare[k]));
	for (k = 0; k < HAND_MAPS; k++) {	/* map k of set k is wrong */
		struct hand_maps w;

		ASSERT_EQ(0, make_maps(&w, k));
		f.wrong.fd[k] = w.fd[k];
	}
	fill_pool(&f);
	ASSERT_EQ(1, register_maps(&f.group, PCBG_ABI_VERSION, 0));
	ctl = open(PROC_DIR "/" PCBG_PROC_CONTROL, O_RDONLY);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, read_knobs(&f));
	ASSERT_EQ(-1, config_mismatch(&f));

	for (i = 0; i < FUZZ_INPUTS; i++) {
		switch (below(10)) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			k = below(KNOBS_NR);
			random_value(&knobs[k], value, sizeof(value), &valid);
			strcpy(before, f.knobs[k]);
			ret = knob_write(knobs[k].name, value);
			writes++;
			ASSERT_EQ(0, knob_read(knobs[k].name, f.knobs[k], sizeof(f.knobs[k])));
			if (valid) {
				ASSERT_EQ(0, ret) TH_LOG("%s = '%s'", knobs[k].name, value);
				value[strcspn(value, "\n")] = '\0';
				ASSERT_STREQ(value, f.knobs[k]);
			} else if (ret) {
				refused++;
				ASSERT_EQ(-EINVAL, ret) TH_LOG("%s = '%s'", knobs[k].name, value);
				ASSERT_STREQ(before, f.knobs[k]) TH_LOG("'%s'", value);
			}
			break;
		case 6: case 7: case 8:
			regs++;
			valid = 0;
			ASSERT_EQ(0, fuzz_register(&f, ctl, &valid)) TH_LOG("input %d", i);
			regs_ok += valid;
			break;
		case 9:
			ret = below(2) ? fuzz_other_ioctl(ctl) : fuzz_table_read();
			ASSERT_EQ(0, ret) TH_LOG("input %d", i);
		}
		mism = config_mismatch(&f);
		ASSERT_EQ(-1, mism) TH_LOG("input %d: knob %s is '%s'", i,
					   mism < KNOBS_NR ? knobs[mism].name : "?",
					   mism < KNOBS_NR ? f.knobs[mism] : "");
		if (i % 500 == 0) {	/* the model of the knobs is the kernel's */
			char again[KNOBS_NR][256];

			memcpy(again, f.knobs, sizeof(again));
			ASSERT_EQ(0, read_knobs(&f));
			ASSERT_EQ(0, memcmp(again, f.knobs, sizeof(again)));
		}
	}
	TH_LOG("%d inputs: %d knob writes (%d refused), %d registrations (%d accepted)",
	       FUZZ_INPUTS, writes, refused, regs, regs_ok);
	EXPECT_LT(100, refused);
	EXPECT_LT(10, regs_ok);
	ASSERT_EQ(1, groups_rows(rows, 4));
	EXPECT_EQ(1, rows[0].id);
	close(ctl);
	ASSERT_EQ(0, kernel_log_errors(log, sizeof(log)));
	EXPECT_STREQ("", log);
}

/*
 * 2,000 groups registered and closed, some unregistered first, each also
 * refused once as a duplicate: no group stays, and every map goes.
 */
TEST_F_TIMEOUT(netns, register_close_cycles_leak_nothing, 600)
{
	int i, base, id, sock, after;
	struct groups_row rows[4];
	struct hand_maps m;
	char log[8192];

	REQUIRE_MODULE();
	ASSERT_EQ(0, groups_rows(rows, 4));
	base = bpf_map_count();
	ASSERT_LE(0, base);
	for (i = 0; i < LEAK_CYCLES; i++) {
		ASSERT_EQ(0, make_maps(&m, -1));
		sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_LE(0, sock);
		ASSERT_EQ(0, maps_add_socket(&m, i % HAND_CAPACITY, sock));
		id = register_maps(&m, PCBG_ABI_VERSION, 0);
		ASSERT_LT(0, id) TH_LOG("cycle %d", i);
		if (!i)	/* the count sees maps */
			ASSERT_LE(base + HAND_MAPS, bpf_map_count());
		ASSERT_EQ(-EEXIST, register_maps(&m, PCBG_ABI_VERSION, 0));
		if (i % 2)
			ASSERT_EQ(0, unregister_group(id));
		close_maps(&m);
		close(sock);
	}
	/* a read drops the groups no one holds any more */
	EXPECT_EQ(0, groups_rows(rows, 4));
	after = bpf_map_count_settled(base);
	TH_LOG("%d cycles: %d BPF maps before, %d after", LEAK_CYCLES, base, after);
	EXPECT_EQ(base, after);
	ASSERT_EQ(0, kernel_log_errors(log, sizeof(log)));
	EXPECT_STREQ("", log);
}

TEST_HARNESS_MAIN
