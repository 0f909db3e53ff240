// SPDX-License-Identifier: MIT
/*
 * igt_core.c - the ionode tests' IGT-compatible harness (see igt.h).
 *
 * Written for this project; it follows IGT's documented behaviour (command
 * line, result lines, exit codes, fixture semantics) but shares no code
 * with it.
 */
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "igt.h"

sigjmp_buf __igt_jmpbuf;

enum henceforth {
	HENCEFORTH_RUN = 0,	/* subtests run normally */
	HENCEFORTH_SKIP,	/* a fixture skipped: following subtests SKIP */
	HENCEFORTH_FAIL,	/* a fixture failed: following subtests FAIL */
};

#define MAX_GROUP_DEPTH		32
#define MAX_CHILDREN		256
#define MAX_SUBTEST_NAME	256

static const char *progname = "igt";
static bool list_only;
static bool debug_enabled;
static const char *run_filter;
static bool filter_matched;

static bool in_subtest;
static bool in_fixture;
static char subtest_name[MAX_SUBTEST_NAME];
static struct timespec subtest_start;

static enum henceforth henceforth;
static enum henceforth group_stack[MAX_GROUP_DEPTH];
static int group_depth;

static unsigned int n_pass, n_fail, n_skip;
static bool fixture_failed;
static bool main_skipped;

static bool is_child;
static pid_t children[MAX_CHILDREN];
static int n_children;

/* Names seen so far, to catch duplicated subtest names. */
static char **seen_names;
static size_t n_seen, seen_cap;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"  --list-subtests           list the subtests, one per line\n"
		"  --run-subtest NAME[,...]  run only the subtests matching NAME\n"
		"                            (glob patterns allowed)\n"
		"  --debug                   print debug messages\n"
		"  --help                    this text\n",
		progname);
}

static void internal_error(const char *fmt, ...) __igt_printf(1, 2);
static void internal_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "(%s) harness error: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(IGT_EXIT_INVALID);
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - subtest_start.tv_sec) +
	       (double)(now.tv_nsec - subtest_start.tv_nsec) / 1e9;
}

static void kill_children(void)
{
	int i;

	for (i = 0; i < n_children; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	n_children = 0;
}

/* End the running subtest with @result and return to its igt_subtest(). */
static __igt_noreturn void end_subtest(const char *result)
{
	kill_children();
	fflush(stderr);
	printf("Subtest %s: %s (%.3fs)\n", subtest_name, result, elapsed());
	fflush(stdout);
	in_subtest = false;
	siglongjmp(__igt_jmpbuf, 1);
}

/* Leave the running fixture, making the following subtests @how. */
static __igt_noreturn void end_fixture(enum henceforth how)
{
	henceforth = how;
	in_fixture = false;
	fflush(stdout);
	fflush(stderr);
	siglongjmp(__igt_jmpbuf, 1);
}

static void fatal_signal(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	/*
	 * The faults this catches come from the test touching a buffer
	 * mapping, not from inside libc, so reporting with stdio and
	 * jumping out is good enough for a test harness.
	 */
	if (!is_child && (in_subtest || in_fixture)) {
		__igt_fail_assert("(signal)", 0, "signal handler", 0,
				  "no fatal signal in the test",
				  "caught signal %d (%s) at address %p\n", sig,
				  strsignal(sig), info->si_addr);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fatal_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

void __igt_init(int argc, char **argv)
{
	int i;

	if (argc > 0 && argv[0]) {
		const char *slash = strrchr(argv[0], '/');

		progname = slash ? slash + 1 : argv[0];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--list-subtests") == 0) {
			list_only = true;
		} else if (strcmp(a, "--run-subtest") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --run-subtest needs a name\n",
					progname);
				usage(stderr);
				exit(IGT_EXIT_INVALID);
			}
			run_filter = argv[++i];
		} else if (strncmp(a, "--run-subtest=", 14) == 0) {
			run_filter = a + 14;
		} else if (strcmp(a, "--debug") == 0 ||
			   strncmp(a, "--debug=", 8) == 0) {
			debug_enabled = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(IGT_EXIT_SUCCESS);
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n", progname,
				a);
			usage(stderr);
			exit(IGT_EXIT_INVALID);
		}
	}
	if (run_filter && !*run_filter) {
		fprintf(stderr, "%s: empty --run-subtest\n", progname);
		exit(IGT_EXIT_INVALID);
	}
	if (getenv("IGT_LOG_LEVEL") && !strcmp(getenv("IGT_LOG_LEVEL"), "debug"))
		debug_enabled = true;

	install_signal_handlers();
}

bool igt_only_list_subtests(void)
{
	return list_only;
}

/* Does @name match one of the comma-separated globs of --run-subtest? */
static bool filter_match(const char *name)
{
	const char *p = run_filter;

	while (*p) {
		char pat[MAX_SUBTEST_NAME];
		size_t len = strcspn(p, ",");

		if (len < sizeof(pat)) {
			memcpy(pat, p, len);
			pat[len] = '\0';
			if (fnmatch(pat, name, 0) == 0)
				return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static void check_name(const char *name)
{
	const char *c;
	size_t i;

	if (!*name || strlen(name) >= MAX_SUBTEST_NAME)
		internal_error("bad subtest name length: '%s'\n", name);
	for (c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			internal_error("invalid character in subtest name '%s'\n",
				       name);
	}
	for (i = 0; i < n_seen; i++)
		if (strcmp(seen_names[i], name) == 0)
			internal_error("duplicate subtest name '%s'\n", name);
	if (n_seen == seen_cap) {
		seen_cap = seen_cap ? seen_cap * 2 : 64;
		seen_names = realloc(seen_names, seen_cap * sizeof(*seen_names));
		if (!seen_names)
			internal_error("out of memory\n");
	}
	seen_names[n_seen] = strdup(name);
	if (!seen_names[n_seen])
		internal_error("out of memory\n");
	n_seen++;
}

const char *__igt_subtest_name(const char *fmt, ...)
{
	static char buf[MAX_SUBTEST_NAME];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

bool __igt_run_subtest(const char *name)
{
	if (in_subtest || in_fixture)
		internal_error("subtest '%s' nested in a %s\n", name,
			       in_subtest ? "subtest" : "fixture");
	if (is_child)
		internal_error("subtest '%s' inside igt_fork()\n", name);
	check_name(name);

	if (list_only) {
		printf("%s\n", name);
		return false;
	}
	if (run_filter && !filter_match(name))
		return false;
	filter_matched = true;

	if (henceforth != HENCEFORTH_RUN) {
		bool fail = henceforth == HENCEFORTH_FAIL;

		printf("Subtest %s: %s (0.000s)\n", name, fail ? "FAIL" : "SKIP");
		if (fail)
			n_fail++;
		else
			n_skip++;
		return false;
	}

	snprintf(subtest_name, sizeof(subtest_name), "%s", name);
	printf("Starting subtest: %s\n", subtest_name);
	fflush(stdout);
	in_subtest = true;
	errno = 0;
	clock_gettime(CLOCK_MONOTONIC, &subtest_start);
	return true;
}

void __igt_subtest_success(void)
{
	if (n_children)
		internal_error("subtest '%s' ended without igt_waitchildren()\n",
			       subtest_name);
	n_pass++;
	end_subtest("SUCCESS");
}

bool __igt_fixture_begin(void)
{
	if (list_only || henceforth != HENCEFORTH_RUN)
		return false;
	if (in_subtest || in_fixture)
		internal_error("fixture nested in a %s\n",
			       in_subtest ? "subtest" : "fixture");
	in_fixture = true;
	return true;
}

void __igt_fixture_end(void)
{
	in_fixture = false;
}

int __igt_group_enter(void)
{
	if (group_depth >= MAX_GROUP_DEPTH)
		internal_error("igt_subtest_group nested too deep\n");
	group_stack[group_depth++] = henceforth;
	return 1;
}

int __igt_group_leave(void)
{
	henceforth = group_stack[--group_depth];
	return 0;
}

void igt_exit(void)
{
	fflush(stderr);
	if (list_only)
		exit(IGT_EXIT_SUCCESS);

	if (!main_skipped && run_filter && !filter_matched) {
		fprintf(stderr, "%s: unknown subtest: %s\n", progname,
			run_filter);
		exit(IGT_EXIT_INVALID);
	}

	if (n_pass + n_fail + n_skip)
		printf("%s: %u passed, %u failed, %u skipped\n", progname,
		       n_pass, n_fail, n_skip);
	fflush(stdout);

	if (n_fail || fixture_failed)
		exit(IGT_EXIT_FAILURE);
	if (n_pass)
		exit(IGT_EXIT_SUCCESS);
	if (n_skip || main_skipped)
		exit(IGT_EXIT_SKIP);
	exit(IGT_EXIT_SUCCESS);
}

/* Common tail of every skip. */
static __igt_noreturn void do_skip(void)
{
	if (is_child) {
		fflush(NULL);
		_exit(IGT_EXIT_SKIP);
	}
	if (in_subtest) {
		n_skip++;
		end_subtest("SKIP");
	}
	if (in_fixture)
		end_fixture(HENCEFORTH_SKIP);
	/* In the main body: nothing after this can run. */
	main_skipped = true;
	igt_exit();
}

void igt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	do_skip();
}

void __igt_skip_check(const char *file, int line, const char *func,
		      const char *cond, const char *fmt, ...)
{
	va_list ap;

	printf("Test requirement not met in function %s, file %s:%d:\n",
	       func, file, line);
	printf("Test requirement: %s\n", cond);
	if (fmt) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	do_skip();
}

void igt_fail(int exitcode)
{
	if (is_child) {
		fflush(NULL);
		_exit(exitcode);
	}
	if (in_subtest) {
		n_fail++;
		end_subtest("FAIL");
	}
	if (in_fixture) {
		fixture_failed = true;
		end_fixture(HENCEFORTH_FAIL);
	}
	fixture_failed = true;
	igt_exit();
}

void __igt_fail_assert(const char *file, int line, const char *func, int err,
		       const char *cond, const char *fmt, ...)
{
	va_list ap;
	int pid = (int)getpid();

	fflush(stdout);
	fprintf(stderr, "(%s:%d) CRITICAL: Test assertion failure function %s, "
		"file %s:%d:\n", progname, pid, func, file, line);
	fprintf(stderr, "(%s:%d) CRITICAL: Failed assertion: %s\n", progname,
		pid, cond);
	if (err)
		fprintf(stderr, "(%s:%d) CRITICAL: Last errno: %d, %s (%s)\n",
			progname, pid, err, strerror(err), igt_errno_name(err));
	if (fmt) {
		fprintf(stderr, "(%s:%d) CRITICAL: ", progname, pid);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	if (in_subtest && !is_child)
		fprintf(stderr, "(%s:%d) CRITICAL: in subtest %s\n", progname,
			pid, subtest_name);
	fflush(stderr);
	igt_fail(IGT_EXIT_FAILURE);
}

int igt_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

const char *igt_errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "E?";
}

bool __igt_fork(void)
{
	pid_t pid;

	if (!in_subtest)
		internal_error("igt_fork() outside a subtest\n");
	if (n_children >= MAX_CHILDREN)
		internal_error("too many children\n");

	fflush(NULL);
	pid = fork();
	igt_assert_f(pid >= 0, "fork failed\n");
	if (pid == 0) {
		is_child = true;
		n_children = 0;
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		return true;
	}
	children[n_children++] = pid;
	return false;
}

void __igt_child_exit(void)
{
	fflush(NULL);
	_exit(IGT_EXIT_SUCCESS);
}

void igt_waitchildren(void)
{
	int i, status, bad = 0;
	char why[128] = "";

	for (i = 0; i < n_children; i++) {
		if (waitpid(children[i], &status, 0) < 0) {
			bad++;
			snprintf(why, sizeof(why), "waitpid(%d) failed",
				 children[i]);
		} else if (WIFSIGNALED(status)) {
			bad++;
			snprintf(why, sizeof(why), "child %d killed by signal %d (%s)",
				 i, WTERMSIG(status), strsignal(WTERMSIG(status)));
		} else if (WEXITSTATUS(status) != 0) {
			bad++;
			snprintf(why, sizeof(why), "child %d exited with %d", i,
				 WEXITSTATUS(status));
		}
	}
	n_children = 0;
	igt_assert_f(bad == 0, "%d child(ren) failed, last: %s\n", bad, why);
}

void igt_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void igt_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug_enabled)
		return;
	fflush(stdout);
	fprintf(stderr, "(%s:%d) DEBUG: ", progname, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void igt_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "(%s:%d) WARNING: ", progname, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
