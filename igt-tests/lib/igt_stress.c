// SPDX-License-Identifier: MIT
/*
 * igt_stress.c - threads racing the kernel inside a subtest.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "igt_stress.h"

static atomic_int failures, threads_done;
static char first_failure[512];

void stress_fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(first_failure, sizeof(first_failure), fmt, ap);
	va_end(ap);
	igt_warn("%s", first_failure);
}

int stress_failed(void)
{
	return atomic_load(&failures);
}

void stress_reset(void)
{
	atomic_store(&failures, 0);
	atomic_store(&threads_done, 0);
	first_failure[0] = '\0';
}

void stress_assert_ok(void)
{
	igt_assert_f(atomic_load(&failures) == 0, "%d failure(s), first: %s",
		     atomic_load(&failures), first_failure);
}

void *stress_thread_done(void)
{
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

void stress_join(pthread_t *t, int n, double end)
{
	struct timespec limit;
	int i, stuck = 0;

	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += (time_t)(end - stress_now()) + 30;
	for (i = 0; i < n; i++)
		if (pthread_timedjoin_np(t[i], NULL, &limit))
			stuck++;
	igt_assert_f(stuck == 0, "%d thread(s) stuck in the kernel (see its "
		     "log)\n", stuck);
	igt_assert_f(atomic_load(&threads_done) == n, "%d thread(s) died "
		     "inside the kernel (an oops: see its log)\n",
		     n - atomic_load(&threads_done));
}

double stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t stress_rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t stress_rndn(uint64_t *s, uint32_t n)
{
	return (uint32_t)(stress_rnd(s) % n);
}
