// SPDX-License-Identifier: MIT
/*
 * igt_core.c - the ionode tests' IGT-compatible harness (see igt.h).
 *
 * Written for this project; it follows IGT's documented behaviour (command
 * line, result lines, exit codes, fixture semantics) but shares no code
 * with it.
 */
#include <fnmatch.h>
#include <pthread.h>
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
sigjmp_buf __igt_dynamic_jmpbuf;

enum henceforth {
	HENCEFORTH_RUN = 0,	/* subtests run normally */
	HENCEFORTH_SKIP,	/* a fixture skipped: following subtests SKIP */
	HENCEFORTH_FAIL,	/* a fixture failed: following subtests FAIL */
};

#define MAX_GROUP_DEPTH		32
#define MAX_CHILDREN		256
#define MAX_SUBTEST_NAME	256
#define MAX_DYNAMIC		256

/* Default per-subtest timeout, in seconds; IGT_SUBTEST_TIMEOUT overrides. */
#define DEFAULT_TIMEOUT		300

static const char *progname = "igt";
static bool list_only;
static bool debug_enabled;
static const char *run_filter;
static const char *dynamic_filter;
static bool filter_matched;

static bool in_subtest;
static bool in_fixture;
static char subtest_name[MAX_SUBTEST_NAME];
static struct timespec subtest_start;

/* Dynamic subtests (igt_subtest_with_dynamic / igt_dynamic). */
static bool in_dynamic_container;
static bool in_dynamic;
static char dynamic_name[MAX_SUBTEST_NAME];
static struct timespec dynamic_start;
static unsigned int dyn_executed;
static bool dyn_failed;
static char *dyn_seen[MAX_DYNAMIC];
static unsigned int n_dyn_seen;
static unsigned int n_dyn_pass, n_dyn_fail, n_dyn_skip;

/* Timeouts (igt_set_timeout). */
static unsigned int default_timeout = DEFAULT_TIMEOUT;
static const char *timeout_op;
static unsigned int timeout_secs;
static pid_t main_tid;

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
		"                            (glob patterns allowed; NAME@DYN selects\n"
		"                            dynamic subtests DYN of NAME)\n"
		"  --dynamic-subtest DYN[,...] run only the dynamic subtests\n"
		"                            matching DYN\n"
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

static double elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Arms the timeout of the subtest, dynamic subtest or fixture starting. */
static void arm_default_timeout(void)
{
	timeout_op = NULL;
	timeout_secs = default_timeout;
	alarm(default_timeout);
}

static void disarm_timeout(void)
{
	alarm(0);
	timeout_op = NULL;
	timeout_secs = 0;
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

static void free_dyn_seen(void)
{
	while (n_dyn_seen)
		free(dyn_seen[--n_dyn_seen]);
}

/* End the running subtest with @result and return to its igt_subtest(). */
static __igt_noreturn void end_subtest(const char *result)
{
	disarm_timeout();
	kill_children();
	fflush(stderr);
	printf("Subtest %s: %s (%.3fs)\n", subtest_name, result,
	       elapsed(&subtest_start));
	fflush(stdout);
	in_subtest = false;
	in_dynamic_container = false;
	free_dyn_seen();
	siglongjmp(__igt_jmpbuf, 1);
}

/*
 * End the running dynamic subtest with @result and return to its
 * igt_dynamic(); the container goes on with the default timeout.
 */
static __igt_noreturn void end_dynamic(const char *result)
{
	disarm_timeout();
	kill_children();
	fflush(stderr);
	printf("Dynamic subtest %s: %s (%.3fs)\n", dynamic_name, result,
	       elapsed(&dynamic_start));
	fflush(stdout);
	in_dynamic = false;
	arm_default_timeout();
	siglongjmp(__igt_dynamic_jmpbuf, 1);
}

/* Leave the running fixture, making the following subtests @how. */
static __igt_noreturn void end_fixture(enum henceforth how)
{
	disarm_timeout();
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

/*
 * SIGALRM: the subtest (or dynamic subtest, or fixture) ran out of time.
 * Like IGT: "Timed out: <op>" and a failure; the run goes on with the next
 * subtest. A worker thread that receives the signal hands it to the main
 * thread, the only one that may leave the subtest.
 */
static void alarm_handler(int sig)
{
	(void)sig;
	if (is_child)
		_exit(IGT_EXIT_FAILURE);
	if (gettid() != main_tid) {
		tgkill(getpid(), main_tid, SIGALRM);
		return;
	}
	if (!in_subtest && !in_fixture)
		return;
	fflush(stdout);
	if (timeout_op)
		printf("Timed out: %s\n", timeout_op);
	else
		printf("Timed out: %s %s exceeded the default timeout of %u s "
		       "(IGT_SUBTEST_TIMEOUT)\n",
		       in_dynamic ? "dynamic subtest" :
		       in_subtest ? "subtest" : "fixture",
		       in_dynamic ? dynamic_name :
		       in_subtest ? subtest_name : "", timeout_secs);
	__igt_fail_assert("(timeout)", 0, "alarm handler", 0,
			  "the subtest finishes in time",
			  "timed out after %u s\n", timeout_secs);
}

void igt_set_timeout(unsigned int seconds, const char *op)
{
	if (!in_subtest && !in_fixture)
		internal_error("igt_set_timeout() outside a subtest or fixture\n");
	timeout_op = seconds ? op : NULL;
	timeout_secs = seconds;
	alarm(seconds);
}

void igt_reset_timeout(void)
{
	igt_set_timeout(0, NULL);
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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
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
		} else if (strcmp(a, "--dynamic-subtest") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --dynamic-subtest needs a name\n",
					progname);
				usage(stderr);
				exit(IGT_EXIT_INVALID);
			}
			dynamic_filter = argv[++i];
		} else if (strncmp(a, "--dynamic-subtest=", 18) == 0) {
			dynamic_filter = a + 18;
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
	if ((run_filter && !*run_filter) ||
	    (dynamic_filter && !*dynamic_filter)) {
		fprintf(stderr, "%s: empty --run-subtest or --dynamic-subtest\n",
			progname);
		exit(IGT_EXIT_INVALID);
	}
	if (getenv("IGT_SUBTEST_TIMEOUT")) {
		char *end;
		unsigned long t = strtoul(getenv("IGT_SUBTEST_TIMEOUT"), &end, 10);

		if (*end || end == getenv("IGT_SUBTEST_TIMEOUT")) {
			fprintf(stderr, "%s: IGT_SUBTEST_TIMEOUT is not a number "
				"of seconds\n", progname);
			exit(IGT_EXIT_INVALID);
		}
		default_timeout = (unsigned int)t;
	}
	main_tid = gettid();
	if (getenv("IGT_LOG_LEVEL") && !strcmp(getenv("IGT_LOG_LEVEL"), "debug"))
		debug_enabled = true;

	install_signal_handlers();
}

bool igt_only_list_subtests(void)
{
	return list_only;
}

/*
 * Does @name match one of the comma-separated globs of @filter? With a
 * @dyn name, an entry "SUB@DYN" must match @name with SUB and @dyn with DYN,
 * an entry without '@' matches every dynamic subtest of a matching @name.
 * Without @dyn, only the part of each entry before '@' counts.
 */
static bool filter_match(const char *filter, const char *name,
			 const char *dyn)
{
	const char *p = filter;

	while (*p) {
		char pat[2 * MAX_SUBTEST_NAME];
		size_t len = strcspn(p, ",");

		if (len < sizeof(pat)) {
			char *at;

			memcpy(pat, p, len);
			pat[len] = '\0';
			at = strchr(pat, '@');
			if (at)
				*at = '\0';
			if (fnmatch(pat, name, 0) == 0 &&
			    (!dyn || !at || fnmatch(at + 1, dyn, 0) == 0))
				return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static void check_chars(const char *name)
{
	const char *c;

	if (!*name || strlen(name) >= MAX_SUBTEST_NAME)
		internal_error("bad subtest name length: '%s'\n", name);
	for (c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			internal_error("invalid character in subtest name '%s'\n",
				       name);
	}
}

static void check_name(const char *name)
{
	size_t i;

	check_chars(name);
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

/* Subtest and dynamic subtest names each have a buffer of their own. */
static char subtest_name_buf[MAX_SUBTEST_NAME];
static char dynamic_name_buf[MAX_SUBTEST_NAME];

const char *__igt_subtest_name(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(subtest_name_buf, sizeof(subtest_name_buf), fmt, ap);
	va_end(ap);
	return subtest_name_buf;
}

const char *__igt_dynamic_name(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dynamic_name_buf, sizeof(dynamic_name_buf), fmt, ap);
	va_end(ap);
	return dynamic_name_buf;
}

bool __igt_run_subtest_with_dynamic(const char *name)
{
	if (!__igt_run_subtest(name))
		return false;
	in_dynamic_container = true;
	dyn_executed = 0;
	dyn_failed = false;
	return true;
}

bool __igt_run_dynamic_subtest(const char *name)
{
	unsigned int i;

	if (!in_dynamic_container || in_dynamic)
		internal_error("dynamic subtest '%s' outside "
			       "igt_subtest_with_dynamic() or nested\n", name);
	if (is_child)
		internal_error("dynamic subtest '%s' inside igt_fork()\n", name);
	check_chars(name);
	for (i = 0; i < n_dyn_seen; i++)
		if (strcmp(dyn_seen[i], name) == 0)
			internal_error("duplicate dynamic subtest name '%s@%s'\n",
				       subtest_name, name);
	if (n_dyn_seen >= MAX_DYNAMIC)
		internal_error("too many dynamic subtests in '%s'\n",
			       subtest_name);
	dyn_seen[n_dyn_seen] = strdup(name);
	if (!dyn_seen[n_dyn_seen])
		internal_error("out of memory\n");
	n_dyn_seen++;

	if (run_filter && !filter_match(run_filter, subtest_name, name))
		return false;
	if (dynamic_filter && !filter_match(dynamic_filter, name, NULL))
		return false;

	snprintf(dynamic_name, sizeof(dynamic_name), "%s", name);
	printf("Starting dynamic subtest: %s\n", dynamic_name);
	fflush(stdout);
	in_dynamic = true;
	dyn_executed++;
	errno = 0;
	clock_gettime(CLOCK_MONOTONIC, &dynamic_start);
	arm_default_timeout();
	return true;
}

void __igt_dynamic_success(void)
{
	if (n_children)
		internal_error("dynamic subtest '%s' ended without "
			       "igt_waitchildren()\n", dynamic_name);
	n_dyn_pass++;
	end_dynamic("SUCCESS");
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
	if (run_filter && !filter_match(run_filter, name, NULL))
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
	arm_default_timeout();
	return true;
}

void __igt_subtest_success(void)
{
	if (n_children)
		internal_error("subtest '%s' ended without igt_waitchildren()\n",
			       subtest_name);
	if (in_dynamic_container) {
		/* As IGT: the dynamic subtests that ran decide. */
		if (dyn_failed) {
			n_fail++;
			end_subtest("FAIL");
		}
		if (!dyn_executed) {
			printf("No dynamic tests executed.\n");
			n_skip++;
			end_subtest("SKIP");
		}
	}
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
	arm_default_timeout();
	return true;
}

void __igt_fixture_end(void)
{
	disarm_timeout();
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
	if (n_dyn_pass + n_dyn_fail + n_dyn_skip)
		printf("%s: dynamic subtests: %u passed, %u failed, %u skipped\n",
		       progname, n_dyn_pass, n_dyn_fail, n_dyn_skip);
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
	if (in_dynamic) {
		n_dyn_skip++;
		end_dynamic("SKIP");
	}
	if (in_subtest) {
		/* A container skipping after a failed dynamic subtest fails. */
		if (in_dynamic_container && dyn_failed) {
			n_fail++;
			end_subtest("FAIL");
		}
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
	if (in_dynamic) {
		dyn_failed = true;
		n_dyn_fail++;
		end_dynamic("FAIL");
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
	if (in_dynamic && !is_child)
		fprintf(stderr, "(%s:%d) CRITICAL: in subtest %s, dynamic "
			"subtest %s\n", progname, pid, subtest_name,
			dynamic_name);
	else if (in_subtest && !is_child)
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
		alarm(0);
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
