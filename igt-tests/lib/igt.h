/* SPDX-License-Identifier: MIT */
/*
 * igt.h - a small IGT-compatible test harness for the ionode tests.
 *
 * Debian ships IGT GPU Tools' binaries but not its library headers, so the
 * ionode tests use this independent implementation of the subset of the IGT
 * API they need, with the same command line and output conventions so that
 * igt_runner-style tooling and people used to IGT feel at home:
 *
 *   test --list-subtests           subtest names, one per line, exit 0
 *   test --run-subtest NAME[,NAME] run the matching subtests only; NAME may be
 *                                  a glob ("bad-*"); also --run-subtest=NAME;
 *                                  NAME@DYN runs only the dynamic subtests
 *                                  DYN (a glob too) of the subtest NAME
 *   test --dynamic-subtest DYN[,DYN] run only the matching dynamic subtests
 *   test --debug                   also print igt_debug() messages
 *
 * Output of a run:
 *   Starting subtest: NAME
 *   Subtest NAME: SUCCESS (0.012s)        (or FAIL, SKIP)
 * and for a subtest with dynamic subtests (igt_subtest_with_dynamic):
 *   Starting subtest: NAME
 *   Starting dynamic subtest: DYN
 *   Dynamic subtest DYN: SUCCESS (0.010s) (or FAIL, SKIP)
 *   ...
 *   Subtest NAME: SUCCESS (0.042s)        FAIL if a dynamic subtest failed,
 *                                         SKIP if none ran
 * --list-subtests lists NAME only, as IGT does.
 *
 * Timeouts: every subtest, dynamic subtest and fixture runs under an alarm
 * of IGT_SUBTEST_TIMEOUT seconds (environment, default 300, 0 for none);
 * igt_set_timeout() replaces it for the rest of the running one. On expiry
 * it prints "Timed out: ..." and fails like an assertion: the run goes on
 * with the next subtest.
 *
 * Exit status: 0 when every subtest that ran passed (skips allowed), 77
 * (IGT_EXIT_SKIP) when every one was skipped, 98 (IGT_EXIT_FAILURE) when any
 * failed, 79 (IGT_EXIT_INVALID) for a bad command line or a --run-subtest
 * that matches nothing.
 *
 * Structure of a test:
 *
 *	igt_main
 *	{
 *		igt_fixture {
 *			fd = ...;
 *			igt_require(fd >= 0);       // skips every later subtest
 *		}
 *		igt_subtest("create-close") {
 *			igt_assert_eq(create(...), 0);  // failure ends the subtest
 *		}
 *		igt_subtest_group {                 // scopes fixture skips
 *			igt_fixture
 *				igt_require(have_vgem());
 *			igt_subtest("vgem-import") { ... }
 *		}
 *	}
 *
 * An assertion that fails, or a requirement that is not met, leaves the
 * subtest (or fixture) at once through siglongjmp(), so code after it does
 * not run: release resources that must not leak across subtests in a
 * following fixture, or keep them in static variables that the next subtest
 * cleans up. Locals modified inside a subtest and read after it must be
 * static or volatile (the usual setjmp rule); keeping test state in
 * file-scope statics avoids the question.
 *
 * A fixture that fails an assertion makes every following subtest (of its
 * group) report FAIL without running, like IGT; one that skips makes them
 * report SKIP. Fixtures do not run under --list-subtests.
 *
 * SIGSEGV and SIGBUS inside a subtest fail that subtest (the message names
 * the signal and the faulting address) and the run goes on.
 */
#ifndef IONODE_IGT_H
#define IONODE_IGT_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_FAILURE	98

#if defined(__GNUC__)
#define __igt_noreturn		__attribute__((noreturn))
#define __igt_printf(a, b)	__attribute__((format(printf, a, b)))
#else
#define __igt_noreturn
#define __igt_printf(a, b)
#endif

/* Internal state shared with the macros; do not touch from tests. */
extern sigjmp_buf __igt_jmpbuf;
extern sigjmp_buf __igt_dynamic_jmpbuf;

void __igt_init(int argc, char **argv);
bool __igt_run_subtest(const char *name);
const char *__igt_subtest_name(const char *fmt, ...) __igt_printf(1, 2);
__igt_noreturn void __igt_subtest_success(void);
bool __igt_run_subtest_with_dynamic(const char *name);
bool __igt_run_dynamic_subtest(const char *name);
const char *__igt_dynamic_name(const char *fmt, ...) __igt_printf(1, 2);
__igt_noreturn void __igt_dynamic_success(void);
bool __igt_fixture_begin(void);
void __igt_fixture_end(void);
int __igt_group_enter(void);
int __igt_group_leave(void);
bool __igt_fork(void);
__igt_noreturn void __igt_child_exit(void);
__igt_noreturn void __igt_fail_assert(const char *file, int line,
				      const char *func, int err,
				      const char *cond, const char *fmt, ...)
	__igt_printf(6, 7);
__igt_noreturn void __igt_skip_check(const char *file, int line,
				     const char *func, const char *cond,
				     const char *fmt, ...) __igt_printf(5, 6);

/**
 * igt_main - define main() of a test with subtests
 *
 * Parses the IGT command line, runs the body, then exits with the IGT exit
 * status.
 */
#define igt_main \
	static void __igt_main_body(void); \
	int main(int argc, char **argv) \
	{ \
		__igt_init(argc, argv); \
		__igt_main_body(); \
		igt_exit(); \
	} \
	static void __igt_main_body(void)

/**
 * igt_subtest - define a subtest; the following statement is its body
 * @name: kebab-case name, [a-z0-9_-] only.
 *
 * The body runs when the subtest is selected. Leaving the body normally is a
 * SUCCESS; a failed assertion is a FAIL, an unmet requirement a SKIP.
 */
#define igt_subtest(name) \
	for (; __igt_run_subtest(name) && sigsetjmp(__igt_jmpbuf, 1) == 0; \
	     __igt_subtest_success())

/** igt_subtest_f - igt_subtest with a printf-formatted name */
#define igt_subtest_f(...) igt_subtest(__igt_subtest_name(__VA_ARGS__))

/**
 * igt_subtest_with_dynamic - a subtest made of dynamic subtests
 * @name: kebab-case name, as for igt_subtest().
 *
 * Its body generates igt_dynamic() subtests, typically one per heap or
 * device found at run time. The subtest FAILs if one of them failed, SKIPs
 * if none ran, and succeeds otherwise (dynamic subtests that skipped
 * included). Only @name is listed by --list-subtests. Loop counters over
 * the dynamic subtests must be static or volatile (setjmp rule).
 */
#define igt_subtest_with_dynamic(name) \
	for (; __igt_run_subtest_with_dynamic(name) && \
	       sigsetjmp(__igt_jmpbuf, 1) == 0; \
	     __igt_subtest_success())

/** igt_subtest_with_dynamic_f - igt_subtest_with_dynamic, printf-formatted */
#define igt_subtest_with_dynamic_f(...) \
	igt_subtest_with_dynamic(__igt_subtest_name(__VA_ARGS__))

/**
 * igt_dynamic - a dynamic subtest inside igt_subtest_with_dynamic()
 * @name: [a-zA-Z0-9_-] only, unique inside its subtest.
 *
 * A failed assertion or unmet requirement ends this dynamic subtest only;
 * the enclosing body goes on with the next statement.
 */
#define igt_dynamic(name) \
	for (; __igt_run_dynamic_subtest(name) && \
	       sigsetjmp(__igt_dynamic_jmpbuf, 1) == 0; \
	     __igt_dynamic_success())

/** igt_dynamic_f - igt_dynamic with a printf-formatted name */
#define igt_dynamic_f(...) igt_dynamic(__igt_dynamic_name(__VA_ARGS__))

/**
 * igt_set_timeout - fail the running subtest (or dynamic subtest, or
 * fixture) if it is still running @seconds from now; 0 disarms
 * @op: what is timed, printed as "Timed out: @op" on expiry (may be NULL).
 *
 * Replaces the default timeout (IGT_SUBTEST_TIMEOUT, 300 s) until the
 * subtest ends; the next one gets the default again.
 */
void igt_set_timeout(unsigned int seconds, const char *op);

/** igt_reset_timeout - igt_set_timeout(0, NULL): no timeout for the rest */
void igt_reset_timeout(void);

/**
 * igt_fixture - setup or teardown code between subtests
 *
 * Runs unless subtests are only being listed or an earlier fixture of the
 * same group failed or skipped. A failed assertion inside makes the
 * following subtests FAIL, an unmet requirement makes them SKIP.
 */
#define igt_fixture \
	for (volatile int __igt_fx = 0; \
	     __igt_fx < 1 && __igt_fixture_begin() && \
	     sigsetjmp(__igt_jmpbuf, 1) == 0; \
	     __igt_fx++, __igt_fixture_end())

/**
 * igt_subtest_group - scope for fixtures: a skip or failure of a fixture
 * inside only affects the subtests inside.
 */
#define igt_subtest_group \
	for (int __igt_grp = __igt_group_enter(); __igt_grp; \
	     __igt_grp = __igt_group_leave())

/**
 * igt_exit - finish the test: print a summary and exit with the IGT status.
 * igt_main calls it; a test only calls it to stop early.
 */
__igt_noreturn void igt_exit(void);

/* ---------------------------------------------------------------------- */
/* Skipping                                                               */

/** igt_skip - skip the current subtest (or fixture) with a message */
__igt_noreturn void igt_skip(const char *fmt, ...) __igt_printf(1, 2);

/** igt_require - skip unless @cond holds */
#define igt_require(cond) do { \
	if (!(cond)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #cond, NULL); \
} while (0)

/** igt_require_f - igt_require with an explanation */
#define igt_require_f(cond, ...) do { \
	if (!(cond)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, #cond, \
				 __VA_ARGS__); \
} while (0)

/** igt_skip_on - skip if @cond holds */
#define igt_skip_on(cond) do { \
	if ((cond)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #cond ")", \
				 NULL); \
} while (0)

/** igt_skip_on_f - igt_skip_on with an explanation */
#define igt_skip_on_f(cond, ...) do { \
	if ((cond)) \
		__igt_skip_check(__FILE__, __LINE__, __func__, "!(" #cond ")", \
				 __VA_ARGS__); \
} while (0)

/* ---------------------------------------------------------------------- */
/* Failing                                                                */

/**
 * igt_fail - fail the current subtest (or fixture) with @exitcode
 * (normally IGT_EXIT_FAILURE); in a forked child, exit with @exitcode.
 */
__igt_noreturn void igt_fail(int exitcode);

/** igt_assert - fail unless @cond holds; prints file:line, @cond, errno */
#define igt_assert(cond) do { \
	if (!(cond)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, errno, #cond, \
				  NULL); \
} while (0)

/** igt_assert_f - igt_assert with a printf-formatted explanation */
#define igt_assert_f(cond, ...) do { \
	if (!(cond)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, errno, #cond, \
				  __VA_ARGS__); \
} while (0)

/** igt_fail_on - fail if @cond holds */
#define igt_fail_on(cond) igt_assert(!(cond))
/** igt_fail_on_f - fail if @cond holds, with an explanation */
#define igt_fail_on_f(cond, ...) igt_assert_f(!(cond), __VA_ARGS__)

/* Comparisons print both values. Signed: long long, unsigned: u64. */
#define __igt_assert_cmp(type, fmt, a, op, b) do { \
	int __e = errno; \
	type __a = (a), __b = (b); \
	if (!(__a op __b)) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, __e, \
				  #a " " #op " " #b, \
				  "error: " fmt " " #op " " fmt " is false\n", \
				  __a, __b); \
} while (0)

/** igt_assert_eq - @a == @b as signed integers */
#define igt_assert_eq(a, b)	__igt_assert_cmp(long long, "%lld", a, ==, b)
/** igt_assert_neq - @a != @b as signed integers */
#define igt_assert_neq(a, b)	__igt_assert_cmp(long long, "%lld", a, !=, b)
/** igt_assert_lte - @a <= @b as signed integers */
#define igt_assert_lte(a, b)	__igt_assert_cmp(long long, "%lld", a, <=, b)
/** igt_assert_lt - @a < @b as signed integers */
#define igt_assert_lt(a, b)	__igt_assert_cmp(long long, "%lld", a, <, b)
/** igt_assert_eq_u32 - @a == @b as unsigned 32-bit (printed in hex too) */
#define igt_assert_eq_u32(a, b) \
	__igt_assert_cmp(unsigned long long, "%#llx", (uint32_t)(a), ==, \
			 (uint32_t)(b))
/** igt_assert_eq_u64 - @a == @b as unsigned 64-bit */
#define igt_assert_eq_u64(a, b) \
	__igt_assert_cmp(unsigned long long, "%llu", a, ==, b)
/** igt_assert_neq_u64 - @a != @b as unsigned 64-bit */
#define igt_assert_neq_u64(a, b) \
	__igt_assert_cmp(unsigned long long, "%llu", a, !=, b)
/** igt_assert_lte_u64 - @a <= @b as unsigned 64-bit */
#define igt_assert_lte_u64(a, b) \
	__igt_assert_cmp(unsigned long long, "%llu", a, <=, b)

/* ---------------------------------------------------------------------- */
/* ioctl helpers                                                          */

/**
 * igt_ioctl - ioctl() restarted on EINTR/EAGAIN (like drmIoctl())
 *
 * Return: the ioctl's return value; -1 with errno set on failure.
 */
int igt_ioctl(int fd, unsigned long request, void *arg);

/** igt_errno_name - "EINVAL" for EINVAL, "E?" for unknown values */
const char *igt_errno_name(int err);

/** do_ioctl - run an ioctl and assert that it succeeds */
#define do_ioctl(fd, req, arg) do { \
	int __r = igt_ioctl((fd), (req), (arg)); \
	int __e = errno; \
	if (__r != 0) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, __e, \
				  "do_ioctl(" #fd ", " #req ", " #arg ") == 0", \
				  "ioctl returned %d, errno %d (%s)\n", __r, \
				  __e, igt_errno_name(__e)); \
	errno = 0; \
} while (0)

/** do_ioctl_err - run an ioctl and assert that it fails with @err */
#define do_ioctl_err(fd, req, arg, err) do { \
	int __r = igt_ioctl((fd), (req), (arg)); \
	int __e = errno, __x = (err); \
	if (__r != -1 || __e != __x) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, __e, \
				  #req " fails with " #err, \
				  "expected -1 with errno %d (%s), got %d with " \
				  "errno %d (%s)\n", __x, igt_errno_name(__x), \
				  __r, __r == -1 ? __e : 0, \
				  __r == -1 ? igt_errno_name(__e) : "none"); \
	errno = 0; \
} while (0)

/**
 * igt_assert_errno - assert that a libionode-style return value (0 or
 * -errno) is the negative errno @err
 */
#define igt_assert_errno(ret, err) do { \
	int __r = (ret), __x = (err); \
	if (__r != -__x) \
		__igt_fail_assert(__FILE__, __LINE__, __func__, errno, \
				  #ret " == -" #err, \
				  "expected -%d (%s), got %d (%s)\n", __x, \
				  igt_errno_name(__x), __r, \
				  __r < 0 ? igt_errno_name(-__r) : "success"); \
} while (0)

/* ---------------------------------------------------------------------- */
/* Processes                                                              */

/**
 * igt_fork - run the following statement in @num_children child processes
 * @child: name of an int variable holding the child's index (0-based).
 *
 * In a child, failed assertions exit the child with IGT_EXIT_FAILURE; the
 * parent must call igt_waitchildren(), which fails the subtest if any child
 * did not exit with status 0. Children still running when a subtest ends
 * are killed.
 */
#define igt_fork(child, num_children) \
	for (volatile int child = 0; child < (num_children); child++) \
		for (; __igt_fork(); __igt_child_exit())

/** igt_waitchildren - wait for every igt_fork() child; fail if one failed */
void igt_waitchildren(void);

/* ---------------------------------------------------------------------- */
/* Logging                                                                */

/** igt_info - informational message, on stdout */
void igt_info(const char *fmt, ...) __igt_printf(1, 2);
/** igt_debug - debug message, on stderr with --debug only */
void igt_debug(const char *fmt, ...) __igt_printf(1, 2);
/** igt_warn - warning, on stderr */
void igt_warn(const char *fmt, ...) __igt_printf(1, 2);

/** igt_only_list_subtests - true under --list-subtests */
bool igt_only_list_subtests(void);

#endif /* IONODE_IGT_H */
