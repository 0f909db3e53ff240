// SPDX-License-Identifier: MIT
/*
 * ionode_pool - the system heap's pools of freed memory (ionode_pool.c).
 *
 * reuse-zeroed-wb, reuse-zeroed-wc: buffers of every chunk size (4 KiB,
 *	64 KiB, 2 MiB chunks) filled with a pattern and freed come back from
 *	the pools (the hit counter grows by their chunks) reading as zero,
 *	through the DRM fd and the dma-buf fd, in each caching mode.
 * shrink-drains: a forced shrink (vm.drop_caches) gives every pooled byte
 *	back: the query ioctl's pool_bytes and debugfs go to zero.
 * accounting: pooled memory is nobody's: used_bytes, fdinfo and debugfs'
 *	clients go back to where they were while the pools hold the memory,
 *	and pool_bytes is reported by the system heap only.
 * pool-max: pool_max_mb=0 turns the pools off: freed memory goes back to
 *	the page allocator and nothing is reused.
 * heap-limit: a heap byte limit (heap_limits) still counts buffers, not
 *	pooled memory: reuse does not get around it.
 * unwritten-wb, unwritten-wc: a buffer nothing outside the driver ever
 *	had the pages of (created, exported, mapped without a touch, synced,
 *	freed) is clean at once, without the worker: the unwritten counter
 *	grows by its size, nothing is dirty, and it comes back zeroed.
 * exposed-cpu, exposed-import, exposed-v4l2: a buffer whose pages were
 *	exposed (a CPU fault through the DRM fd or the dma-buf fd, an
 *	importer's attachment in vgem, a V4L2 capture from vivid writing
 *	into it through a kernel mapping) is not counted unwritten and is
 *	zeroed before reuse: vivid's frame does not come back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <linux/videodev2.h>

#include "igt_v4l2.h"
#include "ionode_test.h"

#define KiB	1024ull
#define MiB	(1024ull * 1024)
#define RW	(PROT_READ | PROT_WRITE)

static int fd = -1;
static struct ionode_heaps heaps;
static uint32_t sys_id;
static char pools_path[600];
static char saved_max[32], saved_limits[512];

/* The pools' counters, from the first line of debugfs' ionode_pools. */
struct pool_stats {
	uint64_t max, clean_wb, clean_wc, dirty, stale, hits, misses, unwritten;
};

static struct pool_stats read_stats(void)
{
	struct pool_stats s;
	char text[4096];

	igt_assert_eq(read_text(pools_path, text, sizeof(text)), 0);
	igt_assert_f(sscanf(text, "max %" SCNu64 " clean-wb %" SCNu64
			    " clean-wc %" SCNu64 " dirty %" SCNu64 " stale %"
			    SCNu64 " hits %" SCNu64 " misses %" SCNu64
			    " unwritten %" SCNu64,
			    &s.max, &s.clean_wb, &s.clean_wc, &s.dirty,
			    &s.stale, &s.hits, &s.misses, &s.unwritten) == 8,
		     "unexpected ionode_pools: %s\n", text);
	return s;
}

/* Waits (up to 5 s) until the worker zeroed and released everything. */
static struct pool_stats settled(void)
{
	struct pool_stats s = read_stats();
	int i;

	for (i = 0; i < 250 && (s.dirty || s.stale); i++) {
		usleep(20 * 1000);
		s = read_stats();
	}
	igt_assert_f(!s.dirty && !s.stale, "pools never settled: dirty %"
		     PRIu64 " stale %" PRIu64 "\n", s.dirty, s.stale);
	return s;
}

static uint64_t query_pool_bytes(uint32_t id)
{
	struct ionode_heaps h;
	uint64_t v;

	ionode_get_heaps(fd, &h);
	v = ionode_heap_by_id(&h, id)->pool_bytes;
	ionode_put_heaps(&h);
	return v;
}

static void drain(void)
{
	settled();
	igt_assert_eq(write_text("/proc/sys/vm/drop_caches", "2"), 0);
	settled();
}

static uint32_t create(uint64_t size, uint32_t flags)
{
	return ionode_bo_create(fd, size, 1ull << sys_id, flags);
}

/* One buffer per chunk order, plus one mixing all three. */
static const uint64_t sizes[] = {
	4 * KiB, 64 * KiB, 2 * MiB, 2 * MiB + 64 * KiB + 4 * KiB,
};
#define N_SIZES	(sizeof(sizes) / sizeof(sizes[0]))
#define N_CHUNKS	7	/* 1 + 1 + 1 + 3 */

static void test_reuse_zeroed(uint32_t flags)
{
	uint32_t h[N_SIZES];
	struct pool_stats before;
	unsigned int i, round;

	drain();
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N_SIZES; i++) {
			int d;
			void *p;

			h[i] = create(sizes[i], flags);
			d = ionode_bo_export(fd, h[i]);
			p = dmabuf_mmap(d, sizes[i], 0, RW);
			dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			check_zero(p, sizes[i]);
			fill_pattern(p, sizes[i], round * 16 + i + 1, 0);
			dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(p, sizes[i]);
			p = ionode_bo_mmap(fd, h[i], sizes[i], PROT_READ);
			check_pattern(p, sizes[i], round * 16 + i + 1, 0);
			munmap(p, sizes[i]);
			close(d);
		}
		for (i = 0; i < N_SIZES; i++)
			ionode_bo_close(fd, h[i]);
		before = settled();
		igt_assert_f((flags & IONODE_BO_CACHED ? before.clean_wb :
			      before.clean_wc) >= 2 * MiB + 2 * MiB + 64 * KiB +
			     64 * KiB + 8 * KiB,
			     "the freed buffers are not in the pool\n");
		if (round)
			continue;
		/* Next round: every chunk must come from the pool, zeroed. */
		for (i = 0; i < N_SIZES; i++) {
			struct pool_stats now;
			void *p;

			h[i] = create(sizes[i], flags);
			now = read_stats();
			igt_assert_f(now.hits > before.hits, "%" PRIu64
				     " bytes: not served from the pool\n",
				     sizes[i]);
			before = now;
			p = ionode_bo_mmap(fd, h[i], sizes[i], PROT_READ);
			check_zero(p, sizes[i]);
			munmap(p, sizes[i]);
		}
		for (i = 0; i < N_SIZES; i++)
			ionode_bo_close(fd, h[i]);
		settled();
	}
	drain();
}

static void test_shrink_drains(void)
{
	uint32_t h[4];
	unsigned int i;
	struct pool_stats s;

	for (i = 0; i < 4; i++)
		h[i] = create(4 * MiB, i % 2 ? IONODE_BO_CACHED : 0);
	for (i = 0; i < 4; i++)
		ionode_bo_close(fd, h[i]);
	s = settled();
	igt_assert_lte_u64(16 * MiB, s.clean_wb + s.clean_wc);
	igt_assert_lte_u64(16 * MiB, query_pool_bytes(sys_id));

	drain();
	s = read_stats();
	igt_assert_eq_u64(s.clean_wb, 0);
	igt_assert_eq_u64(s.clean_wc, 0);
	igt_assert_eq_u64(query_pool_bytes(sys_id), 0);
}

static void test_accounting(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	uint64_t used = ionode_heap_used(fd, "system");
	uint32_t h[3];
	unsigned int i;

	drain();
	for (i = 0; i < 3; i++)
		h[i] = create(8 * MiB, i ? 0 : IONODE_BO_CACHED);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used + 24 * MiB);
	for (i = 0; i < 3; i++)
		ionode_bo_close(fd, h[i]);
	settled();
	igt_assert_lte_u64(24 * MiB, query_pool_bytes(sys_id));
	/* Pooled memory is nobody's buffer. */
	igt_assert_eq_u64(ionode_heap_used(fd, "system"), used);
	ionode_assert_usage_back(fd, &before);
	for (i = 0; i < heaps.count; i++)
		if (heaps.info[i].id != sys_id)
			igt_assert_eq_u64(query_pool_bytes(heaps.info[i].id), 0);
	drain();
}

static void test_pool_max(void)
{
	struct pool_stats s;
	uint32_t h;

	drain();
	ionode_param_set("pool_max_mb", "0");
	h = create(4 * MiB, 0);
	ionode_bo_close(fd, h);
	s = settled();
	igt_assert_eq_u64(s.max, 0);
	igt_assert_eq_u64(s.clean_wb + s.clean_wc, 0);
	h = create(4 * MiB, 0);
	igt_assert_eq_u64(read_stats().hits, s.hits);
	ionode_bo_close(fd, h);
	ionode_param_set("pool_max_mb", saved_max);
	drain();
}

static void test_heap_limit(void)
{
	char lim[64];
	uint32_t h;
	int ret;

	drain();
	snprintf(lim, sizeof(lim), "system:%llu",
		 (unsigned long long)(ionode_heap_used(fd, "system") + 8 * MiB));
	ionode_param_set("heap_limits", lim);
	h = create(8 * MiB, 0);
	ionode_bo_close(fd, h);
	settled();
	/* 8 MiB pooled: a 16 MiB buffer is still over the limit. */
	{
		struct drm_ionode_create c = {
			.size = 16 * MiB, .heap_mask = 1ull << sys_id,
		};

		ret = drmIoctl(fd, DRM_IOCTL_IONODE_CREATE, &c) ? errno : 0;
	}
	igt_assert_errno(-ret, EDQUOT);
	h = create(8 * MiB, 0);
	ionode_bo_close(fd, h);
	ionode_param_set("heap_limits", saved_limits);
	drain();
}

static void test_unwritten(uint32_t flags)
{
	struct pool_stats before, after;
	uint64_t total = 0;
	uint32_t h[N_SIZES];
	unsigned int i;

	drain();
	before = read_stats();
	for (i = 0; i < N_SIZES; i++) {
		int d;
		void *p;

		h[i] = create(sizes[i], flags);
		d = ionode_bo_export(fd, h[i]);
		/* Mapped, never touched: no page table got its pages. */
		p = dmabuf_mmap(d, sizes[i], 0, RW);
		dmabuf_sync(d, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
		dmabuf_sync(d, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
		munmap(p, sizes[i]);
		close(d);
		total += sizes[i];
	}
	for (i = 0; i < N_SIZES; i++)
		ionode_bo_close(fd, h[i]);
	after = read_stats();
	igt_assert_eq_u64(after.unwritten - before.unwritten, total);
	igt_assert_eq_u64(after.dirty, 0);
	igt_assert_eq_u64((flags & IONODE_BO_CACHED ? after.clean_wb :
			   after.clean_wc), total);

	for (i = 0; i < N_SIZES; i++) {
		void *p;

		before = read_stats();
		h[i] = create(sizes[i], flags);
		igt_assert_f(read_stats().hits > before.hits, "%" PRIu64
			     " bytes: not served from the pool\n", sizes[i]);
		p = ionode_bo_mmap(fd, h[i], sizes[i], RW);
		check_zero(p, sizes[i]);
		fill_pattern(p, sizes[i], i + 7, 0);
		munmap(p, sizes[i]);
	}
	before = read_stats();
	for (i = 0; i < N_SIZES; i++)
		ionode_bo_close(fd, h[i]);
	/* Written this time: the worker's. */
	igt_assert_eq_u64(read_stats().unwritten, before.unwritten);
	drain();
}

/*
 * Frees @h, whose pages were exposed, checks that they were not taken for
 * unwritten, and that a buffer of the same size made from those pages
 * (the pools were drained before) reads as zero. It is made once the
 * worker is done: a chunk the worker is zeroing is on no list, and an
 * allocation meanwhile would take a fresh one (the path that zeroes a
 * dirty chunk itself is KUnit's pool_dirty_take_test).
 */
static void free_exposed(uint32_t h, uint64_t size, uint32_t flags)
{
	struct pool_stats before = read_stats(), after;
	void *p;

	ionode_bo_close(fd, h);
	igt_assert_eq_u64(read_stats().unwritten, before.unwritten);
	after = settled();
	igt_assert_eq_u64(after.unwritten, before.unwritten);
	h = create(size, flags);
	igt_assert_f(read_stats().hits > after.hits,
		     "the exposed buffer's memory was not reused\n");
	p = ionode_bo_mmap(fd, h, size, PROT_READ);
	check_zero(p, size);
	munmap(p, size);
	ionode_bo_close(fd, h);
	drain();
}

static void test_exposed_cpu(void)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		uint32_t flags = i & 1 ? IONODE_BO_CACHED : 0;
		uint64_t size = 64 * KiB;
		uint32_t h;
		void *p;
		int d;

		drain();
		h = create(size, flags);
		if (i < 2) {
			p = ionode_bo_mmap(fd, h, size, RW);
		} else {
			d = ionode_bo_export(fd, h);
			p = dmabuf_mmap(d, size, 0, RW);
			close(d);
		}
		/* One page written: the fault maps the whole buffer. */
		fill_pattern((char *)p + 4 * KiB, 4 * KiB, 0x77 + i, 0);
		munmap(p, size);
		free_exposed(h, size, flags);
	}
}

static void test_exposed_import(void)
{
	int vgem = igt_open_vgem();
	uint64_t size = 64 * KiB;
	uint32_t h, vh;
	int d;

	drain();
	h = create(size, 0);
	d = ionode_bo_export(fd, h);
	igt_assert_eq(drmPrimeFDToHandle(vgem, d, &vh), 0);
	close(d);
	igt_assert_eq(drmCloseBufferHandle(vgem, vh), 0);
	free_exposed(h, size, 0);
	close(vgem);
}

static void test_exposed_v4l2(void)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_input in = { .index = 0 };
	uint32_t size, h[2];
	unsigned int i;
	int v, d[2];

	igt_require_f(igt_modprobe("vivid"), "no vivid\n");
	v = open_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE);
	do_ioctl(v, VIDIOC_S_INPUT, &in.index);
	size = set_fmt(v, C, 640, 480, V4L2_PIX_FMT_YUYV);
	/* vivid streams from two queued buffers on. */
	reqbufs(v, C, V4L2_MEMORY_DMABUF, 2);

	drain();
	for (i = 0; i < 2; i++) {
		h[i] = create(size, IONODE_BO_CACHED);
		d[i] = ionode_bo_export(fd, h[i]);
		igt_assert_eq(qbuf_dmabuf(v, C, i, d[i], 0, 0), 0);
	}
	stream(v, C, true);
	igt_assert_eq(dqbuf(v, C, V4L2_MEMORY_DMABUF).bytesused, size);
	stream(v, C, false);
	reqbufs(v, C, V4L2_MEMORY_DMABUF, 0);
	close(v);
	/*
	 * vivid's frame is in one, written through vb2's kernel mapping,
	 * and both were mapped for it.
	 */
	for (i = 0; i < 2; i++) {
		close(d[i]);
		free_exposed(h[i], ionode_round_page(size), IONODE_BO_CACHED);
	}
}

static void fresh(int f)
{
	(void)f;
	if (saved_max[0])
		ionode_param_set("pool_max_mb", saved_max);
	ionode_param_set("heap_limits", saved_limits);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		const struct drm_ionode_heap_info *sys;

		igt_require_f(geteuid() == 0, "needs root (debugfs, drop_caches)\n");
		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		sys = ionode_heap(&heaps, "system");
		igt_require_f(sys, "no system heap\n");
		sys_id = sys->id;
		igt_require_f(ionode_find_debugfs(pools_path, sizeof(pools_path)),
			      "no ionode debugfs\n");
		strncat(pools_path, "/ionode_pools",
			sizeof(pools_path) - strlen(pools_path) - 1);
		igt_assert_eq(ionode_param_read("pool_max_mb", saved_max,
						sizeof(saved_max)), 0);
		igt_assert_eq(ionode_param_read("heap_limits", saved_limits,
						sizeof(saved_limits)), 0);
		ionode_set_fresh_hook(fresh);
	}

	subtest("reuse-zeroed-wb")
		test_reuse_zeroed(IONODE_BO_CACHED);
	subtest("reuse-zeroed-wc")
		test_reuse_zeroed(0);
	subtest("shrink-drains")
		test_shrink_drains();
	subtest("accounting")
		test_accounting();
	subtest("pool-max")
		test_pool_max();
	subtest("heap-limit")
		test_heap_limit();
	subtest("unwritten-wb")
		test_unwritten(IONODE_BO_CACHED);
	subtest("unwritten-wc")
		test_unwritten(0);
	subtest("exposed-cpu")
		test_exposed_cpu();
	subtest("exposed-import")
		test_exposed_import();
	subtest("exposed-v4l2")
		test_exposed_v4l2();

	igt_fixture {
		fresh(fd);
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
