/* SPDX-License-Identifier: MIT */
/*
 * igt_stress.h - threads racing the kernel inside a subtest.
 *
 * igt_assert() leaves through siglongjmp(), which only the thread running
 * the subtest may do: worker threads report with stress_expect(), which
 * keeps the first failure, and the subtest asserts on it with
 * stress_assert_ok() once stress_join() has joined them. A thread killed
 * by a kernel oops inside an ioctl exits without returning, which
 * pthread_join() does not notice: thread functions end with
 * "return stress_thread_done();" and stress_join() counts them.
 */
#ifndef IGT_STRESS_H
#define IGT_STRESS_H

#include <pthread.h>
#include <stdint.h>

#include "igt.h"

/** stress_fail - record a failure (the first one's message is kept) */
void stress_fail(const char *fmt, ...) __igt_printf(1, 2);

/** stress_expect - stress_fail() unless @cond holds */
#define stress_expect(cond, ...) do { \
	if (!(cond)) \
		stress_fail(__VA_ARGS__); \
} while (0)

/** stress_failed - the number of failures recorded since stress_reset() */
int stress_failed(void);

/** stress_reset - forget failures and finished threads; call before starting them */
void stress_reset(void);

/** stress_assert_ok - fail the subtest if a failure was recorded */
void stress_assert_ok(void);

/** stress_thread_done - the return value of a thread function that returned */
void *stress_thread_done(void);

/**
 * stress_join - join @n threads told to stop at @end (stress_now() time);
 * fails the subtest if one died in the kernel or is still running 30 s
 * after @end (it is then left behind)
 */
void stress_join(pthread_t *t, int n, double end);

/** stress_now - CLOCK_MONOTONIC in seconds */
double stress_now(void);

/** stress_rnd - next value of the splitmix64 generator whose state is @s */
uint64_t stress_rnd(uint64_t *s);

/** stress_rndn - stress_rnd() modulo @n */
uint32_t stress_rndn(uint64_t *s, uint32_t n);

#endif /* IGT_STRESS_H */
