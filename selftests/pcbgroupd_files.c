// SPDX-License-Identifier: GPL-2.0
/*
 * The files pcbgroupd, running as root, reads and writes where others may
 * have put something: its declarations and its metrics file.  The daemon
 * here is the one built with ASan and UBSan (build/asan/pcbgroupd), so a
 * memory error fails the test too.
 *
 *     this test (own netns, bpffs, tmpfs on /run/pcbgroupd)
 *       `-- asan/pcbgroupd -c CONF [-p DIR/pcbgroup.prom -P 1]
 *     DIR: nobody's, who planted symbolic links to a file of root's
 *     CONF: root's, with a FIFO, a link, files of the wrong owner or mode
 */
#include "lib.h"

#include <grp.h>
#include <signal.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define NOBODY		65534
#define OUT_SZ		65536
#define PCBGD_RUN_DIR	"/run/pcbgroupd"
#define SECRET		"secret = hunter2\n"

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fchmod(fd, mode)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* The ASan daemon with @args (a string of options), its stderr into @log. */
static pid_t start_daemon(const char *log, const char *args)
{
	char cmd[PATH_MAX + 512];
	pid_t pid;
	int fd;

	snprintf(cmd, sizeof(cmd), "exec %s/asan/pcbgroupd %s", build_dir(), args);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGTERM, and the exit status: 0 is a clean stop (no sanitizer report). */
static int stop_daemon(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Wait up to 10 s for @needle to be seen @times in @path. */
static int wait_log(const char *path, const char *needle, int times)
{
	static char buf[OUT_SZ];
	const char *p;
	int i, n;

	for (i = 0; i < 1000; i++) {
		read_file(path, buf, sizeof(buf));
		for (n = 0, p = buf; (p = strstr(p, needle)); p++)
			n++;
		if (n >= times)
			return 0;
		usleep(10000);
	}
	return -1;
}

FIXTURE(files) {
	char conf[32];
	char prom_dir[32];
	char secret[32];
	char log[64];
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_SETUP(files)
{
	int fd;

	ASSERT_EQ(0, setup_namespaces());
	mkdir(PCBGD_RUN_DIR, 0755);
	ASSERT_EQ(0, mount("tmpfs", PCBGD_RUN_DIR, "tmpfs", 0, "mode=0755"));
	strcpy(self->conf, "/tmp/pcbgd-conf.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->conf));
	strcpy(self->prom_dir, "/tmp/pcbgd-prom.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->prom_dir));
	/* a file of root's that only root may read */
	strcpy(self->secret, "/tmp/pcbgd-secret.XXXXXX");
	fd = mkstemp(self->secret);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(SECRET), write(fd, SECRET, strlen(SECRET)));
	close(fd);
	snprintf(self->log, sizeof(self->log), "%s.log", self->secret);
}

FIXTURE_TEARDOWN(files)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s %s", self->conf, self->prom_dir,
		 self->secret, self->log);
	system(cmd);
}

/* As nobody, in a child: symbolic links named @names in @dir, to @target. */
static int plant_links(const char *dir, const char *target, const char *const *names, int n)
{
	char path[PATH_MAX];
	int status, i;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(1);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (symlink(target, path))
				_exit(2);
		}
		_exit(0);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * node_exporter's textfile directory, owned by another user, who made the
 * old temporary's name and the file's own symbolic links to a file of
 * root's: the daemon follows neither and writes through neither, replaces
 * the file with a regular one of root's, 0644, and leaves no temporary.
 */
TEST_F_TIMEOUT(files, metrics_file_follows_no_link_in_a_directory_of_others, 60)
{
	static const char *const planted[] = { "pcbgroup.prom.tmp", "pcbgroup.prom" };
	char prom[64], args[256], link[PATH_MAX], buf[OUT_SZ];
	struct dirent *e;
	struct stat st;
	int i, entries = 0;
	ssize_t n;
	pid_t daemon;
	DIR *d;

	ASSERT_EQ(0, chown(self->prom_dir, NOBODY, NOBODY));
	ASSERT_EQ(0, chmod(self->prom_dir, 0755));
	ASSERT_EQ(0, plant_links(self->prom_dir, self->secret, planted, 2));
	snprintf(prom, sizeof(prom), "%s/pcbgroup.prom", self->prom_dir);
	snprintf(args, sizeof(args), "-c %s -i 100 -p %s -P 1", self->conf, prom);
	daemon = start_daemon(self->log, args);
	ASSERT_LT(0, daemon);
	for (i = 0; i < 1000 && (lstat(prom, &st) || !S_ISREG(st.st_mode)); i++)
		usleep(10000);
	usleep(1500 * 1000);	/* and once more over its own file */
	EXPECT_EQ(0, stop_daemon(daemon)) {
		read_file(self->log, buf, sizeof(buf));
		TH_LOG("%s", buf);
	}

	read_file(self->secret, buf, sizeof(buf));
	EXPECT_STREQ(SECRET, buf) TH_LOG("root's file was written through a link");
	ASSERT_EQ(0, lstat(prom, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0644, st.st_mode & 07777);
	read_file(prom, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "# TYPE pcbgroup_events_total counter\n")) TH_LOG("%s", buf);
	/* the other link untouched, nothing else left there */
	snprintf(prom, sizeof(prom), "%s/%s", self->prom_dir, planted[0]);
	n = readlink(prom, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ(self->secret, link);
	d = opendir(self->prom_dir);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			entries++;
			TH_LOG("%s", e->d_name);
		}
	closedir(d);
	EXPECT_EQ(2, entries) TH_LOG("a temporary was left");
}

/*
 * Declarations that cannot be trusted are refused, each named with why,
 * none shown: a FIFO (which hung the check), a link to a file of root's, a
 * file of another owner, one others may write, one too large.  A duplicate
 * is reported at its port line, samples is a knob, and the good one loads.
 */
TEST_F_TIMEOUT(files, untrusted_declarations_are_refused_by_name, 60)
{
	static const struct {
		const char *file, *error;
	} refused[] = {
		{ "fifo.conf", "fifo.conf:0: not a regular file: refused" },
		{ "link.conf", "link.conf:0: a symbolic link: refused" },
		{ "others.conf", "others.conf:0: writable by group or others: refused" },
		{ "owner.conf", "owner.conf:0: not owned by root: refused" },
		{ "size.conf", "size.conf:0: larger than 65536 bytes: refused" },
		{ "z.conf", "z.conf:2: udp port 8080 is already declared by good" },
	};
	char path[PATH_MAX], line[256], *big;
	size_t i;

	ASSERT_EQ(0, write_file(self->conf, "good.conf",
				"port = 8080\nproto = udp\nprocess = echo_server\nsamples = 1\n",
				0644));
	snprintf(path, sizeof(path), "%s/fifo.conf", self->conf);
	ASSERT_EQ(0, mkfifo(path, 0644));
	snprintf(path, sizeof(path), "%s/link.conf", self->conf);
	ASSERT_EQ(0, symlink(self->secret, path));
	ASSERT_EQ(0, write_file(self->conf, "others.conf", SECRET, 0666));
	ASSERT_EQ(0, write_file(self->conf, "owner.conf", SECRET, 0644));
	snprintf(path, sizeof(path), "%s/owner.conf", self->conf);
	ASSERT_EQ(0, chown(path, NOBODY, NOBODY));
	big = malloc(70001);
	ASSERT_NE(NULL, big);
	memset(big, '#', 70000);
	big[70000] = '\0';
	ASSERT_EQ(0, write_file(self->conf, "size.conf", big, 0644));
	free(big);
	ASSERT_EQ(0, write_file(self->conf, "z.conf", "proto = udp\nport = 8080\nprocess = y\n",
				0644));

	/* bounded: a check that hangs fails here */
	EXPECT_EQ(1, run_cmd(self->out, OUT_SZ, self->err, OUT_SZ,
			     "timeout 20 %s/asan/pcbgroupd --check -c %s", build_dir(),
			     self->conf));
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		snprintf(line, sizeof(line), "pcbgroupd: %s/%s\n", self->conf, refused[i].error);
		EXPECT_NE(NULL, strstr(self->err, line)) TH_LOG("missing: %s", line);
	}
	EXPECT_EQ(NULL, strstr(self->err, "hunter2")) TH_LOG("a file's contents shown");
	snprintf(line, sizeof(line), "1 good, %zu bad declarations in %s\n",
		 ARRAY_SIZE(refused), self->conf);
	EXPECT_STREQ(line, self->out) TH_LOG("%s", self->err);
}

/* A directory that is not there, or that others may write to, is an error. */
TEST_F(files, check_of_a_missing_or_open_directory_fails)
{
	char line[256];

	EXPECT_EQ(1, run_cmd(self->out, OUT_SZ, self->err, OUT_SZ,
			     "%s/asan/pcbgroupd --check -c %s/typo", build_dir(), self->conf));
	snprintf(line, sizeof(line), "pcbgroupd: %s/typo: No such file or directory\n",
		 self->conf);
	EXPECT_STREQ(line, self->err);
	EXPECT_STREQ("", self->out);

	ASSERT_EQ(0, chmod(self->conf, 0777));
	EXPECT_EQ(1, run_cmd(self->out, OUT_SZ, self->err, OUT_SZ,
			     "%s/asan/pcbgroupd --check -c %s", build_dir(), self->conf));
	snprintf(line, sizeof(line), "pcbgroupd: %s: writable by group or others: refused\n",
		 self->conf);
	EXPECT_STREQ(line, self->err);
}

/* A FIFO among the declarations does not hang the start nor a reload. */
TEST_F_TIMEOUT(files, reload_with_a_fifo_goes_on, 60)
{
	char path[PATH_MAX], args[128], buf[OUT_SZ];
	pid_t daemon;

	ASSERT_EQ(0, write_file(self->conf, "good.conf",
				"port = 8080\nproto = udp\nprocess = echo_server\n", 0644));
	snprintf(path, sizeof(path), "%s/fifo.conf", self->conf);
	ASSERT_EQ(0, mkfifo(path, 0644));
	snprintf(args, sizeof(args), "-c %s -i 100", self->conf);
	daemon = start_daemon(self->log, args);
	ASSERT_LT(0, daemon);
	EXPECT_EQ(0, wait_log(self->log, "pcbgroupd: 1 declarations from", 1));
	kill(daemon, SIGHUP);
	EXPECT_EQ(0, wait_log(self->log, "pcbgroupd: 1 declarations from", 2));
	EXPECT_EQ(0, stop_daemon(daemon));
	read_file(self->log, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "fifo.conf:0: not a regular file: refused")) TH_LOG("%s", buf);
}

TEST_HARNESS_MAIN
