// SPDX-License-Identifier: MIT
/*
 * ionode_heaps_policy - administrator policy: the per-client limit, per-heap
 * limits, EDQUOT against ENOMEM, refused parameter writes and restricted
 * heaps (unprivileged, root, restricted_gid). These subtests need root:
 * they write /sys/module/ionode/parameters/; every parameter is saved when
 * the test starts and restored before each subtest and at the end, so a
 * failed subtest cannot leave a limit behind.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "ionode_heap_test.h"

/* ---- limits -------------------------------------------------------------- */

/*
 * client_limit=1M: 2 MiB fails with EDQUOT, 512 KiB succeeds, a further
 * 768 KiB fails (512 + 768 > 1024), 512 KiB fits exactly, then one page
 * does not; an exported buffer whose handle was closed still counts;
 * another fd has a limit of its own; writing 0 lifts the limit.
 */
static void test_client_limit(void)
{
	uint64_t sys, all;
	uint32_t a, b, c;
	char val[64];
	int dmabuf, fd2;

	require_policy_control();
	sys = hmask("system");
	all = ionode_all_heaps_mask(&heaps);
	ionode_param_set("client_limit", "1M");
	igt_assert_eq(ionode_param_read("client_limit", val, sizeof(val)), 0);
	igt_assert_f(strcmp(val, "1048576") == 0, "client_limit reads %s\n", val);

	create_err(2 * MiB, 0, sys, 0, EDQUOT);
	create_err(2 * MiB, 0, all, 0, EDQUOT);
	create_err(MiB + 1, 0, sys, 0, EDQUOT);
	a = create_ok(512 * KiB, 0, sys, 0).handle;
	create_err(768 * KiB, 0, sys, 0, EDQUOT);
	create_err(768 * KiB, 0, all, IONODE_BO_CONTIGUOUS, EDQUOT);
	b = create_ok(512 * KiB, 0, sys, IONODE_BO_CACHED).handle;
	create_err(1, 0, sys, 0, EDQUOT);

	/* Exported and closed still counts against its creator. */
	dmabuf = bo_export(fd, b);
	ionode_bo_close(fd, b);
	create_err(page, 0, sys, 0, EDQUOT);
	close_fd(dmabuf);
	c = create_ok(512 * KiB, 0, sys, 0).handle;

	/* Another open file has its own limit. */
	fd2 = open_ionode2();
	b = create_on(fd2, MiB, 0, sys, 0).handle;
	create_err_on(fd2, page, 0, sys, 0, EDQUOT);
	ionode_bo_close(fd2, b);
	close_fd(fd2);

	ionode_param_set("client_limit", "0");
	b = create_ok(2 * MiB, 0, sys, 0).handle;
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	ionode_bo_close(fd, c);
	a = create_ok(8 * MiB, 0, sys, 0).handle;
	ionode_bo_close(fd, a);
	assert_fdinfo_zero(fd);
}

/*
 * heap_limits="system:1M": a system-only 2 MiB request fails with EDQUOT,
 * while system|system-contig falls back to system-contig (a heap at its
 * limit is skipped like an exhausted one); the limit is shared by all
 * clients (another fd is refused the rest); sysfs limit_bytes and debugfs
 * show it; an empty write lifts every limit.
 */
static void test_heap_limits(void)
{
	struct drm_ionode_heap_info sys = require_heap("system");
	uint64_t sm, scm, base = sys.used_bytes;
	uint32_t a, b, c;
	char val[128], want[128];
	int fd2;

	require_policy_control();
	require_heap("system-contig");
	sm = hmask("system");
	scm = hmask("system-contig");
	if (base == 0) {
		ionode_param_set("heap_limits", "system:1M");
	} else {
		snprintf(val, sizeof(val), "system:%llu",
			 (unsigned long long)(base + MiB));
		ionode_param_set("heap_limits", val);
	}
	snprintf(want, sizeof(want), "system:%llu", (unsigned long long)(base + MiB));
	igt_assert_eq(ionode_param_read("heap_limits", val, sizeof(val)), 0);
	igt_assert_f(strcmp(val, want) == 0, "heap_limits reads \"%s\", "
		     "expected \"%s\"\n", val, want);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("system", "limit_bytes"),
			      (int64_t)(base + MiB));
		igt_assert_eq(sysfs_heap("system-contig", "limit_bytes"), 0);
	}
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert_eq_u64(dbg_heap(n, "system")->limit, base + MiB);
	}

	create_err(2 * MiB, 0, sm, 0, EDQUOT);
	a = create_in("system-contig", 2 * MiB, 0, sm | scm, 0);
	igt_assert_eq_u64(heap_now("system").used_bytes, base);

	b = create_in("system", 512 * KiB, 0, sm, 0);
	create_err(768 * KiB, 0, sm, 0, EDQUOT);
	fd2 = open_ionode2();
	create_err_on(fd2, 768 * KiB, 0, sm, 0, EDQUOT);
	c = create_on(fd2, 512 * KiB, 0, sm, 0).handle;
	igt_assert_eq_u64(heap_now("system").used_bytes, base + MiB);
	create_err(1, 0, sm, 0, EDQUOT);
	/* At the limit, system is skipped: the next heap serves. */
	ionode_bo_close(fd, create_in("system-contig", page, 0, sm | scm, 0));
	ionode_bo_close(fd2, c);
	close_fd(fd2);
	c = create_in("system", 512 * KiB, 0, sm, 0);
	ionode_bo_close(fd, c);

	ionode_param_set("heap_limits", "");
	igt_assert_eq(ionode_param_read("heap_limits", val, sizeof(val)), 0);
	igt_assert_f(val[0] == '\0', "heap_limits reads \"%s\" after clearing\n",
		     val);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("system", "limit_bytes"), 0);
	c = create_in("system", 2 * MiB, 0, sm | scm, 0);
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	ionode_bo_close(fd, c);
	igt_assert_eq_u64(heap_now("system").used_bytes, base);
}

/*
 * EDQUOT wins over ENOMEM when a limit was one of the reasons: with
 * carveout0 full and system at its limit, system|carveout0 fails with
 * EDQUOT; carveout0 alone is still ENOMEM; a limit on carveout0 itself
 * turns its refusal into EDQUOT.
 */
static void test_limit_edquot_vs_enomem(void)
{
	struct drm_ionode_heap_info co;
	char val[64];
	uint64_t sm;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	sm = hmask("system");
	snprintf(val, sizeof(val), "system:%llu",
		 (unsigned long long)heap_now("system").used_bytes);
	ionode_param_set("heap_limits", strcmp(val, "system:0") ? val : "system:4096");
	fill_carveout("carveout0");
	create_err(2 * page, 0, sm | (1ull << co.id), 0, EDQUOT);
	create_err(2 * page, 0, 1ull << co.id, 0, ENOMEM);
	unfill();

	ionode_param_set("heap_limits", "carveout0:1M");
	ionode_bo_close(fd, create_in("carveout0", MiB, 0, 1ull << co.id, 0));
	create_err(MiB + page, 0, 1ull << co.id, 0, EDQUOT);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("carveout0", "limit_bytes"), MiB);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	ionode_param_set("heap_limits", "");
	ionode_bo_close(fd, create_in("carveout0", MiB + page, 0,
				      1ull << co.id, 0));
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/* Malformed parameter writes fail with EINVAL and change nothing. */
static void test_policy_bad_writes(void)
{
	const char *bad_limits[] = { "system", ":1M", "system:", "system:1Q",
				     "system:1M,,x:1", "system:1M,",
				     "sys tem:1M" };
	const char *bad_restricted[] = { "carveout0:1M", "a,,b", "a,",
					 "car veout0" };
	const char *bad_size[] = { "abc", "1Mx", "" };
	char before[1024], after[1024];
	unsigned int i;

	require_policy_control();
	ionode_param_set("heap_limits", "system-contig:8M");
	ionode_param_set("restricted_heaps", "nonexistent-heap");
	ionode_param_set("client_limit", "64M");

	igt_assert_eq(ionode_param_read("heap_limits", before, sizeof(before)), 0);
	for (i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
		igt_assert_f(ionode_param_write("heap_limits", bad_limits[i]) == -EINVAL,
			     "heap_limits=\"%s\" accepted\n", bad_limits[i]);
		igt_assert_eq(ionode_param_read("heap_limits", after, sizeof(after)), 0);
		igt_assert_f(strcmp(before, after) == 0, "heap_limits changed "
			     "from \"%s\" to \"%s\"\n", before, after);
	}
	igt_assert_eq(ionode_param_read("restricted_heaps", before, sizeof(before)), 0);
	for (i = 0; i < sizeof(bad_restricted) / sizeof(bad_restricted[0]); i++) {
		igt_assert_f(ionode_param_write("restricted_heaps", bad_restricted[i]) ==
			     -EINVAL, "restricted_heaps=\"%s\" accepted\n",
			     bad_restricted[i]);
		igt_assert_eq(ionode_param_read("restricted_heaps", after, sizeof(after)), 0);
		igt_assert(strcmp(before, after) == 0);
	}
	for (i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		igt_assert_f(ionode_param_write("client_limit", bad_size[i]) == -EINVAL,
			     "client_limit=\"%s\" accepted\n", bad_size[i]);
		igt_assert_eq(ionode_param_read("client_limit", after, sizeof(after)), 0);
		igt_assert(strcmp(after, "67108864") == 0);
	}
	/* The limits set above are in force. */
	create_err(64 * MiB + page, 0, hmask("system"), 0, EDQUOT);
}

/* ---- restricted heaps --------------------------------------------------- */

/* Restricts carveout0 and checks the query, sysfs and debugfs flag it. */
static struct drm_ionode_heap_info restrict_carveout0(void)
{
	struct drm_ionode_heap_info co;
	unsigned int i;

	ionode_param_set("restricted_heaps", "carveout0");
	co = heap_now("carveout0");
	igt_assert_f(co.flags & IONODE_HEAP_RESTRICTED, "carveout0 flags %#x "
		     "lack IONODE_HEAP_RESTRICTED\n", co.flags);
	for (i = 0; i < heaps.count; i++)
		if (strcmp(heaps.info[i].name, "carveout0"))
			igt_assert_eq(heaps.info[i].flags &
				      IONODE_HEAP_RESTRICTED, 0);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("carveout0", "flags"), co.flags);
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert(strcmp(dbg_heap(n, "carveout0")->restricted, "yes") == 0);
		igt_assert(strcmp(dbg_heap(n, "system")->restricted, "no") == 0);
	}
	return co;
}

/*
 * restricted_heaps=carveout0: an unprivileged process (the render node
 * opened before dropping root, as a real compositor's client would have
 * it) sees the flag in the query, gets EPERM from carveout0 alone (and
 * from a contiguous request whose only contiguous heap is carveout0), and
 * is served by system from carveout0|system, by system-contig from
 * carveout0|system-contig with IONODE_BO_CONTIGUOUS. Nothing leaks.
 */
static void test_restricted_unprivileged(void)
{
	struct drm_ionode_heap_info co;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	require_heap("system-contig");
	co = restrict_carveout0();

	igt_fork(child, 1) {
		struct ionode_heaps hs;
		const struct drm_ionode_heap_info *c;
		struct drm_ionode_create req;

		become_user(65534, 65534, NULL, 0);
		ionode_get_heaps(fd, &hs);
		c = ionode_heap(&hs, "carveout0");
		igt_assert(c && (c->flags & IONODE_HEAP_RESTRICTED));

		create_err(page, 0, 1ull << co.id, 0, EPERM);
		create_err(page, 0, 1ull << co.id, IONODE_BO_CONTIGUOUS, EPERM);
		create_err(page, 0, (1ull << co.id) | ionode_system_mask(&hs),
			   IONODE_BO_CONTIGUOUS, EPERM);
		create_err(page, MiB, (1ull << co.id) | ionode_system_mask(&hs),
			   0, EPERM);

		req = create_ok(MiB, 0, (1ull << co.id) |
				ionode_system_mask(&hs), 0);
		igt_assert_eq(req.heap_id, ionode_heap(&hs, "system")->id);
		ionode_bo_close(fd, req.handle);
		req = create_ok(MiB, 0, (1ull << co.id) |
				(1ull << ionode_heap(&hs, "system-contig")->id),
				IONODE_BO_CONTIGUOUS);
		igt_assert_eq(req.heap_id, ionode_heap(&hs, "system-contig")->id);
		ionode_bo_close(fd, req.handle);
		ionode_put_heaps(&hs);
	}
	igt_waitchildren();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	assert_fdinfo_zero(fd);
}

/*
 * The EPERM rule also covers size: when only a restricted heap is big
 * enough (5 MiB contiguous, system-contig|carveout0, carveout0
 * restricted), the unprivileged caller is told EPERM ("only heaps
 * restricted to privileged callers could serve"), not E2BIG (carveout0's
 * max_alloc is not exceeded).
 */
static void test_restricted_only_fit(void)
{
	struct drm_ionode_heap_info co, sc;

	require_policy_control();
	co = require_empty_carveout("carveout0");
	sc = require_heap("system-contig");
	igt_require(co.max_alloc > sc.max_alloc);
	co = restrict_carveout0();

	igt_fork(child, 1) {
		become_user(65534, 65534, NULL, 0);
		create_err(sc.max_alloc + page, 0, (1ull << co.id) | (1ull << sc.id),
			   IONODE_BO_CONTIGUOUS, EPERM);
	}
	igt_waitchildren();
	/* Root gets it from carveout0. */
	ionode_bo_close(fd, create_in("carveout0", sc.max_alloc + page, 0,
				      (1ull << co.id) | (1ull << sc.id),
				      IONODE_BO_CONTIGUOUS));
}

/*
 * Root (CAP_SYS_ADMIN) is served by a restricted heap: carveout0 alone,
 * and carveout0 with IONODE_BO_CONTIGUOUS over every heap but
 * system-contig; the flag shows in the query for root too. Clearing
 * restricted_heaps removes the flag.
 */
static void test_restricted_root(void)
{
	struct drm_ionode_heap_info co;
	uint64_t all;
	uint32_t h;

	require_policy_control();
	require_empty_carveout("carveout0");
	igt_require(geteuid() == 0);
	co = restrict_carveout0();
	all = ionode_all_heaps_mask(&heaps);
	if (find_heap("system-contig"))
		all &= ~hmask("system-contig");
	if (find_heap("cma"))
		all &= ~hmask("cma");

	h = create_in("carveout0", MiB, 0, 1ull << co.id, 0);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, MiB);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB, all, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);

	ionode_param_set("restricted_heaps", "");
	igt_assert_eq(heap_now("carveout0").flags & IONODE_HEAP_RESTRICTED, 0);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * restricted_gid=N admits members of group N: an unprivileged child with
 * N among its supplementary groups allocates from carveout0, a child
 * without it still gets EPERM, and with restricted_gid=-1 the member is
 * refused again.
 */
static void test_restricted_gid(void)
{
	const gid_t group = 4242;
	struct drm_ionode_heap_info co;
	char val[32];

	require_policy_control();
	require_empty_carveout("carveout0");
	co = restrict_carveout0();
	snprintf(val, sizeof(val), "%u", (unsigned int)group);
	ionode_param_set("restricted_gid", val);

	igt_fork(child, 1) {
		struct drm_ionode_create req;

		become_user(65534, 65534, &group, 1);
		req = create_ok(MiB, 0, 1ull << co.id, 0);
		igt_assert_eq(req.heap_id, co.id);
		ionode_bo_close(fd, req.handle);
	}
	igt_waitchildren();
	igt_fork(child, 1) {
		become_user(65534, 65534, NULL, 0);
		create_err(MiB, 0, 1ull << co.id, 0, EPERM);
	}
	igt_waitchildren();

	ionode_param_set("restricted_gid", "-1");
	igt_fork(child, 1) {
		become_user(65534, 65534, &group, 1);
		create_err(MiB, 0, 1ull << co.id, 0, EPERM);
	}
	igt_waitchildren();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	assert_fdinfo_zero(fd);
}


igt_main
{
	igt_fixture
		heap_test_init();

	subtest("client-limit")
		test_client_limit();
	subtest("heap-limits")
		test_heap_limits();
	subtest("limit-edquot-vs-enomem")
		test_limit_edquot_vs_enomem();
	subtest("policy-bad-writes")
		test_policy_bad_writes();
	subtest("restricted-unprivileged")
		test_restricted_unprivileged();
	subtest("restricted-only-fit")
		test_restricted_only_fit();
	subtest("restricted-root")
		test_restricted_root();
	subtest("restricted-gid")
		test_restricted_gid();

	igt_fixture
		heap_test_fini();
}
