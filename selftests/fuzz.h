/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the fuzz tests (cli_fuzz.c, pin_damage.c): run pcbgroupctl as
 * built with AddressSanitizer and UBSan, on groups of real echo servers, and
 * judge every run: no crash, no hang, no sanitizer report, exit 0, 1 or 2,
 * every stderr line "pcbgroupctl: ...", and nothing changed when it failed.
 *
 * An exec of an ASan binary costs ~35 ms of CPU before main(); thousands
 * of runs would not fit in CI.  So these tests are themselves built with
 * ASan and UBSan and linked with pcbgroupctl's objects (its main() renamed
 * pcbgroupctl_main by the Makefile), and each run is a forked child calling
 * it: the same instrumented code, a fork each.  Leak checks cost ~60 ms a
 * run: they are made on every LEAK_EVERY-th run, which is an exec of
 * $OUT/asan/pcbgroupctl itself with detect_leaks=1.
 */
#ifndef PCBG_SELFTESTS_FUZZ_H
#define PCBG_SELFTESTS_FUZZ_H

#include "lib.h"
#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <bpf/bpf.h>

#define RUN_TIMEOUT	10	/* seconds: a run that takes longer hangs */
#define LEAK_EVERY	50
#define OUT_MAX		(256 * 1024)

int pcbgroupctl_main(int argc, char **argv);

/* The test's own runs: reports abort, leaks are checked in the exec'd runs. */
const char *__asan_default_options(void)
{
	return "detect_leaks=0:abort_on_error=1";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:abort_on_error=1";
}

struct run {
	int status;		/* exit code, or -1 */
	int signal;		/* the signal that ended it, or 0 */
	int hung;		/* killed after RUN_TIMEOUT */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static inline void read_back(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * pcbgroupctl @argv (NULL ended, argv[0] the name): in a forked child, or
 * (@exec) as $OUT/asan/pcbgroupctl with leak detection.
 */
static inline void ctl_run(struct run *r, char *const *argv, int exec)
{
	static char *const env[] = {
		"ASAN_OPTIONS=detect_leaks=1:abort_on_error=1",
		"UBSAN_OPTIONS=print_stacktrace=1:abort_on_error=1",
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL,
	};
	int fo = memfd_create("out", 0), fe = memfd_create("err", 0), st, argc = 0;
	char path[PATH_MAX + 32];
	pid_t pid;

	while (argv[argc])
		argc++;
	snprintf(path, sizeof(path), "%s/asan/pcbgroupctl", build_dir());
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fo, 1);
		dup2(fe, 2);
		alarm(RUN_TIMEOUT);	/* kept across exec */
		if (exec) {
			execve(path, argv, env);
			_exit(127);
		}
		char **copy = calloc(argc + 1, sizeof(*copy));

		for (int i = 0; copy && i < argc; i++)	/* writable, as a real argv */
			copy[i] = strdup(argv[i]);
		exit(copy ? pcbgroupctl_main(argc, copy) : 127);
	}
	r->status = -1;
	r->signal = 0;
	r->hung = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid) {
		if (WIFEXITED(st))
			r->status = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			r->signal = WTERMSIG(st);
		r->hung = r->signal == SIGALRM;
	}
	read_back(fo, r->out, sizeof(r->out));
	read_back(fe, r->err, sizeof(r->err));
}

/* argv as one line, each argument quoted with C escapes, for the log. */
static inline const char *show_argv(char *const *argv)
{
	static char buf[2048];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; argv[i] && len < sizeof(buf) - 64; i++) {
		const unsigned char *p = (const unsigned char *)argv[i];

		len += snprintf(buf + len, sizeof(buf) - len, "%s'", i ? " " : "");
		for (; *p && len < sizeof(buf) - 64; p++)
			len += snprintf(buf + len, sizeof(buf) - len,
					*p < 0x20 || *p >= 0x7f || *p == '\'' ? "\\x%02x" : "%c",
					*p);
		len += snprintf(buf + len, sizeof(buf) - len, "'");
	}
	return buf;
}

/*
 * What a user may see of any run: exit 0, 1 or 2, in time, no sanitizer
 * report, every stderr line "pcbgroupctl: ..." (libbpf's own with -v).
 * Returns NULL or what is wrong.
 */
static inline const char *judge_run(const struct run *r, int verbose)
{
	const char *line, *nl;

	if (r->hung)
		return "hang";
	if (r->signal)
		return "crash (signal)";
	if (strstr(r->err, "Sanitizer") || strstr(r->err, "runtime error"))
		return "sanitizer report";
	if (r->status < 0 || r->status > 2)
		return "exit status not 0, 1 or 2";
	for (line = r->err; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return "stderr ends without a newline";
		if (strncmp(line, "pcbgroupctl: ", 13) &&
		    !(verbose && !strncmp(line, "libbpf: ", 8)))
			return "stderr line without the pcbgroupctl: prefix";
	}
	return NULL;
}

/* Hex of a map's entry @key, if pin @path is a map of @value_size. */
static inline void snap_map(char **p, char *end, const char *path, __u32 value_size,
			    __u32 key)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), i;
	unsigned char val[256];
	int fd = bpf_obj_get(path);

	if (fd < 0) {
		*p += snprintf(*p, end - *p, " -");
		return;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.value_size != value_size ||
	    info.type != BPF_MAP_TYPE_ARRAY || value_size > sizeof(val) ||
	    bpf_map_lookup_elem(fd, &key, val)) {
		*p += snprintf(*p, end - *p, " ?");
	} else {
		*p += snprintf(*p, end - *p, " ");
		for (i = 0; i < value_size && *p < end - 3; i++)
			*p += snprintf(*p, end - *p, "%02x", val[i]);
	}
	close(fd);
}

/*
 * Everything a command may change, as text: the groups pinned, the pins of
 * each, their config, group fields and the first @slots slot records.
 */
static inline void snapshot(char *buf, size_t size, int slots)
{
	char *p = buf, *end = buf + size - 1, path[2 * PATH_MAX];
	struct dirent **groups, **pins;
	int n, m, i, k;

	buf[0] = '\0';
	const char *root = netns_pin_root();

	n = scandir(root, &groups, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *g = groups[i]->d_name;

		if (g[0] == '.')
			goto next;
		p += snprintf(p, end - p, "group %s:", g);
		snprintf(path, sizeof(path), "%s/%s", root, g);
		m = scandir(path, &pins, NULL, alphasort);
		for (k = 0; k < m; k++) {
			if (pins[k]->d_name[0] != '.')
				p += snprintf(p, end - p, " %s", pins[k]->d_name);
			free(pins[k]);
		}
		if (m >= 0)
			free(pins);
		snprintf(path, sizeof(path), "%s/%s/%s", root, g, PCBG_MAP_CFG);
		snap_map(&p, end, path, sizeof(struct pcbg_config), 0);
		snprintf(path, sizeof(path), "%s/%s/%s", root, g, PCBG_MAP_GROUP);
		snap_map(&p, end, path, sizeof(struct pcbg_group_info), 0);
		snprintf(path, sizeof(path), "%s/%s/%s", root, g, PCBG_MAP_SLOTS);
		for (k = 0; k < slots; k++)
			snap_map(&p, end, path, sizeof(struct pcbg_slot), k);
		p += snprintf(p, end - p, "\n");
next:
		free(groups[i]);
	}
	if (n >= 0)
		free(groups);
}

/* xorshift64*: the same vectors for the same seed. */
static inline __u64 fuzz_rand(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static inline __u64 fuzz_seed(void)
{
	const char *e = getenv("PCBG_FUZZ_SEED");

	return e ? strtoull(e, NULL, 0) : 0x9cb5e11a2026ULL;
}

#endif
