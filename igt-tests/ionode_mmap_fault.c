// SPDX-License-Identifier: MIT
/*
 * ionode_mmap_fault - the fault path of CPU mappings: first touch.
 *
 * One fault maps a whole window around the faulting address (up to 2 MiB,
 * clipped to the mapping and the object). These tests check that it maps
 * the right bytes wherever a mapping starts and ends: both fds, both
 * caching modes, every heap (carveouts have no struct pages), mappings at
 * an offset into the object, of odd lengths, at addresses that are not
 * 2 MiB aligned, next to other mappings that must stay untouched, after a
 * partial munmap, in a forked child, under racing faults, and against the
 * kernel's own mapping (vmap, through the V4L2 test device). first-touch
 * counts the page faults of touching a fresh mapping (deterministic, so
 * asserted) and reports the time it takes (never asserted).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "igt_track.h"
#include "igt_v4l2.h"
#include "ionode_test.h"
#include "ionode_v4l2_test.h"

#define MiB		(1024ull * 1024)
#define WINDOW		(2 * MiB)
#define RW		(PROT_READ | PROT_WRITE)

static int fd = -1;
static struct ionode_heaps heaps;
static size_t page;

#define subtest(name) ionode_subtest(&fd, name)
#define subtest_f(...) ionode_subtest_f(&fd, __VA_ARGS__)
#define subtest_with_dynamic(name) ionode_subtest_with_dynamic(&fd, name)
#define dynamic_f(...) ionode_dynamic_f(&fd, __VA_ARGS__)

static const struct {
	const char *name;
	uint32_t flags;
} caching[] = {
	{ "cached", IONODE_BO_CACHED },
	{ "wc", 0 },
};

/* A buffer of heap @heap_id, its dma-buf, and a full DRM-fd mapping. */
struct buf {
	uint32_t handle;
	int dmabuf;
	size_t size;
	uint8_t *drm;
};

static struct buf buf_new(uint32_t heap_id, size_t size, uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size,
		.heap_mask = 1ull << heap_id,
		.flags = flags,
	};
	struct buf b;

	ionode_bo_create_ex(fd, &req);
	igt_assert_eq(req.heap_id, heap_id);
	b.handle = req.handle;
	b.size = req.size;
	b.dmabuf = track_fd(ionode_bo_export(fd, b.handle));
	b.drm = track_map(ionode_bo_mmap(fd, b.handle, b.size, RW), b.size);
	return b;
}

static void buf_free(struct buf *b)
{
	unmap(b->drm);
	close_fd(b->dmabuf);
	ionode_bo_close(fd, b->handle);
}

static uint32_t system_id(void)
{
	const struct drm_ionode_heap_info *h = ionode_heap(&heaps, "system");

	igt_require(h);
	return h->id;
}

static void sync_start(const struct buf *b)
{
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
}

static void sync_end(const struct buf *b)
{
	dmabuf_sync(b->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
}

/* Address space of @len bytes at a 2 MiB boundary plus @skew pages,
 * surrounded by 2 MiB of untouched anonymous memory on both sides. The
 * whole reservation is tracked; *@res/@res_len describe it.
 */
static uint8_t *reserve(size_t len, size_t skew, uint8_t **res,
			size_t *res_len)
{
	size_t total = len + skew * page + 4 * WINDOW;
	uint8_t *p = mmap(NULL, total, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t at;

	igt_assert(p != MAP_FAILED);
	track_map(p, total);
	at = ((uintptr_t)p + 2 * WINDOW - 1) & ~(uintptr_t)(WINDOW - 1);
	*res = p;
	*res_len = total;
	return (uint8_t *)at + skew * page;
}

/* Map @len bytes of @b's dma-buf (or DRM fd) from @off at @at, fixed. */
static uint8_t *map_at(const struct buf *b, bool via_drm, uint8_t *at,
		       size_t len, size_t off)
{
	uint64_t base = 0;
	void *p;

	if (via_drm) {
		igt_assert_eq(ionode_map_offset(fd, b->handle, &base), 0);
		igt_assert_eq_u64(off, 0);
	}
	p = mmap(at, len, RW, MAP_SHARED | MAP_FIXED,
		 via_drm ? fd : b->dmabuf, (off_t)(base + off));
	igt_assert_f(p == at, "mmap at %p: %m\n", (void *)at);
	return p;
}

static void check_zero_range(const uint8_t *p, size_t len, const char *what)
{
	size_t i;

	for (i = 0; i < len; i++)
		igt_assert_f(!p[i], "%s: byte %zu of %zu is %#x, not 0\n",
			     what, i, len, p[i]);
}

/* ---- first touch: faults and time --------------------------------------- */

static long minflt(void)
{
	struct rusage ru;

	igt_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * mmap, write one byte to each page, munmap, @reps times on one buffer:
 * the median time, and the most page faults one round took.
 */
static void first_touch(const struct buf *b, bool via_drm, unsigned int reps,
			double *median_us, long *faults)
{
	double t[16];
	uint64_t base = 0;
	unsigned int r;

	igt_assert(reps <= 16);
	if (via_drm)
		igt_assert_eq(ionode_map_offset(fd, b->handle, &base), 0);
	*faults = 0;
	for (r = 0; r < reps; r++) {
		long f0 = minflt();
		double t0 = now_us();
		volatile uint8_t *p = mmap(NULL, b->size, RW, MAP_SHARED,
					   via_drm ? fd : b->dmabuf,
					   (off_t)base);
		size_t i;
		long f;

		igt_assert(p != MAP_FAILED);
		for (i = 0; i < b->size; i += page)
			p[i] = (uint8_t)i;
		munmap((void *)p, b->size);
		t[r] = now_us() - t0;
		f = minflt() - f0;
		if (f > *faults)
			*faults = f;
	}
	qsort(t, reps, sizeof(t[0]), cmp_double);
	*median_us = t[reps / 2];
}

/*
 * 8 and 32 MiB system buffers, cached and write-combined, through the DRM
 * fd and the dma-buf fd: a fresh mapping's first touch takes at most one
 * fault per 100 pages (a 2 MiB window is 512 pages; 17 windows for 32 MiB
 * at an address that is not 2 MiB aligned). Times are reported only.
 */
static void test_first_touch(void)
{
	static const size_t sizes[] = { 8 * MiB, 32 * MiB };
	uint32_t id = system_id();
	unsigned int s, c, v, over = 0;

	for (s = 0; s < 2; s++) {
		for (c = 0; c < 2; c++) {
			struct buf b = buf_new(id, sizes[s], caching[c].flags);
			long limit = (long)((b.size / page + 99) / 100);

			/* One round first: the pages exist, the caches are warm. */
			for (v = 0; v < 2; v++) {
				double us;
				long faults;

				first_touch(&b, v, 1, &us, &faults);
				first_touch(&b, v, 7, &us, &faults);
				igt_info("first touch %2zu MiB %-6s %-6s: %9.0f us, %5ld faults (limit %ld)\n",
					 (size_t)(b.size / MiB), caching[c].name,
					 v ? "drm" : "dmabuf", us, faults,
					 limit);
				over += faults > limit;
			}
			buf_free(&b);
		}
	}
	igt_assert_f(!over, "%u of 8 first touches took more faults than 1 per 100 pages\n",
		     over);
}

/* ---- the same bytes through every route --------------------------------- */

/*
 * A buffer of a little over 3 MiB (two windows and a bit, within every
 * heap's max_alloc): written through the DRM fd, first touched in the
 * middle, read back in full through the dma-buf fd; then written
 * backwards, last page first, through the dma-buf fd and read back through
 * the DRM fd.
 */
static void cross_fd(uint32_t heap_id, uint32_t flags)
{
	struct buf b = buf_new(heap_id, 3 * MiB + 5 * page, flags);
	uint8_t *d = track_map(dmabuf_mmap(b.dmabuf, b.size, 0, RW), b.size);
	size_t n = b.size / page, i;

	sync_start(&b);
	check_zero(b.drm + b.size / 2, page);
	fill_pattern(b.drm, b.size, 0x5eed + flags, 0);
	check_pattern(d, b.size, 0x5eed + flags, 0);
	for (i = n; i-- > 0;)
		fill_pattern(d + i * page, page, 0xfeed + flags, i * page);
	check_pattern(b.drm, b.size, 0xfeed + flags, 0);
	sync_end(&b);
	unmap(d);
	buf_free(&b);
}

/*
 * Partial mappings: dma-buf mappings at an offset into a 6 MiB + 3 pages
 * buffer (or smaller where the heap has less), of lengths that are not a
 * multiple of 2 MiB, at addresses 2 MiB aligned and not, among them one
 * ending at the object's last page and touched there first; DRM-fd
 * mappings (which start at the object's start) at skewed addresses. Each
 * is touched first in its middle, then at both ends, and must show the
 * object's bytes at its offset; bytes written through it show in the
 * full mapping; the anonymous memory around it (within the same 2 MiB
 * windows) stays untouched zeros.
 */
static void partial(uint32_t heap_id, uint64_t max_alloc, uint32_t flags)
{
	size_t size = 6 * MiB + 3 * page;
	struct {
		size_t off, len, skew;	/* pages */
		bool drm;
	} cases[] = {
		{ 1, 512 + 7, 0, false },
		{ 3, 1024 + 5, 5, false },
		{ 511, 515, 1, false },
		{ 512, 512, 511, false },
		{ 0, 0, 17, false },	/* len 0: the whole object */
		{ 0, 0, 3, true },
		{ 0, 700, 200, true },
		{ 9, 0, 300, false },	/* len 0: to the object's end */
		{ 0, 1, 0, false },
	};
	struct buf b;
	unsigned int i;

	if (size > max_alloc)
		size = max_alloc & ~(uint64_t)(page - 1);
	b = buf_new(heap_id, size, flags);
	sync_start(&b);
	fill_pattern(b.drm, b.size, 0xa11 + flags, 0);
	sync_end(&b);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = b.size / page;
		size_t off = cases[i].off % n;
		size_t len = cases[i].len ? cases[i].len : n - off;
		uint8_t *res, *p;
		size_t res_len;
		uint32_t seed = 0x100 * (i + 1) + flags;

		if (off + len > n)
			len = n - off;
		igt_debug("case %u: pages %zu+%zu at skew %zu, %s\n", i, off,
			  len, cases[i].skew, cases[i].drm ? "drm" : "dmabuf");
		p = reserve(len * page, cases[i].skew, &res, &res_len);
		p = map_at(&b, cases[i].drm, p, len * page, off * page);

		sync_start(&b);
		/* The middle first, then the last page, then the first. */
		check_pattern(p + len / 2 * page, page, 0xa11 + flags,
			      (off + len / 2) * page);
		check_pattern(p + (len - 1) * page, page, 0xa11 + flags,
			      (off + len - 1) * page);
		check_pattern(p, len * page, 0xa11 + flags, off * page);
		fill_pattern(p, len * page, seed, off * page);
		check_pattern(b.drm + off * page, len * page, seed,
			      off * page);
		/* Put the object back for the next case. */
		fill_pattern(b.drm + off * page, len * page, 0xa11 + flags,
			     off * page);
		sync_end(&b);

		check_zero_range(res, p - res, "memory below the mapping");
		check_zero_range(p + len * page, res + res_len - p - len * page,
				 "memory above the mapping");
		unmap(res);	/* the buffer's mapping with it */
	}
	buf_free(&b);
}

/*
 * munmap of part of a mapping: 8 MiB through the dma-buf fd at a skewed
 * address, its last page touched (that window mapped), then [1 MiB, 3 MiB
 * + 2 pages) unmapped and anonymous memory put in its place; the pages on
 * both sides of the hole are touched first in their windows, the rest of
 * the mapping shows the object, the hole shows zeros and writes to it do
 * not reach the object.
 */
static void test_munmap_part(uint32_t flags)
{
	struct buf b = buf_new(system_id(), 8 * MiB, flags);
	size_t hole = 1 * MiB, hole_len = 2 * MiB + 2 * page;
	uint8_t *res, *p, *a;
	size_t res_len;

	sync_start(&b);
	fill_pattern(b.drm, b.size, 0x0bad + flags, 0);
	p = reserve(b.size, 3, &res, &res_len);
	p = map_at(&b, false, p, b.size, 0);
	check_pattern(p + b.size - page, page, 0x0bad + flags, b.size - page);

	igt_assert_eq(munmap(p + hole, hole_len), 0);
	a = mmap(p + hole, hole_len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	igt_assert(a == p + hole);

	check_pattern(p + hole + hole_len, page, 0x0bad + flags,
		      hole + hole_len);
	check_pattern(p + hole - page, page, 0x0bad + flags, hole - page);
	check_pattern(p, hole, 0x0bad + flags, 0);
	check_pattern(p + hole + hole_len, b.size - hole - hole_len,
		      0x0bad + flags, hole + hole_len);
	check_zero_range(a, hole_len, "anonymous memory in the hole");
	memset(a, 0xee, hole_len);
	check_pattern(b.drm, b.size, 0x0bad + flags, 0);
	sync_end(&b);
	unmap(res);
	buf_free(&b);
}

/*
 * A forked child inherits the mapping (no VM_DONTCOPY): the pages the
 * parent touched and those it did not both show the object in the child,
 * and the child's writes show in the parent.
 */
static void test_fork(uint32_t flags)
{
	struct buf b = buf_new(system_id(), 4 * MiB + 3 * page, flags);
	uint8_t *d = track_map(dmabuf_mmap(b.dmabuf, b.size, 0, RW), b.size);
	size_t half = 2 * MiB + page;

	sync_start(&b);
	fill_pattern(d, half, 0xf0 + flags, 0);
	fill_pattern(b.drm + half, b.size - half, 0xf0 + flags, half);
	igt_fork(child, 1) {
		check_pattern(d, b.size, 0xf0 + flags, 0);
		fill_pattern(d + half, b.size - half, 0xf1 + flags, half);
	}
	igt_waitchildren();
	check_pattern(d, half, 0xf0 + flags, 0);
	check_pattern(d + half, b.size - half, 0xf1 + flags, half);
	check_pattern(b.drm + half, b.size - half, 0xf1 + flags, half);
	sync_end(&b);
	unmap(d);
	buf_free(&b);
}

/* ---- racing faults ------------------------------------------------------- */

#define RACERS 4

struct racer {
	pthread_t thread;
	pthread_barrier_t *go;
	volatile uint32_t *map;
	size_t words;
	unsigned int idx;
	size_t bad;
};

/* Each thread walks the mapping from a different place, reading. */
static void *racer(void *arg)
{
	struct racer *r = arg;
	size_t step = page / 4, i, start;

	start = r->words / RACERS * r->idx;
	pthread_barrier_wait(r->go);
	for (i = 0; i < r->words; i += step) {
		size_t w = (start + i * (r->idx % 2 ? 1 : 3)) % r->words;

		w -= w % step;
		if (r->map[w] != (uint32_t)w)
			r->bad++;
	}
	return NULL;
}

/*
 * Threads fault the same fresh mapping at once, in different orders:
 * windows overlap and PTEs another thread just filled are met; every
 * thread reads the object's bytes, 20 rounds, cached and WC.
 */
static void test_racing_faults(void)
{
	uint32_t id = system_id();
	unsigned int c, round, t;

	for (c = 0; c < 2; c++) {
		struct buf b = buf_new(id, 8 * MiB + 5 * page, caching[c].flags);
		volatile uint32_t *w = (volatile uint32_t *)b.drm;
		size_t i;

		for (i = 0; i < b.size / 4; i += page / 4)
			w[i] = (uint32_t)i;
		for (round = 0; round < 20; round++) {
			struct racer r[RACERS];
			pthread_barrier_t go;
			void *m = dmabuf_mmap(b.dmabuf, b.size, 0, PROT_READ);

			pthread_barrier_init(&go, NULL, RACERS);
			for (t = 0; t < RACERS; t++) {
				r[t] = (struct racer){ .go = &go, .map = m,
						       .words = b.size / 4,
						       .idx = t };
				igt_assert_eq(pthread_create(&r[t].thread, NULL,
							     racer, &r[t]), 0);
			}
			for (t = 0; t < RACERS; t++) {
				pthread_join(r[t].thread, NULL);
				igt_assert_f(!r[t].bad,
					     "thread %u read %zu wrong pages\n",
					     t, r[t].bad);
			}
			pthread_barrier_destroy(&go);
			munmap(m, b.size);
		}
		buf_free(&b);
	}
}

/* ---- the kernel's mapping ------------------------------------------------ */

/*
 * The V4L2 test device reads its OUTPUT buffer and writes its CAPTURE
 * buffer through their kernel mappings (dma_buf_vmap()): a frame of 1280 x
 * 720 RGB24 (2.6 MiB, across a window boundary) written through the
 * dma-buf mapping must come out inverted in the CAPTURE buffer, read
 * through its DRM-fd mapping.
 */
static void vmap_route(uint32_t heap_id, uint32_t flags)
{
	struct m2m m = m2m_open_fmt(DEV_PLAIN, 1280, 720, V4L2_PIX_FMT_RGB24);
	struct fbuf out[1], cap[1];
	struct buf o = buf_new(heap_id, m.size, flags);
	struct buf c = buf_new(heap_id, m.size, flags);

	out[0] = (struct fbuf){ .dmabuf = o.dmabuf, .handle = o.handle,
				.ptr = track_map(dmabuf_mmap(o.dmabuf, o.size,
							     0, RW), o.size),
				.len = o.size };
	cap[0] = (struct fbuf){ .dmabuf = c.dmabuf, .handle = c.handle,
				.ptr = c.drm, .len = c.size };
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 1);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, 1);
	run_frames(&m, out, cap, 1, 2);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, 0);
	close_fd(m.fd);
	unmap(out[0].ptr);
	buf_free(&o);
	buf_free(&c);
}

/*
 * Every heap a test may use with @size bytes, then each caching mode. The
 * loop variables are static: a failed dynamic subtest long-jumps out.
 */
static uint32_t heap_i;
#define for_each_heap_caching(h, c, size) \
	for (heap_i = 0; heap_i < heaps.count; heap_i++) \
		if (((h) = &heaps.info[heap_i]), !ionode_heap_usable((h), (size))) \
			; \
		else \
			for ((c) = 0; (c) < 2; (c)++)

igt_main
{
	static const struct drm_ionode_heap_info *h;
	static unsigned int c;

	igt_fixture {
		fd = igt_ionode_open();
		page = ionode_page_size();
		/* Read once: the heap list does not change under the test. */
		ionode_get_heaps(fd, &heaps);
	}

	subtest("first-touch")
		test_first_touch();

	subtest_with_dynamic("cross-fd") {
		for_each_heap_caching(h, c, 3 * MiB + 5 * page)
			dynamic_f("%s-%s", h->name, caching[c].name)
				cross_fd(h->id, caching[c].flags);
	}

	subtest_with_dynamic("partial") {
		for_each_heap_caching(h, c, 4 * MiB)
			dynamic_f("%s-%s", h->name, caching[c].name)
				partial(h->id, h->max_alloc, caching[c].flags);
	}

	for (c = 0; c < 2; c++) {
		subtest_f("munmap-part-%s", caching[c].name)
			test_munmap_part(caching[c].flags);
		subtest_f("fork-%s", caching[c].name)
			test_fork(caching[c].flags);
	}

	subtest("racing-faults")
		test_racing_faults();

	subtest_with_dynamic("vmap") {
		igt_require_f(find_video(M2M_DRIVER, DEV_PLAIN,
					 V4L2_CAP_VIDEO_M2M,
					 (char [64]){ 0 }, 64),
			      "ionode_v4l2.ko is not loaded\n");
		for_each_heap_caching(h, c, 6 * MiB)
			dynamic_f("%s-%s", h->name, caching[c].name)
				vmap_route(h->id, caching[c].flags);
	}

	igt_fixture {
		release_all();
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
