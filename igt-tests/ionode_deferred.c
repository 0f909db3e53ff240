// SPDX-License-Identifier: MIT
/*
 * ionode_deferred - IONODE_BO_DEFERRED buffers: memory chosen at the first
 * use, where the devices using it can reach it.
 *
 * unbacked: a deferred buffer has no memory and costs nothing (no heap
 *	bytes, no fdinfo bytes, no client limit) until its first use;
 *	BO_INFO says IONODE_ATTR_UNBACKED with no heap; closing it frees
 *	nothing and leaks nothing.
 * cpu-first-use: a CPU access through a DRM-fd mapping gives it memory
 *	from the first heap of its mask (heaps are tried in id order, the
 *	query's order), zeroed, charged and reported.
 * sync-first-use: DMA_BUF_IOCTL_SYNC is a first use too, and so is a
 *	mapping of the dma-buf fd; vmap through the V4L2 device as well
 *	(covered by the queue subtests, whose frames the CPU checks).
 * vgem-first-use: vgem's PRIME import maps the buffer for vgem: the
 *	memory comes from the first heap (vgem reaches everything), and vgem
 *	sees the bytes the CPU writes.
 * contig-queue: queued first on the V4L2 test device's contiguous
 *	queue, a buffer whose mask starts with the (non-contiguous) system
 *	heap gets a contiguous heap's memory, and frames stream through it.
 * align-queue: the same on the device that needs 1 MiB alignment.
 * dma32-queue: queued first on the 32-bit device, a buffer whose mask
 *	holds the carveout above 4 GiB gets memory below 4 GiB (system pages
 *	placed there, or the carveout below), never bounced.
 * conflict: a mask none of whose heaps suits the device fails the first
 *	use (QBUF EINVAL) and leaves the buffer without memory, usable by
 *	the CPU afterwards; memory placed first by the CPU out of a
 *	device's reach is refused at QBUF, as for any buffer.
 * limit-at-first-use: client_limit is charged at the first use: creating
 *	deferred buffers beyond it succeeds, the first use past it fails
 *	with EDQUOT (SYNC) and SIGBUS (CPU access), and nothing is charged.
 * bad-args: the creation checks apply to deferred buffers (unknown
 *	flags, contiguous with no contiguous heap in the mask).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "igt_v4l2.h"
#include "ionode_test.h"
#include "ionode_v4l2_test.h"

#define SZ	(256 * 1024)
/* What the V4L2 glue logs when the exporter refuses a mapping. */
#define REFUSED	"the exporter refused to map it for the device"

static int fd = -1;
static struct ionode_heaps heaps;
static char saved_limit[64];

/* This test's heap list, by name. */
#define heap_bit(name)	ionode_heap_bit(&heaps, name)
#define heap_id(name)	ionode_heap_id_of(&heaps, name)

static void require_heaps(const char *a, const char *b)
{
	igt_require_f(heap_bit(a) && heap_bit(b), "needs heaps %s and %s\n",
		      a, b);
}

static uint32_t deferred(uint64_t size, uint64_t mask, uint32_t flags)
{
	struct drm_ionode_create req = {
		.size = size, .heap_mask = mask,
		.flags = flags | IONODE_BO_DEFERRED,
	};

	ionode_bo_create_ex(fd, &req);
	igt_assert_eq(req.heap_id, IONODE_HEAP_ID_NONE);
	return req.handle;
}

static void assert_unbacked(uint32_t handle)
{
	struct drm_ionode_bo_info info = ionode_bo_info_get(fd, handle);

	igt_assert_f(info.attrs & IONODE_ATTR_UNBACKED,
		     "buffer has memory (attrs %#x, heap %u)\n", info.attrs,
		     info.heap_id);
	igt_assert_eq(info.heap_id, IONODE_HEAP_ID_NONE);
	igt_assert(info.flags & IONODE_BO_DEFERRED);
}

static void assert_backed(uint32_t handle, uint32_t want_heap)
{
	struct drm_ionode_bo_info info = ionode_bo_info_get(fd, handle);

	igt_assert_f(!(info.attrs & IONODE_ATTR_UNBACKED),
		     "still no memory (attrs %#x)\n", info.attrs);
	igt_assert_f(info.heap_id == want_heap, "placed in heap %u, not %u\n",
		     info.heap_id, want_heap);
}

static void test_unbacked(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	uint64_t kib = ionode_fdinfo_kib(fd, "system");
	uint32_t h[8];
	int dmabuf, i;
	void *p;

	/* 8 x 64 MiB: more than client_limit allows once backed (set below). */
	ionode_param_set("client_limit", "16M");
	for (i = 0; i < 8; i++) {
		h[i] = deferred(64 << 20, ionode_all_heaps_mask(&heaps), 0);
		assert_unbacked(h[i]);
	}
	/* Exported and mapped, still nothing: a mapping is not a use. */
	dmabuf = ionode_bo_export(fd, h[0]);
	p = dmabuf_mmap(dmabuf, 64 << 20, 0, PROT_READ);
	assert_unbacked(h[0]);
	munmap(p, 64 << 20);
	igt_assert_eq_u64(ionode_fdinfo_kib(fd, "system"), kib);
	ionode_assert_usage_back(fd, &before);
	for (i = 0; i < 8; i++)
		ionode_bo_close(fd, h[i]);
	close(dmabuf);
	ionode_assert_usage_back(fd, &before);
}

static void test_cpu_first_use(void)
{
	uint64_t mask = heap_bit("system") | heap_bit("system-contig");
	struct ionode_usage before = ionode_usage_now(fd);
	uint64_t kib = ionode_fdinfo_kib(fd, "system");
	uint32_t h = deferred(SZ, mask, 0);
	uint8_t *p;

	p = ionode_bo_mmap(fd, h, SZ, PROT_READ | PROT_WRITE);
	assert_unbacked(h);
	check_zero(p, SZ);		/* the first read places it */
	assert_backed(h, heap_id("system"));
	igt_assert_eq_u64(ionode_fdinfo_kib(fd, "system"), kib + SZ / 1024);
	igt_assert_eq_u64(ionode_heap_used(fd, "system"),
			  before.used[heap_id("system")] + SZ);
	fill_pattern(p, SZ, 7, 0);
	check_pattern(p, SZ, 7, 0);
	munmap(p, SZ);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_sync_first_use(void)
{
	uint64_t mask = heap_bit("system-contig") | heap_bit("carveout0");
	struct ionode_usage before = ionode_usage_now(fd);
	uint32_t h;
	int dmabuf;
	uint8_t *p;

	require_heaps("system-contig", "carveout0");
	h = deferred(SZ, mask, IONODE_BO_CACHED);
	dmabuf = ionode_bo_export(fd, h);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	assert_backed(h, heap_id("system-contig"));
	p = dmabuf_mmap(dmabuf, SZ, 0, PROT_READ | PROT_WRITE);
	check_zero(p, SZ);
	fill_pattern(p, SZ, 3, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(p, SZ);
	ionode_bo_close(fd, h);

	/* A fault on the dma-buf fd's mapping is a first use too. */
	h = deferred(SZ, mask, 0);
	close(dmabuf);
	dmabuf = ionode_bo_export(fd, h);
	p = dmabuf_mmap(dmabuf, SZ, 0, PROT_READ | PROT_WRITE);
	assert_unbacked(h);
	p[SZ - 1] = 1;
	assert_backed(h, heap_id("system-contig"));
	munmap(p, SZ);
	close(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_vgem_first_use(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	int vgem = igt_open_vgem();
	uint64_t mask;
	uint32_t h, vh;
	int dmabuf, back;
	uint8_t *p, *q;

	igt_require_f(vgem >= 0, "no vgem\n");
	require_heaps("carveout0", "carveout1");
	mask = heap_bit("carveout1") | heap_bit("carveout0");
	h = deferred(SZ, mask, IONODE_BO_CACHED);
	dmabuf = ionode_bo_export(fd, h);
	/* vgem attaches and maps at import: the first use. */
	igt_assert_eq(drmPrimeFDToHandle(vgem, dmabuf, &vh), 0);
	assert_backed(h, heap_id("carveout0"));
	p = ionode_bo_mmap(fd, h, SZ, PROT_READ | PROT_WRITE);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	check_zero(p, SZ);
	fill_pattern(p, SZ, 11, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	/* vgem's view of it, through its own fd. */
	igt_assert_eq(drmPrimeHandleToFD(vgem, vh, DRM_CLOEXEC, &back), 0);
	igt_assert(same_inode(back, dmabuf));
	q = dmabuf_mmap(back, SZ, 0, PROT_READ);
	check_pattern(q, SZ, 11, 0);
	munmap(q, SZ);
	munmap(p, SZ);
	close(back);
	close(dmabuf);
	drmCloseBufferHandle(vgem, vh);
	close(vgem);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

/*
 * M2M_NBUF deferred CAPTURE buffers of @mask streamed through @card, with
 * OUTPUT buffers from @out_heap aligned to @align; returns the heap the
 * CAPTURE buffers went to (all the same one).
 */
static uint32_t stream_deferred(const char *card, uint64_t mask,
				const char *out_heap, uint64_t align)
{
	struct m2m m = m2m_open(card);
	struct fbuf out[M2M_NBUF], cap[M2M_NBUF];
	struct drm_ionode_bo_info info;
	uint32_t heap = IONODE_HEAP_ID_NONE;
	unsigned int i;

	for (i = 0; i < M2M_NBUF; i++) {
		out[i] = ionode_fbuf(out_heap, m.size, align);
		cap[i].handle = deferred(m.size, mask, IONODE_BO_CACHED);
		cap[i].dmabuf = ionode_bo_export(fd, cap[i].handle);
		cap[i].len = ionode_round_page(m.size);
		/* Mapped before the device sees it; not touched. */
		cap[i].ptr = dmabuf_mmap(cap[i].dmabuf, cap[i].len, 0,
					 PROT_READ | PROT_WRITE);
		assert_unbacked(cap[i].handle);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, M2M_NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, M2M_NBUF);
	run_frames(&m, out, cap, M2M_NBUF, M2M_FRAMES);
	for (i = 0; i < M2M_NBUF; i++) {
		info = ionode_bo_info_get(fd, cap[i].handle);
		igt_assert(!(info.attrs & IONODE_ATTR_UNBACKED));
		if (!i)
			heap = info.heap_id;
		igt_assert_eq(info.heap_id, heap);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, 0);
	for (i = 0; i < M2M_NBUF; i++) {
		munmap(cap[i].ptr, cap[i].len);
		close(cap[i].dmabuf);
		ionode_bo_close(fd, cap[i].handle);
		close(out[i].dmabuf);
		munmap(out[i].ptr, out[i].len);
		ionode_bo_close(fd, out[i].handle);
	}
	close(m.fd);
	return heap;
}

static void test_contig_queue(void)
{
	struct ionode_usage before = ionode_usage_now(fd);

	require_heaps("system", "system-contig");
	igt_assert_eq(stream_deferred(DEV_CONTIG, heap_bit("system") |
				      heap_bit("system-contig"),
				      "system-contig", 0),
		      heap_id("system-contig"));
	require_heaps("system", "carveout0");
	igt_assert_eq(stream_deferred(DEV_CONTIG, heap_bit("system") |
				      heap_bit("carveout0"), "carveout0", 0),
		      heap_id("carveout0"));
	ionode_assert_usage_back(fd, &before);
}

static void test_align_queue(void)
{
	struct ionode_usage before = ionode_usage_now(fd);

	require_heaps("system", "system-contig");
	igt_assert_eq(stream_deferred(DEV_ALIGN, heap_bit("system") |
				      heap_bit("system-contig"),
				      "system-contig", 1 << 20),
		      heap_id("system-contig"));
	ionode_assert_usage_back(fd, &before);
}

static void test_dma32_queue(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	uint32_t heap;

	require_heaps("carveout1", "carveout0");
	heap = stream_deferred(DEV_DMA32, heap_bit("system") |
			       heap_bit("carveout1") | heap_bit("carveout0"),
			       "carveout0", 0);
	igt_assert_f(heap == heap_id("system") || heap == heap_id("carveout0"),
		     "placed in heap %u, out of a 32-bit device's reach\n",
		     heap);
	ionode_assert_usage_back(fd, &before);
}

static void test_conflict(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	struct fbuf b = { .dmabuf = -1 };
	uint8_t *p;

	require_heaps("system", "carveout1");
	/* Nothing contiguous in the mask for the contiguous queue. */
	b.handle = deferred(SZ * 2, heap_bit("system"), 0);
	b.dmabuf = ionode_bo_export(fd, b.handle);
	expect_rejected(DEV_CONTIG, &b, REFUSED);
	assert_unbacked(b.handle);
	/* Nothing below 4 GiB for the 32-bit device. */
	close(b.dmabuf);
	ionode_bo_close(fd, b.handle);
	b.handle = deferred(SZ * 2, heap_bit("carveout1"), 0);
	b.dmabuf = ionode_bo_export(fd, b.handle);
	expect_rejected(DEV_DMA32, &b, REFUSED);
	assert_unbacked(b.handle);
	ionode_assert_usage_back(fd, &before);
	/* Still a buffer: the CPU can use it. */
	p = ionode_bo_mmap(fd, b.handle, SZ * 2, PROT_READ | PROT_WRITE);
	check_zero(p, SZ * 2);
	assert_backed(b.handle, heap_id("carveout1"));
	/* Memory that exists is not moved: refused at QBUF as for any. */
	expect_rejected(DEV_DMA32, &b, REFUSED);
	munmap(p, SZ * 2);
	close(b.dmabuf);
	ionode_bo_close(fd, b.handle);
	ionode_assert_usage_back(fd, &before);
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(sigbus_jmp, 1);
}

static void test_limit_at_first_use(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	uint64_t mask = heap_bit("system");
	uint32_t a, b, c;
	volatile uint8_t *p;
	int da, db, ret;

	ionode_param_set("client_limit", "1M");
	a = deferred(768 << 10, mask, 0);
	b = deferred(768 << 10, mask, 0);
	c = deferred(768 << 10, mask, 0);
	da = ionode_bo_export(fd, a);
	db = ionode_bo_export(fd, b);
	dmabuf_sync(da, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	assert_backed(a, heap_id("system"));
	/* The second one would pass the limit: its first use fails. */
	struct dma_buf_sync s = {
		.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
	};
	ret = ioctl(db, DMA_BUF_IOCTL_SYNC, &s);
	igt_assert_f(ret == -1 && errno == EDQUOT,
		     "SYNC past the limit: %d (%s)\n", ret, strerror(errno));
	assert_unbacked(b);
	p = ionode_bo_mmap(fd, c, 768 << 10, PROT_READ | PROT_WRITE);
	igt_assert_eq(sigaction(SIGBUS, &sa, &old), 0);
	if (!sigsetjmp(sigbus_jmp, 1)) {
		p[0] = 1;
		igt_assert_f(0, "CPU access past the limit did not fault\n");
	}
	igt_assert_eq(sigaction(SIGBUS, &old, NULL), 0);
	assert_unbacked(c);
	munmap((void *)p, 768 << 10);
	/* Room again: the same buffer can be used now. */
	dmabuf_sync(da, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	close(da);
	ionode_bo_close(fd, a);
	dmabuf_sync(db, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	assert_backed(b, heap_id("system"));
	close(db);
	ionode_bo_close(fd, b);
	ionode_bo_close(fd, c);
	ionode_param_set("client_limit", saved_limit);
	ionode_assert_usage_back(fd, &before);
}

static void test_bad_args(void)
{
	struct drm_ionode_create req = {
		.size = SZ, .heap_mask = heap_bit("system"),
		.flags = IONODE_BO_DEFERRED | (1u << 31),
	};

	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, EINVAL);
	req.flags = IONODE_BO_DEFERRED | IONODE_BO_CONTIGUOUS;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, EINVAL);
	req.flags = IONODE_BO_DEFERRED;
	req.size = 0;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, EINVAL);
	req.size = ~0ull;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &req, E2BIG);
	igt_assert_eq(req.handle, 0);
}

static void fresh(int f)
{
	(void)f;
	ionode_param_set("client_limit", saved_limit);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		m2m_test_setup(&fd, &heaps);
		igt_assert_eq(ionode_param_read("client_limit", saved_limit,
						sizeof(saved_limit)), 0);
		ionode_set_fresh_hook(fresh);
	}

	subtest("unbacked")
		test_unbacked();
	subtest("cpu-first-use")
		test_cpu_first_use();
	subtest("sync-first-use")
		test_sync_first_use();
	subtest("vgem-first-use")
		test_vgem_first_use();
	subtest("contig-queue")
		test_contig_queue();
	subtest("align-queue")
		test_align_queue();
	subtest("dma32-queue")
		test_dma32_queue();
	subtest("conflict")
		test_conflict();
	subtest("limit-at-first-use")
		test_limit_at_first_use();
	subtest("bad-args")
		test_bad_args();

	igt_fixture {
		fresh(fd);
		m2m_test_teardown();
	}
}
