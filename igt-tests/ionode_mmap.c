// SPDX-License-Identifier: MIT
/*
 * ionode_mmap - CPU mappings of ionode buffers.
 *
 * Mappings through the DRM fd (DRM_IOCTL_IONODE_MAP_OFFSET + mmap) and the
 * dma-buf fd see the same bytes for cached and write-combined buffers,
 * DMA_BUF_IOCTL_SYNC accepts exactly the valid flag combinations, mappings
 * are bounded by the object, copy-on-write mappings are refused, new
 * buffers never show old bytes, and a mapping keeps its buffer alive.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "ionode_test.h"

#define MiB		(1024ull * 1024)
#define RW		(PROT_READ | PROT_WRITE)

static int fd = -1;
static struct ionode_heaps heaps;
static uint64_t sys_mask;
static size_t page;

/* Every subtest starts on a fresh DRM fd (see ionode_subtest()). */
#define subtest(name) ionode_subtest(&fd, name)
#define subtest_f(...) ionode_subtest_f(&fd, __VA_ARGS__)

/* mmap() expected to fail with @err. */
#define mmap_expect_fail(len, flags, mfd, off, err) do { \
	void *__p = mmap(NULL, (len), PROT_READ | PROT_WRITE, (flags), \
			 (mfd), (off_t)(off)); \
	int __e = errno; \
	if (__p != MAP_FAILED) \
		munmap(__p, (len)); \
	igt_assert_f(__p == MAP_FAILED && __e == (err), \
		     "mmap(len %zu, %s, off %#llx) expected to fail with %s, " \
		     "got %s\n", (size_t)(len), #flags, \
		     (unsigned long long)(off), igt_errno_name(err), \
		     __p == MAP_FAILED ? igt_errno_name(__e) : "success"); \
} while (0)

static uint64_t map_offset(uint32_t handle)
{
	uint64_t off = 0;
	int ret = ionode_map_offset(fd, handle, &off);

	igt_assert_f(ret == 0, "MAP_OFFSET failed: %s\n", igt_errno_name(-ret));
	return off;
}

/*
 * Write through one mapping, read through the other, bracketed with
 * DMA_BUF_IOCTL_SYNC as the uapi asks for cached buffers.
 */
static void cross_map(uint32_t flags, bool drm_writes)
{
	const size_t size = 16 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, flags);
	int dmabuf = ionode_bo_export(fd, h);
	void *drm_map = ionode_bo_mmap(fd, h, size, RW);
	void *dma_map = dmabuf_mmap(dmabuf, size, 0, RW);
	void *wr = drm_writes ? drm_map : dma_map;
	void *rd = drm_writes ? dma_map : drm_map;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(wr, size, 0x1234 + flags, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(rd, size, 0x1234 + flags, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	/* And a second round the other way on the same mappings. */
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	fill_pattern(rd, size, 0x9876 + flags, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(wr, size, 0x9876 + flags, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	munmap(drm_map, size);
	munmap(dma_map, size);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/*
 * Every heap a test may use maps through both fds: a small buffer from that
 * heap alone reads as zero, then a pattern written through the DRM fd reads
 * back through the dma-buf fd.
 */
static void test_all_heaps(void)
{
	const size_t size = 2 * page;
	uint32_t i, checked = 0;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *heap = &heaps.info[i];
		uint32_t h, f;

		if (!ionode_heap_usable(heap, size))
			continue;
		for (f = 0; f < 2; f++) {
			uint32_t flags = f ? IONODE_BO_CACHED : 0;
			void *a, *b;
			int dmabuf;

			h = ionode_bo_create(fd, size, 1ull << heap->id, flags);
			dmabuf = ionode_bo_export(fd, h);
			a = ionode_bo_mmap(fd, h, size, RW);
			b = dmabuf_mmap(dmabuf, size, 0, RW);
			dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			check_zero(a, size);
			fill_pattern(a, size, heap->id * 2 + f, 0);
			dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
			check_pattern(b, size, heap->id * 2 + f, 0);
			dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
			munmap(a, size);
			munmap(b, size);
			close(dmabuf);
			ionode_bo_close(fd, h);
		}
		igt_info("heap %s: ok\n", heap->name);
		checked++;
	}
	igt_assert_lt(0, checked);
}

/* Every valid DMA_BUF_IOCTL_SYNC combination succeeds, cached and WC. */
static void test_sync_valid_flags(void)
{
	const uint64_t combos[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	unsigned int f, i;

	for (f = 0; f < 2; f++) {
		uint32_t h = ionode_bo_create(fd, 4 * page, sys_mask,
					      f ? IONODE_BO_CACHED : 0);
		int dmabuf = ionode_bo_export(fd, h);

		for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++)
			dmabuf_sync(dmabuf, combos[i]);
		close(dmabuf);
		ionode_bo_close(fd, h);
	}
}

/* Sync flags without READ/WRITE, or with unknown bits, are EINVAL. */
static void test_sync_invalid_flags(void)
{
	const uint64_t bad[] = {
		0,					/* START, no direction */
		DMA_BUF_SYNC_END,			/* END, no direction */
		DMA_BUF_SYNC_READ | (1ull << 3),
		DMA_BUF_SYNC_RW | (1ull << 8),
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE | (1ull << 31),
		DMA_BUF_SYNC_RW | (1ull << 63),
		~0ull,
	};
	uint32_t h = ionode_bo_create(fd, page, sys_mask, IONODE_BO_CACHED);
	int dmabuf = ionode_bo_export(fd, h);
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dma_buf_sync sync = { .flags = bad[i] };

		do_ioctl_err(dmabuf, DMA_BUF_IOCTL_SYNC, &sync, EINVAL);
	}
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* A mapping larger than the object, or reaching past its end, is EINVAL. */
static void test_mmap_beyond_size(void)
{
	uint32_t h = ionode_bo_create(fd, 2 * page, sys_mask, 0);
	int dmabuf = ionode_bo_export(fd, h);
	uint64_t off = map_offset(h);

	mmap_expect_fail(3 * page, MAP_SHARED, fd, off, EINVAL);
	mmap_expect_fail(3 * page, MAP_SHARED, dmabuf, 0, EINVAL);
	mmap_expect_fail(2 * page, MAP_SHARED, dmabuf, page, EINVAL);
	mmap_expect_fail(page, MAP_SHARED, dmabuf, 2 * page, EINVAL);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* Mapping only the first pages through the DRM fd shows those bytes. */
static void test_mmap_partial_length(void)
{
	const size_t size = 8 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0);
	void *full = ionode_bo_mmap(fd, h, size, RW);
	void *part;

	fill_pattern(full, size, 77, 0);
	part = ionode_bo_mmap(fd, h, page, PROT_READ);
	check_pattern(part, page, 77, 0);
	munmap(part, page);
	part = ionode_bo_mmap(fd, h, 3 * page, RW);
	check_pattern(part, 3 * page, 77, 0);
	fill_pattern(part, 3 * page, 78, 0);
	check_pattern(full, 3 * page, 78, 0);
	check_pattern((char *)full + 3 * page, 5 * page, 77, 3 * page);
	munmap(part, 3 * page);
	munmap(full, size);
	ionode_bo_close(fd, h);
}

/*
 * A dma-buf mapping at an offset into the buffer (mmap offset 4096 and up)
 * sees the bytes at that offset, both ways.
 */
static void test_mmap_dmabuf_offset(void)
{
	const size_t size = 8 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, IONODE_BO_CACHED);
	int dmabuf = ionode_bo_export(fd, h);
	void *full = ionode_bo_mmap(fd, h, size, RW);
	void *part;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(full, size, 0xabc, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	part = dmabuf_mmap(dmabuf, 2 * page, page, RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_pattern(part, 2 * page, 0xabc, page);
	fill_pattern(part, 2 * page, 0xdef, page);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(part, 2 * page);

	part = dmabuf_mmap(dmabuf, page, 7 * page, PROT_READ);
	check_pattern(part, page, 0xabc, 7 * page);
	munmap(part, page);

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(full, page, 0xabc, 0);
	check_pattern((char *)full + page, 2 * page, 0xdef, page);
	check_pattern((char *)full + 3 * page, 5 * page, 0xabc, 3 * page);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	munmap(full, size);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/*
 * Through the DRM fd, the fake offset must be the buffer's own: DRM core's
 * drm_gem_mmap() looks it up exactly (drm_vma_offset_exact_lookup_locked),
 * so map_offset + 4096 is EINVAL. Partial mappings at an offset go through
 * the dma-buf fd (mmap-dmabuf-offset).
 */
static void test_mmap_drm_offset_inside(void)
{
	uint32_t h = ionode_bo_create(fd, 4 * page, sys_mask, 0);
	uint64_t off = map_offset(h);

	mmap_expect_fail(page, MAP_SHARED, fd, off + page, EINVAL);
	mmap_expect_fail(3 * page, MAP_SHARED, fd, off + page, EINVAL);
	ionode_bo_close(fd, h);
}

/* MAP_PRIVATE (copy-on-write) mappings are refused on both fds: EINVAL. */
static void test_mmap_private_refused(void)
{
	uint32_t h = ionode_bo_create(fd, 2 * page, sys_mask, IONODE_BO_CACHED);
	int dmabuf = ionode_bo_export(fd, h);
	uint64_t off = map_offset(h);

	mmap_expect_fail(2 * page, MAP_PRIVATE, fd, off, EINVAL);
	mmap_expect_fail(2 * page, MAP_PRIVATE, dmabuf, 0, EINVAL);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/* An offset that is no buffer's (0, or made up) does not map: EINVAL. */
static void test_mmap_bad_offset(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	uint64_t off = map_offset(h);

	mmap_expect_fail(page, MAP_SHARED, fd, 0, EINVAL);
	mmap_expect_fail(page, MAP_SHARED, fd, off + 1024 * page, EINVAL);
	ionode_bo_close(fd, h);
}

/* Once the last reference is gone its offset no longer maps: EINVAL. */
static void test_mmap_closed_offset(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	uint64_t off = map_offset(h);

	ionode_bo_close(fd, h);
	mmap_expect_fail(page, MAP_SHARED, fd, off, EINVAL);
}

/*
 * A fake offset only maps through the DRM file that has a handle to the
 * buffer: another fd of the same device gets EACCES (DRM core's
 * drm_vma_node_is_allowed()).
 */
static void test_mmap_other_fd(void)
{
	uint32_t h = ionode_bo_create(fd, page, sys_mask, 0);
	uint64_t off = map_offset(h);
	int fd2 = ionode_open();

	igt_assert_lte(0, fd2);
	mmap_expect_fail(page, MAP_SHARED, fd2, off, EACCES);
	close(fd2);
	ionode_bo_close(fd, h);
}

/* MAP_OFFSET is stable per buffer, page aligned, distinct across buffers. */
static void test_map_offset_stable(void)
{
	uint32_t a = ionode_bo_create(fd, page, sys_mask, 0);
	uint32_t b = ionode_bo_create(fd, page, sys_mask, 0);
	uint64_t oa = map_offset(a), ob = map_offset(b);

	igt_assert_neq_u64(oa, 0);
	igt_assert_eq_u64(oa % page, 0);
	igt_assert_eq_u64(ob % page, 0);
	igt_assert_eq_u64(map_offset(a), oa);
	igt_assert_neq_u64(oa, ob);
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
}

/* Read-only mappings through both fds read the buffer. */
static void test_mmap_read_only(void)
{
	const size_t size = 4 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0);
	int dmabuf = ionode_bo_export(fd, h);
	void *rw = ionode_bo_mmap(fd, h, size, RW);
	void *ro1, *ro2;

	fill_pattern(rw, size, 5, 0);
	ro1 = ionode_bo_mmap(fd, h, size, PROT_READ);
	ro2 = dmabuf_mmap(dmabuf, size, 0, PROT_READ);
	check_pattern(ro1, size, 5, 0);
	check_pattern(ro2, size, 5, 0);
	munmap(ro1, size);
	munmap(ro2, size);
	munmap(rw, size);
	close(dmabuf);
	ionode_bo_close(fd, h);
}

/*
 * New buffers read as zero: 200 rounds of allocate, check every byte,
 * scribble, free, alternating sizes and caching, so freed pages get reused.
 */
static void test_zero_on_alloc(void)
{
	unsigned int i;

	for (i = 0; i < 200; i++) {
		size_t size = (1 + i % 16) * page;
		uint32_t flags = i % 2 ? IONODE_BO_CACHED : 0;
		uint32_t h = ionode_bo_create(fd, size, sys_mask, flags);
		void *p = ionode_bo_mmap(fd, h, size, RW);

		check_zero(p, size);
		memset(p, 0xa5 ^ (i & 0xff), size);
		munmap(p, size);
		ionode_bo_close(fd, h);
	}
}

/* A 16 MiB buffer reads as zero in full (and after a scribbled one). */
static void test_zero_on_alloc_large(void)
{
	const size_t size = 16 * MiB;
	unsigned int round;

	for (round = 0; round < 2; round++) {
		uint32_t h = ionode_bo_create(fd, size, sys_mask,
					      round ? IONODE_BO_CACHED : 0);
		void *p = ionode_bo_mmap(fd, h, size, RW);

		check_zero(p, size);
		memset(p, 0xff, size);
		munmap(p, size);
		ionode_bo_close(fd, h);
	}
}

/*
 * Every usable heap zeroes its buffers: fill a buffer, free it, allocate
 * the same size from the same heap (fixed-size heaps hand the same range
 * back), check zero.
 */
static void test_zero_on_alloc_all_heaps(void)
{
	const size_t size = 16 * page;
	uint32_t i, round, checked = 0;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *heap = &heaps.info[i];

		if (!ionode_heap_usable(heap, size))
			continue;
		for (round = 0; round < 8; round++) {
			uint32_t h = ionode_bo_create(fd, size, 1ull << heap->id,
						      round % 2 ? IONODE_BO_CACHED : 0);
			void *p = ionode_bo_mmap(fd, h, size, RW);

			check_zero(p, size);
			memset(p, 0x5a, size);
			munmap(p, size);
			ionode_bo_close(fd, h);
		}
		checked++;
	}
	igt_assert_lt(0, checked);
}

/*
 * A DRM-fd mapping keeps the buffer alive after GEM_CLOSE of its only
 * handle: the bytes are still there and writable until munmap.
 */
static void test_mapping_outlives_handle(void)
{
	const size_t size = 8 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, 0);
	void *p = ionode_bo_mmap(fd, h, size, RW);

	fill_pattern(p, size, 31, 0);
	ionode_bo_close(fd, h);
	check_pattern(p, size, 31, 0);
	fill_pattern(p, size, 32, 0);
	check_pattern(p, size, 32, 0);
	munmap(p, size);
}

/*
 * A dma-buf mapping keeps the buffer alive after both the handle and the
 * dma-buf fd are closed.
 */
static void test_mapping_outlives_dmabuf(void)
{
	const size_t size = 8 * page;
	uint32_t h = ionode_bo_create(fd, size, sys_mask, IONODE_BO_CACHED);
	int dmabuf = ionode_bo_export(fd, h);
	void *p = dmabuf_mmap(dmabuf, size, 0, RW);

	fill_pattern(p, size, 41, 0);
	ionode_bo_close(fd, h);
	close(dmabuf);
	check_pattern(p, size, 41, 0);
	fill_pattern(p, size, 42, 0);
	check_pattern(p, size, 42, 0);
	munmap(p, size);
}

/* A DRM-fd mapping stays valid after the whole DRM fd is closed. */
static void test_mapping_outlives_fd(void)
{
	const size_t size = 8 * page;
	int fd2 = ionode_open();
	uint32_t h;
	void *p;

	igt_assert_lte(0, fd2);
	h = ionode_bo_create(fd2, size, sys_mask, 0);
	p = ionode_bo_mmap(fd2, h, size, RW);
	fill_pattern(p, size, 51, 0);
	close(fd2);
	check_pattern(p, size, 51, 0);
	fill_pattern(p, size, 52, 0);
	check_pattern(p, size, 52, 0);
	munmap(p, size);
}

igt_main
{
	static const struct {
		const char *name;
		uint32_t flags;
	} caching[] = {
		{ "cached", IONODE_BO_CACHED },
		{ "wc", 0 },
	};
	static unsigned int c;

	igt_fixture {
		fd = igt_ionode_open();
		page = ionode_page_size();
		ionode_get_heaps(fd, &heaps);
		sys_mask = ionode_system_mask(&heaps);
	}

	/*
	 * drm-to-dmabuf-*: bytes written through the DRM-fd mapping read
	 * back through the dma-buf mapping (then the reverse on the same
	 * mappings); dmabuf-to-drm-*: starting the other way round.
	 */
	for (c = 0; c < 2; c++) {
		subtest_f("drm-to-dmabuf-%s", caching[c].name)
			cross_map(caching[c].flags, true);
		subtest_f("dmabuf-to-drm-%s", caching[c].name)
			cross_map(caching[c].flags, false);
	}
	subtest("all-heaps")
		test_all_heaps();

	subtest("sync-valid-flags")
		test_sync_valid_flags();
	subtest("sync-invalid-flags")
		test_sync_invalid_flags();

	subtest("mmap-beyond-size")
		test_mmap_beyond_size();
	subtest("mmap-partial-length")
		test_mmap_partial_length();
	subtest("mmap-dmabuf-offset")
		test_mmap_dmabuf_offset();
	subtest("mmap-drm-offset-inside")
		test_mmap_drm_offset_inside();
	subtest("mmap-private-refused")
		test_mmap_private_refused();
	subtest("mmap-bad-offset")
		test_mmap_bad_offset();
	subtest("mmap-closed-offset")
		test_mmap_closed_offset();
	subtest("mmap-other-fd")
		test_mmap_other_fd();
	subtest("map-offset-stable")
		test_map_offset_stable();
	subtest("mmap-read-only")
		test_mmap_read_only();

	subtest("zero-on-alloc")
		test_zero_on_alloc();
	subtest("zero-on-alloc-large")
		test_zero_on_alloc_large();
	subtest("zero-on-alloc-all-heaps")
		test_zero_on_alloc_all_heaps();

	subtest("mapping-outlives-handle")
		test_mapping_outlives_handle();
	subtest("mapping-outlives-dmabuf")
		test_mapping_outlives_dmabuf();
	subtest("mapping-outlives-fd")
		test_mapping_outlives_fd();

	igt_fixture {
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
