// SPDX-License-Identifier: MIT
/*
 * ionode_heaps - heap round trips and fallback: per-heap round trips
 * (dynamic subtests, one per heap), contiguity, carveout bounds, fallback
 * order, alignment, and the heap list's consistency across the query,
 * sysfs and debugfs.
 *
 * Heaps are looked up by name; subtests about a heap the running kernel
 * does not have skip ("cma" needs a kernel with a CMA area, "carveout0"
 * needs ionode loaded with carveout=, "carveout1" a second range).
 * Physical addresses are never reported (by design), so carveout bounds
 * and alignment are checked through what is observable: byte counts, the
 * carveout= parameter, /proc/iomem, and which requests a first-fit
 * allocator over exactly the reserved range can and cannot satisfy.
 * Accounting, policy and the randomised run are ionode_heaps_accounting,
 * ionode_heaps_policy and ionode_heaps_stress.
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

/* ---- per-heap round trip ------------------------------------------------ */

/*
 * Heap @name allocates, maps through the DRM fd, exports and keeps its
 * bytes, write-combined and cached: a fresh buffer reads zero; a pattern
 * written through the DRM mapping reads back through the dma-buf mapping
 * (whole and from an offset) and through a second ionode fd that imported
 * the dma-buf; a pattern written through the dma-buf reads back through the
 * DRM mapping; the bytes survive closing the handle while the dma-buf
 * lives; a buffer allocated after freeing a patterned one reads zero
 * (carveouts reuse the same range first-fit, so this checks zeroing);
 * the heap's used bytes return to where they were.
 */
static void test_heap_roundtrip(const char *name)
{
	const uint32_t flag_sets[] = { 0, IONODE_BO_CACHED };
	struct drm_ionode_heap_info h = require_heap(name);
	uint64_t size = MiB + 5 * page, used_before = h.used_bytes;
	unsigned int i;

	if (size > h.max_alloc)
		size = h.max_alloc & ~(uint64_t)(page - 1);
	if (h.free_bytes != IONODE_SIZE_UNKNOWN && size > h.free_bytes)
		size = h.free_bytes & ~(uint64_t)(page - 1);
	igt_require_f(size >= 8 * page, "heap %s has only %llu bytes free\n",
		      name, (unsigned long long)size);
	igt_info("heap %s: id %u, %llu-byte buffers\n", name, h.id,
		 (unsigned long long)size);

	for (i = 0; i < 2; i++) {
		uint32_t flags = flag_sets[i], seed = 0x1000 + i, h2;
		const size_t off = 3 * page;
		struct drm_ionode_create req;
		struct drm_ionode_bo_info info;
		uint8_t *cpu, *dbuf, *part, *cpu2;
		int dmabuf, fd2;

		req = create_ok(size, 0, 1ull << h.id, flags);
		igt_assert_eq(req.heap_id, h.id);
		info = ionode_bo_info_get(fd, req.handle);
		igt_assert_eq_u64(info.size, size);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.flags, flags);
		igt_assert_eq(heap_now(name).used_bytes, used_before + size);

		cpu = bo_map(fd, req.handle, size);
		check_zero(cpu, size);
		fill_pattern(cpu, size, seed, 0);

		dmabuf = bo_export(fd, req.handle);
		dbuf = dmabuf_map(dmabuf, size, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		check_pattern(dbuf, size, seed, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

		part = dmabuf_map(dmabuf, size - off, off);
		check_pattern(part, size - off, seed, off);
		unmap(part);

		/* Another client importing the dma-buf sees the same bytes. */
		fd2 = open_ionode2();
		h2 = ionode_bo_import(fd2, dmabuf);
		info = ionode_bo_info_get(fd2, h2);
		igt_assert_eq_u64(info.size, size);
		igt_assert_eq(info.heap_id, h.id);
		igt_assert_eq(info.attrs & IONODE_ATTR_IMPORTED, 0);
		cpu2 = bo_map(fd2, h2, size);
		check_pattern(cpu2, size, seed, 0);
		unmap(cpu2);
		ionode_bo_close(fd2, h2);
		close_fd(fd2);

		/* The other way round: dma-buf writes, DRM mapping reads. */
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		fill_pattern(dbuf, size, seed + 100, 0);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		check_pattern(cpu, size, seed + 100, 0);

		/* The dma-buf alone keeps the buffer and its bytes. */
		unmap(cpu);
		unmap(dbuf);
		ionode_bo_close(fd, req.handle);
		igt_assert_eq(heap_now(name).used_bytes, used_before + size);
		dbuf = dmabuf_map(dmabuf, size, 0);
		check_pattern(dbuf, size, seed + 100, 0);
		unmap(dbuf);
		close_fd(dmabuf);
		igt_assert_eq(heap_now(name).used_bytes, used_before);

		/* Freed bytes do not leak into the next buffer. */
		req = create_ok(size, 0, 1ull << h.id, flags);
		cpu = bo_map(fd, req.handle, size);
		check_zero(cpu, size);
		unmap(cpu);
		ionode_bo_close(fd, req.handle);
		igt_assert_eq(heap_now(name).used_bytes, used_before);
	}
}

/* ---- contiguity --------------------------------------------------------- */

/*
 * Buffers of contiguous heaps (system-contig, cma, carveouts) report
 * IONODE_ATTR_CONTIGUOUS, with or without IONODE_BO_CONTIGUOUS, also after
 * export and in another client that imported them (the attribute an
 * importer relies on for a single-segment mapping); the query and sysfs
 * flag those heaps IONODE_HEAP_CONTIGUOUS. A multi-page system buffer does
 * not report the attribute and the system heap has no such flag.
 */
static void test_contiguous_attrs(void)
{
	const char *contig[] = { "system-contig", "cma", "carveout0", "carveout1" };
	const struct drm_ionode_heap_info sys = heap_now("system");
	struct drm_ionode_bo_info info;
	unsigned int i, checked = 0;
	uint32_t handle;
	int fd2 = open_ionode2();

	igt_assert_eq(sys.flags & IONODE_HEAP_CONTIGUOUS, 0);
	if (have_sysfs_heaps())
		igt_assert_eq(sysfs_heap("system", "flags") &
			      IONODE_HEAP_CONTIGUOUS, 0);

	handle = create_in("system", 2 * MiB + 3 * page, 0, hmask("system"), 0);
	info = ionode_bo_info_get(fd, handle);
	igt_assert_f(!(info.attrs & IONODE_ATTR_CONTIGUOUS),
		     "multi-page system buffer reports contiguous (attrs %#x)\n",
		     info.attrs);
	ionode_bo_close(fd, handle);

	for (i = 0; i < sizeof(contig) / sizeof(contig[0]); i++) {
		const struct drm_ionode_heap_info *h = find_heap(contig[i]);
		const uint32_t flag_sets[] = { 0, IONODE_BO_CONTIGUOUS,
			IONODE_BO_CONTIGUOUS | IONODE_BO_CACHED };
		unsigned int f;

		if (!h) {
			igt_info("no %s heap\n", contig[i]);
			continue;
		}
		igt_assert_f(h->flags & IONODE_HEAP_CONTIGUOUS,
			     "heap %s flags %#x lack IONODE_HEAP_CONTIGUOUS\n",
			     h->name, h->flags);
		if (have_sysfs_heaps())
			igt_assert_eq(sysfs_heap(h->name, "flags"), h->flags);
		for (f = 0; f < 3; f++) {
			struct drm_ionode_create req;
			uint32_t h2;
			int dmabuf;

			req = create_ok(16 * page + 1, 0, 1ull << h->id,
					flag_sets[f]);
			igt_assert_eq(req.heap_id, h->id);
			info = ionode_bo_info_get(fd, req.handle);
			igt_assert_eq(info.flags, flag_sets[f]);
			igt_assert_f(info.attrs == IONODE_ATTR_CONTIGUOUS,
				     "%s buffer attrs %#x, expected contiguous "
				     "only\n", h->name, info.attrs);

			dmabuf = bo_export(fd, req.handle);
			info = ionode_bo_info_get(fd, req.handle);
			igt_assert_eq(info.attrs, IONODE_ATTR_CONTIGUOUS |
				      IONODE_ATTR_EXPORTED);
			h2 = ionode_bo_import(fd2, dmabuf);
			info = ionode_bo_info_get(fd2, h2);
			igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
			igt_assert_eq(info.heap_id, h->id);
			ionode_bo_close(fd2, h2);
			close_fd(dmabuf);
			ionode_bo_close(fd, req.handle);
		}
		checked++;
	}
	igt_assert_lt(0, checked);

	/* IONODE_BO_CONTIGUOUS over every heap never lands on system. */
	handle = create_ok(8 * page, 0, ionode_all_heaps_mask(&heaps),
			   IONODE_BO_CONTIGUOUS).handle;
	info = ionode_bo_info_get(fd, handle);
	igt_assert_neq(info.heap_id, sys.id);
	igt_assert(info.attrs & IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, handle);
	close_fd(fd2);
}

/* ---- carveouts ---------------------------------------------------------- */

/* memparse()-like: decimal or 0x, optional K/M/G suffix. */
/*
 * Pages allocated from the default CMA area, from CMA's own debugfs
 * counter (/sys/kernel/debug/cma/<area>/used, in pages; only cma_alloc()
 * and cma_release() move it). -1 when the kernel has no such counter.
 */
static long cma_area_used(void)
{
	char path[300], buf[32];
	long used = -1;
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/debug/cma");
	FILE *f;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/cma/%s/used",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f))
			used = (used < 0 ? 0 : used) + atol(buf);
		fclose(f);
	}
	closedir(d);
	return used;
}

/*
 * "cma" means the CMA area, whatever the size: one page (which the DMA
 * API would take from the page allocator if asked for one page), a few
 * pages, 1 MiB. Each buffer takes at least its own pages out of the area,
 * and gives them all back.
 */
static void test_cma_from_cma_area(void)
{
	const uint64_t sizes[] = { 1, 3, 256 };
	long before, during;
	unsigned int i;

	require_heap("cma");
	before = cma_area_used();
	igt_require_f(before >= 0, "no CMA debugfs (CONFIG_CMA_DEBUGFS)\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t pages = sizes[i];
		uint32_t h = create_in("cma", pages * page, 0, hmask("cma"), 0);

		during = cma_area_used();
		igt_assert_f(during >= before + (long)pages,
			     "a %llu-page cma buffer took %ld pages of the CMA area\n",
			     (unsigned long long)pages, during - before);
		ionode_bo_close(fd, h);
		igt_assert_eq(cma_area_used(), before);
	}
}

/*
 * Carveout heaps are exactly the reserved ranges: for every carveoutN the
 * query and sysfs report total_bytes equal to range N of the carveout=
 * parameter, max_alloc the same, free + used == total, type CARVEOUT; as
 * root, /proc/iomem shows no System RAM inside the range (the memory the
 * heap hands out is not the kernel's).
 */
static void test_ionode_carveout_range(void)
{
	unsigned int n;

	for (n = 0; ; n++) {
		char name[32];
		const struct drm_ionode_heap_info *h;
		uint64_t base, size;

		snprintf(name, sizeof(name), "carveout%u", n);
		h = find_heap(name);
		if (!ionode_carveout_range(n, &base, &size)) {
			igt_assert_f(!h, "%s exists but the carveout parameter "
				     "has no range %u\n", name, n);
			break;
		}
		igt_assert_f(h, "carveout range %u (%#llx@%#llx) has no heap\n",
			     n, (unsigned long long)size,
			     (unsigned long long)base);
		igt_info("%s: %llu MiB at %#llx\n", name,
			 (unsigned long long)(size >> 20),
			 (unsigned long long)base);
		igt_assert_eq(h->type, IONODE_HEAP_TYPE_CARVEOUT);
		igt_assert_eq_u64(h->total_bytes, size);
		igt_assert_eq_u64(h->max_alloc, size);
		igt_assert_eq_u64(h->free_bytes + h->used_bytes, size);
		if (have_sysfs_heaps()) {
			igt_assert_eq(sysfs_heap(name, "total_bytes"), (int64_t)size);
			igt_assert_eq(sysfs_heap(name, "free_bytes") +
				      sysfs_heap(name, "used_bytes"),
				      (int64_t)size);
			igt_assert_eq(sysfs_heap(name, "type"),
				      IONODE_HEAP_TYPE_CARVEOUT);
		}

		if (geteuid() == 0) {
			FILE *f = fopen("/proc/iomem", "r");
			char line[256];

			igt_assert(f);
			while (fgets(line, sizeof(line), f)) {
				unsigned long long s, e;

				if (sscanf(line, " %llx-%llx", &s, &e) != 2 ||
				    !strstr(line, "System RAM"))
					continue;
				igt_assert_f(e < base || s >= base + size,
					     "%s range %#llx-%#llx overlaps "
					     "System RAM: %s", name,
					     (unsigned long long)base,
					     (unsigned long long)(base + size - 1),
					     line);
			}
			fclose(f);
		}
	}
	igt_require_f(n > 0, "no carveout configured (carveout= parameter)\n");
}

/*
 * The whole carveout can be filled exactly, in max-size chunks of 4 MiB
 * (16 for 64 MiB), and then not one more page fits: ENOMEM, with
 * free_bytes 0 and used == total; freeing one chunk makes room for exactly
 * that chunk again. Everything goes back at the end.
 */
static void test_carveout_fill_exact(void)
{
	static uint32_t handles[4096];
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t chunk = 4 * MiB, m = 1ull << h.id;
	unsigned int n, i;

	while (h.total_bytes % chunk)
		chunk /= 2;
	igt_assert_lte_u64(page, chunk);
	n = h.total_bytes / chunk;
	igt_require(n <= 4096);
	igt_info("filling carveout0 with %u x %llu KiB\n", n,
		 (unsigned long long)(chunk >> 10));

	for (i = 0; i < n; i++)
		handles[i] = create_in("carveout0", chunk, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, h.total_bytes);
	igt_assert_eq_u64(h.free_bytes, 0);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("carveout0", "buffers"), n);
		igt_assert_eq(sysfs_heap("carveout0", "free_bytes"), 0);
	}
	create_err(page, 0, m, 0, ENOMEM);
	create_err(1, 0, m, IONODE_BO_CACHED, ENOMEM);
	create_err(page, 0, m, IONODE_BO_CONTIGUOUS, ENOMEM);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, h.total_bytes);

	/* One chunk freed in the middle: exactly one chunk fits again. */
	ionode_bo_close(fd, handles[n / 2]);
	igt_assert_eq_u64(heap_now("carveout0").free_bytes, chunk);
	create_err(chunk + page, 0, m, 0, ENOMEM);
	handles[n / 2] = create_in("carveout0", chunk, 0, m, 0);
	create_err(page, 0, m, 0, ENOMEM);

	for (i = 0; i < n; i++)
		ionode_bo_close(fd, handles[i]);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, 0);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
}

/*
 * No silent spill outside the range: with part of the carveout in use, a
 * request one page larger than what remains fails with ENOMEM (not E2BIG:
 * it is within max_alloc), the exact remainder succeeds, and free + used
 * equals total at every step.
 */
static void test_carveout_no_spill(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id, first = (h.total_bytes * 5 / 8) &
		~(uint64_t)(page - 1), rest = h.total_bytes - first;
	uint32_t a, b;

	a = create_in("carveout0", first, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, first);
	igt_assert_eq_u64(h.free_bytes, rest);

	create_err(rest + page, 0, m, 0, ENOMEM);
	create_err(rest + 1, 0, m, IONODE_BO_CACHED, ENOMEM);
	create_err(h.total_bytes, 0, m, 0, ENOMEM);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, first);
	igt_assert_eq_u64(h.free_bytes + h.used_bytes, h.total_bytes);

	b = create_in("carveout0", rest, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, 0);
	igt_assert_eq_u64(h.used_bytes, h.total_bytes);
	ionode_bo_close(fd, a);
	ionode_bo_close(fd, b);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/* ---- fallback order ----------------------------------------------------- */

/*
 * Lower ids are tried first: system-contig|carveout0 with
 * IONODE_BO_CONTIGUOUS (and without) is served by system-contig;
 * system|carveout0 with IONODE_BO_CONTIGUOUS skips system for carveout0;
 * every heap without flags gives system.
 */
static void test_fallback_contig_order(void)
{
	uint32_t h;

	require_heap("system-contig");
	require_heap("carveout0");
	igt_assert_lt(hid("system-contig"), hid("carveout0"));

	h = create_in("system-contig", 16 * page, 0,
		      hmask("system-contig") | hmask("carveout0"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", 16 * page, 0,
		      hmask("system-contig") | hmask("carveout0"), 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", 16 * page, 0,
		      hmask("system") | hmask("carveout0"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", 16 * page, 0,
		      ionode_all_heaps_mask(&heaps), IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system", 16 * page, 0, ionode_all_heaps_mask(&heaps), 0);
	ionode_bo_close(fd, h);
}

/*
 * A size above system-contig's max_alloc (4 MiB) skips it: with
 * system-contig|carveout0 the buffer lands in carveout0 (heap_id and
 * bo_info say so); system-contig alone is E2BIG; above carveout0's size
 * too, E2BIG.
 */
static void test_fallback_size(void)
{
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co = require_empty_carveout("carveout0");
	uint64_t m = hmask("system-contig") | hmask("carveout0");
	uint64_t big = sc.max_alloc + page;
	struct drm_ionode_bo_info info;
	uint32_t h;

	igt_assert_eq_u64(sc.max_alloc, 4 * MiB);
	igt_require(co.max_alloc >= big);

	h = create_in("carveout0", big, 0, m, 0);
	info = ionode_bo_info_get(fd, h);
	igt_assert_eq(info.heap_id, co.id);
	igt_assert_eq_u64(info.size, big);
	igt_assert_eq(info.attrs & IONODE_ATTR_CONTIGUOUS, IONODE_ATTR_CONTIGUOUS);
	ionode_bo_close(fd, h);

	h = create_in("carveout0", big, 0, m, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", sc.max_alloc / 4, 0, m, 0);
	ionode_bo_close(fd, h);
	h = create_in("system", big, 0, m | hmask("system"), 0);
	ionode_bo_close(fd, h);

	create_err(big, 0, hmask("system-contig"), 0, E2BIG);
	create_err(co.max_alloc + page, 0, m, 0, E2BIG);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

static void test_fallback_exhausted(void)
{
	uint64_t co;
	uint32_t h;

	require_empty_carveout("carveout0");
	require_heap("system-contig");
	co = hmask("carveout0");

	fill_carveout("carveout0");
	create_err(page, 0, co, 0, ENOMEM);
	create_err(page, 0, co, IONODE_BO_CONTIGUOUS | IONODE_BO_CACHED, ENOMEM);
	h = create_in("system", MiB, 0, co | hmask("system"), 0);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", MiB, 0, co | hmask("system-contig"),
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(heap_now("carveout0").free_bytes, 0);

	ionode_bo_close(fd, fill_handles[--n_fill]);
	h = create_in("carveout0", page, 0, co, 0);
	ionode_bo_close(fd, h);
	unfill();
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * An exhausted heap makes way for the next one in the mask: carveout0 is
 * tried before carveout1 (lower id), so carveout0|carveout1 goes to
 * carveout0 while it has room and to carveout1 once it is full; freeing
 * carveout0 brings the requests back to it. Needs two carveouts.
 */
static void test_fallback_next_carveout(void)
{
	uint64_t m;
	uint32_t h;

	require_empty_carveout("carveout0");
	require_empty_carveout("carveout1");
	m = hmask("carveout0") | hmask("carveout1");
	igt_assert_lt(hid("carveout0"), hid("carveout1"));

	h = create_in("carveout0", MiB, 0, m, 0);
	ionode_bo_close(fd, h);
	fill_carveout("carveout0");
	h = create_in("carveout1", MiB, 0, m, 0);
	igt_assert_eq_u64(heap_now("carveout1").used_bytes, MiB);
	ionode_bo_close(fd, h);
	h = create_in("carveout1", page, 0, m, IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	unfill();
	h = create_in("carveout0", MiB, 0, m, 0);
	ionode_bo_close(fd, h);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
	igt_assert_eq_u64(heap_now("carveout1").used_bytes, 0);
}

/* ---- alignment ---------------------------------------------------------- */

/*
 * Alignments the contiguous heaps can meet succeed: 1 MiB on system-contig
 * and on carveout0, up to system-contig's max_alloc (4 MiB) on it, and on
 * carveout0 up to its size; a mask with system first skips system for an
 * alignment above the page size.
 */
static void test_align_valid(void)
{
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co = require_empty_carveout("carveout0");
	uint64_t base, size, a;
	uint32_t h;

	h = create_in("system-contig", page, MiB, 1ull << sc.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", MiB + page, MiB, 1ull << sc.id,
		      IONODE_BO_CACHED);
	ionode_bo_close(fd, h);
	h = create_in("system-contig", page, sc.max_alloc, 1ull << sc.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB, 1ull << co.id, 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", 3 * MiB, MiB, 1ull << co.id,
		      IONODE_BO_CONTIGUOUS);
	ionode_bo_close(fd, h);
	for (a = 2 * page; a <= 16 * MiB && a <= co.total_bytes / 2; a *= 2) {
		h = create_in("carveout0", page, a, 1ull << co.id, 0);
		ionode_bo_close(fd, h);
	}

	h = create_in("system-contig", page, MiB,
		      hmask("system") | hmask("system-contig"), 0);
	ionode_bo_close(fd, h);
	h = create_in("carveout0", page, MiB,
		      hmask("system") | hmask("carveout0"), 0);
	ionode_bo_close(fd, h);

	/* The range's own size as alignment, when the base is that aligned. */
	if (ionode_carveout_range(0, &base, &size) && base % size == 0 &&
	    !(size & (size - 1))) {
		h = create_in("carveout0", page, size, 1ull << co.id, 0);
		ionode_bo_close(fd, h);
	}
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}

/*
 * Alignments nobody can meet: not a power of two (EINVAL on every heap);
 * larger than the heap's max_alloc (EINVAL: no heap of the mask can meet
 * it), while a mask adding a heap that can falls back to it; above the
 * page size on the system heap alone (EINVAL).
 */
static void test_align_invalid(void)
{
	const uint64_t npot[] = { 3 * page, MiB + page, 3 * MiB, MiB - 1 };
	struct drm_ionode_heap_info sc = require_heap("system-contig");
	struct drm_ionode_heap_info co_copy;
	const struct drm_ionode_heap_info *co = NULL;
	unsigned int i;
	uint32_t h;

	if (find_heap("carveout0")) {
		co_copy = heap_now("carveout0");
		co = &co_copy;
	}

	for (i = 0; i < sizeof(npot) / sizeof(npot[0]); i++) {
		create_err(page, npot[i], 1ull << sc.id, 0, EINVAL);
		create_err(page, npot[i], ionode_all_heaps_mask(&heaps), 0,
			   EINVAL);
	}

	create_err(page, 2 * sc.max_alloc, 1ull << sc.id, 0, EINVAL);
	create_err(page, 2 * page, hmask("system"), 0, EINVAL);
	create_err(page, MiB, hmask("system"), IONODE_BO_CACHED, EINVAL);
	h = create_in("system-contig", page, 2 * page,
		      hmask("system") | hmask("system-contig"), 0);
	ionode_bo_close(fd, h);

	if (!co) {
		igt_info("no carveout0: skipping its alignment checks\n");
		return;
	}
	create_err(page, 3 * MiB, 1ull << co->id, 0, EINVAL);
	create_err(page, 2 * co->max_alloc, 1ull << co->id, 0, EINVAL);
	create_err(page, 2 * co->max_alloc,
		   (1ull << co->id) | (1ull << sc.id) | hmask("system"), 0,
		   EINVAL);
	if (co->free_bytes >= 2 * page) {
		/* Too coarse for system-contig, fine for carveout0. */
		h = create_in("carveout0", page, 2 * sc.max_alloc,
			      (1ull << sc.id) | (1ull << co->id), 0);
		ionode_bo_close(fd, h);
	}
}

/*
 * Accounting around an aligned carveout buffer: one page, then a 1 MiB
 * buffer aligned to 1 MiB: used_bytes is exactly 4096 + 1 MiB (alignment
 * padding is not charged), free_bytes is total minus that, in the query
 * and in sysfs, and both return to empty.
 */
static void test_carveout_align_accounting(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id;
	uint32_t a, b;

	a = create_in("carveout0", page, 0, m, 0);
	b = create_in("carveout0", MiB, MiB, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, page + MiB);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes - page - MiB);
	if (have_sysfs_heaps()) {
		igt_assert_eq(sysfs_heap("carveout0", "used_bytes"), page + MiB);
		igt_assert_eq(sysfs_heap("carveout0", "free_bytes"),
			      (int64_t)(h.total_bytes - page - MiB));
		igt_assert_eq(sysfs_heap("carveout0", "buffers"), 2);
	}
	ionode_bo_close(fd, a);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, MiB);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes - MiB);
	ionode_bo_close(fd, b);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.used_bytes, 0);
	igt_assert_eq_u64(h.free_bytes, h.total_bytes);
}

/*
 * The alignment is really honoured, seen through first fit (the address
 * itself is hidden): on an empty carveout whose base is A-aligned, with
 * A = total/4 rounded down to a power of two (16 MiB for 64 MiB), one page
 * lands at the base and an A-aligned A-byte buffer must then sit at
 * base + A, leaving holes of A - 4 KiB and total - 2A. So a request of
 * total - 2A + 4 KiB fails with ENOMEM although free_bytes is larger (an
 * unaligned placement at base + 4 KiB would leave total - A - 4 KiB in
 * one piece), while total - 2A and A - 4 KiB both fit, leaving the heap
 * exactly full.
 */
static void test_carveout_align_placement(void)
{
	struct drm_ionode_heap_info h = require_empty_carveout("carveout0");
	uint64_t m = 1ull << h.id, base, size, A = 1;
	uint32_t first, aligned, tail, hole;

	igt_require_f(ionode_carveout_range(0, &base, &size),
		      "cannot read the carveout parameter\n");
	igt_assert_eq_u64(size, h.total_bytes);
	while (A * 2 <= size / 4)
		A *= 2;
	igt_require_f(A >= 4 * page && base % A == 0,
		      "carveout0 base %#llx not aligned to %llu\n",
		      (unsigned long long)base, (unsigned long long)A);
	igt_info("carveout0: %llu MiB at %#llx, A = %llu MiB\n",
		 (unsigned long long)(size >> 20), (unsigned long long)base,
		 (unsigned long long)(A >> 20));

	first = create_in("carveout0", page, 0, m, 0);
	aligned = create_in("carveout0", A, A, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, size - A - page);
	igt_assert_lte_u64(size - 2 * A + page, h.free_bytes);

	create_err(size - 2 * A + page, 0, m, 0, ENOMEM);
	tail = create_in("carveout0", size - 2 * A, 0, m, 0);
	hole = create_in("carveout0", A - page, 0, m, 0);
	h = heap_now("carveout0");
	igt_assert_eq_u64(h.free_bytes, 0);
	create_err(page, 0, m, 0, ENOMEM);

	ionode_bo_close(fd, first);
	ionode_bo_close(fd, aligned);
	ionode_bo_close(fd, tail);
	ionode_bo_close(fd, hole);
	igt_assert_eq_u64(heap_now("carveout0").used_bytes, 0);
}


/* ---- heaps listed consistently ------------------------------------------ */

/*
 * The query, sysfs and debugfs list the same heaps: every queried heap
 * has a sysfs directory with matching type, flags and total, a debugfs
 * row with its id, and nothing else is listed; ids follow registration
 * (query) order; heaps follow the documented order system,
 * system-contig, cma, carveoutN.
 */
static void test_heaps_listed(void)
{
	uint32_t i;
	int last_rank = -1;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];
		int rank = h->type == IONODE_HEAP_TYPE_SYSTEM ? 0 :
			   h->type == IONODE_HEAP_TYPE_SYSTEM_CONTIG ? 1 :
			   h->type == IONODE_HEAP_TYPE_CMA ? 2 : 3;

		igt_assert_eq(h->id, i);
		igt_assert_lte(last_rank, rank);
		last_rank = rank;
		igt_info("heap %u %s type %u flags %#x max_alloc %llu\n", h->id,
			 h->name, h->type, h->flags,
			 (unsigned long long)h->max_alloc);
		if (have_sysfs_heaps()) {
			igt_assert_eq(sysfs_heap(h->name, "type"), h->type);
			igt_assert_eq(sysfs_heap(h->name, "flags"), h->flags);
			igt_assert_eq(sysfs_heap(h->name, "total_bytes"),
				      (int64_t)h->total_bytes);
		}
	}
	if (have_sysfs_heaps()) {
		DIR *d = opendir(SYSFS_HEAPS);
		struct dirent *e;
		unsigned int n = 0;

		igt_assert(d);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			igt_assert_f(ionode_heap(&heaps, e->d_name),
				     "sysfs lists unknown heap %s\n", e->d_name);
			n++;
		}
		closedir(d);
		igt_assert_eq(n, heaps.count);
	}
	if (find_debugfs()) {
		unsigned int n = debugfs_heaps();

		igt_assert_eq(n, heaps.count);
		for (i = 0; i < n; i++)
			igt_assert_eq(dbg_heap(n, heaps.info[i].name)->id,
				      heaps.info[i].id);
	}
}


igt_main
{
	igt_fixture
		heap_test_init();

	subtest("heaps-listed")
		test_heaps_listed();
	subtest_with_dynamic("heap-roundtrip") {
		static char names[IONODE_MAX_HEAPS + 8][IONODE_HEAP_NAME_LEN];
		static unsigned int k, n;

		n = heap_test_names(names, IONODE_MAX_HEAPS + 8);
		for (k = 0; k < n; k++)
			dynamic_f("%s", names[k])
				test_heap_roundtrip(names[k]);
	}
	subtest("contiguous-attrs")
		test_contiguous_attrs();
	subtest("cma-from-cma-area")
		test_cma_from_cma_area();
	subtest("carveout-range")
		test_ionode_carveout_range();
	subtest("carveout-fill-exact")
		test_carveout_fill_exact();
	subtest("carveout-no-spill")
		test_carveout_no_spill();
	subtest("fallback-contig-order")
		test_fallback_contig_order();
	subtest("fallback-size")
		test_fallback_size();
	subtest("fallback-exhausted")
		test_fallback_exhausted();
	subtest("fallback-next-carveout")
		test_fallback_next_carveout();
	subtest("align-valid")
		test_align_valid();
	subtest("align-invalid")
		test_align_invalid();
	subtest("carveout-align-accounting")
		test_carveout_align_accounting();
	subtest("carveout-align-placement")
		test_carveout_align_placement();

	igt_fixture
		heap_test_fini();
}
