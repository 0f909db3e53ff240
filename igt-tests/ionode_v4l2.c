// SPDX-License-Identifier: MIT
/*
 * ionode_v4l2 - ionode buffers in V4L2: the vb2 glue and its test device.
 *
 * Needs v4l2-glue/ionode_v4l2.ko with its default instances (as
 * tools/vm/vm-run loads it): "ionode-m2m" (no constraints),
 * "ionode-m2m-contig" (contiguous only), "ionode-m2m-dma32" (32-bit DMA
 * mask) and "ionode-m2m-align1m" (1 MiB aligned buffers). Each is a
 * mem2mem video node whose CAPTURE frame is the byte-wise inverse
 * (255 - x) of its OUTPUT frame (helpers: lib/ionode_v4l2_test.h).
 *
 * What is checked: frames streamed through the device with buffers from
 * every ionode heap (V4L2_MEMORY_DMABUF) and from the device itself (MMAP,
 * allocated from ionode) come out byte-exact; QBUF refuses with EINVAL a
 * buffer that breaks a declared constraint (scattered for a
 * contiguous-only device, out of reach of a 32-bit mask, misaligned) and
 * accepts the ones that meet it; EXPBUF'd device buffers are ionode
 * buffers that ionode accounts to the client of the process that opened
 * the video node (not to its "kernel" client). Other exporters (vgem,
 * vivid), buffer lifetime and v4l2-compliance: ionode_v4l2_share.
 *
 * A carveout above 4 GiB (for dma32-rejects-unreachable) needs a guest
 * with RAM there, e.g. VM_MEM=6G tools/vm/vm-run
 * -a 'memmap=64M$0x140000000' -p carveout=64M@0x40000000,64M@0x140000000.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "igt_track.h"
#include "ionode_v4l2_test.h"

#define MiB		(1024ull * 1024)
#define GiB		(1024 * MiB)
#define ALIGN_BYTES	MiB

/* ---- state, released at the start of every subtest --------------------- */

static int ion = -1;		/* this subtest's ionode render node */
static struct ionode_heaps heaps;
static size_t page;

#define subtest(name) ionode_subtest(&ion, name)

/* Sum of used_bytes over every heap. */
static uint64_t total_used(void)
{
	return ionode_total_used(ion);
}

/* Both queues from every heap of @type (-1: the heap named @name). */
static void test_dmabuf_stream(uint32_t type, const char *name)
{
	uint64_t before = total_used();
	int done = 0;
	uint32_t i;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (name ? strcmp(h->name, name) : h->type != type)
			continue;
		if (!ionode_heap_fits(h, M2M_W * M2M_H * 3, 2 * M2M_NBUF))
			continue;
		stream_heaps(DEV_PLAIN, h->name, h->name, M2M_FRAMES);
		done++;
	}
	igt_require_f(done, "no usable heap of that kind\n");
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before);
}

/* ---- MMAP ---------------------------------------------------------------- */


static void test_mmap_stream(const char *card)
{
	uint64_t before = total_used();
	struct m2m m = m2m_open(card);
	struct fbuf out[M2M_NBUF], cap[M2M_NBUF];

	mmap_fbufs(&m, V4L2_BUF_TYPE_VIDEO_OUTPUT, out, M2M_NBUF);
	mmap_fbufs(&m, V4L2_BUF_TYPE_VIDEO_CAPTURE, cap, M2M_NBUF);
	/* Device buffers come from ionode. */
	igt_assert_lte_u64(before + 2 * M2M_NBUF * ionode_round_page(m.size),
			   total_used());
	run_frames(&m, out, cap, M2M_NBUF, M2M_FRAMES);
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before);
}

/* EXPBUF gives ionode's own buffer, accounted to the video node's opener. */

/* Bytes and buffers of this process's clients in heap @heap (debugfs). */
static bool opener_usage(const char *heap, uint64_t *bytes, uint64_t *buffers)
{
	struct ionode_client_usage u;
	bool ok = ionode_client_usage(getpid(), heap, &u);

	*bytes = u.bytes;
	*buffers = u.buffers;
	return ok;
}

static void test_expbuf_import(void)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	uint64_t before_total = total_used(), kb0, kn0, kb1, kn1;
	const struct drm_ionode_heap_info *sys = ionode_heap(&heaps, "system");
	struct m2m m = m2m_open(DEV_PLAIN);
	struct fbuf out[M2M_NBUF], cap[M2M_NBUF];
	uint32_t handles[M2M_NBUF];
	int dmabufs[M2M_NBUF];
	bool have_debugfs;
	unsigned int i;

	igt_require(sys);
	have_debugfs = opener_usage("system", &kb0, &kn0);
	mmap_fbufs(&m, O, out, M2M_NBUF);
	mmap_fbufs(&m, C, cap, M2M_NBUF);

	for (i = 0; i < M2M_NBUF; i++) {
		struct drm_ionode_bo_info info;

		dmabufs[i] = expbuf(m.fd, C, i);
		handles[i] = ionode_bo_import(ion, dmabufs[i]);
		/* The same buffer, not a foreign import. */
		igt_assert_eq(ionode_bo_import(ion, dmabufs[i]), handles[i]);
		info = ionode_bo_info_get(ion, handles[i]);
		igt_assert_eq_u64(info.size, ionode_round_page(m.size));
		igt_assert_eq(info.heap_id, sys->id);
		igt_assert(!(info.attrs & IONODE_ATTR_IMPORTED));
		igt_assert(info.attrs & IONODE_ATTR_EXPORTED);
		igt_assert(info.flags & IONODE_BO_CACHED);
	}
	igt_assert_eq_u64(total_used(),
			  before_total + 2 * M2M_NBUF * ionode_round_page(m.size));
	if (have_debugfs) {
		igt_assert(opener_usage("system", &kb1, &kn1));
		igt_assert_eq_u64(kn1, kn0 + 2 * M2M_NBUF);
		igt_assert_eq_u64(kb1, kb0 + 2 * M2M_NBUF * ionode_round_page(m.size));
	} else {
		igt_info("no debugfs: the opener's client not checked\n");
	}

	/* Frames the device writes are in the buffers ionode hands out. */
	run_frames(&m, out, cap, M2M_NBUF, M2M_NBUF);
	for (i = 0; i < M2M_NBUF; i++) {
		uint8_t *p = track_map(ionode_bo_mmap(ion, handles[i], m.size,
						      PROT_READ), m.size);
		struct fbuf viaion = { .dmabuf = dmabufs[i], .ptr = p };

		check_frame(&viaion, m.size, i);
	}

	/* REQBUFS(0) orphans the buffers: the exports keep them alive. */
	for (i = 0; i < M2M_NBUF; i++) {
		unmap(out[i].ptr);
		unmap(cap[i].ptr);
	}
	reqbufs(m.fd, O, V4L2_MEMORY_MMAP, 0);
	reqbufs(m.fd, C, V4L2_MEMORY_MMAP, 0);
	igt_assert_eq_u64(total_used(),
			  before_total + M2M_NBUF * ionode_round_page(m.size));
	release_all();
	ion = track_fd(igt_ionode_open());
	igt_assert_eq_u64(total_used(), before_total);
	if (have_debugfs) {
		igt_assert(opener_usage("system", &kb1, &kn1));
		igt_assert_eq_u64(kn1, kn0);
		igt_assert_eq_u64(kb1, kb0);
	}
}


static void test_contig_rejects_scattered(void)
{
	struct fbuf b;
	int i;

	igt_require(heap_ok("system", M2M_W * M2M_H * 3, 4));
	/*
	 * A system-heap buffer of 4 x 64 KiB chunks and 11 pages: not
	 * physically contiguous (ionode merges pages that happen to be).
	 */
	for (i = 0; i < 3; i++) {
		b = ionode_fbuf("system", M2M_W * M2M_H * 3, 0);
		expect_rejected(DEV_CONTIG, &b, "not contiguous in DMA space");
	}
	/* The unconstrained device takes the same buffers. */
	stream_heaps(DEV_PLAIN, "system", "system", 2);
}

static void test_contig_accepts_contiguous(void)
{
	int done = 0;
	uint32_t i;

	for (i = 0; i < heaps.count; i++) {
		const struct drm_ionode_heap_info *h = &heaps.info[i];

		if (!(h->flags & IONODE_HEAP_CONTIGUOUS) ||
		    !ionode_heap_fits(h, M2M_W * M2M_H * 3, 2 * M2M_NBUF))
			continue;
		stream_heaps(DEV_CONTIG, h->name, h->name, M2M_FRAMES);
		done++;
	}
	igt_require_f(done, "no contiguous heap\n");
}

static void test_dma32_rejects_unreachable(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i, done = 0;
	struct fbuf b;

	for (i = 0; i < n; i++) {
		if (co[i].base + co[i].size <= 4 * GiB ||
		    !heap_ok(co[i].name, M2M_W * M2M_H * 3, 2 * M2M_NBUF))
			continue;
		igt_info("%s at %#llx is above 4 GiB\n", co[i].name,
			 (unsigned long long)co[i].base);
		b = ionode_fbuf(co[i].name, M2M_W * M2M_H * 3, 0);
		expect_rejected(DEV_DMA32, &b, "refused to map it for the device");
		/* A 64-bit device streams from the same heap. */
		stream_heaps(DEV_PLAIN, co[i].name, co[i].name, 2);
		done++;
	}
	igt_require_f(done, "no carveout above 4 GiB (see the comment at the top)\n");
}

static void test_dma32_accepts_reachable(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i;

	/*
	 * Page-backed buffers anywhere (swiotlb bounces what is above 4 GiB)
	 * and carveouts below 4 GiB.
	 */
	stream_heaps(DEV_DMA32, "system", "system", M2M_FRAMES);
	if (heap_ok("system-contig", M2M_W * M2M_H * 3, 2 * M2M_NBUF))
		stream_heaps(DEV_DMA32, "system-contig", "system-contig", M2M_FRAMES);
	for (i = 0; i < n; i++)
		if (co[i].base + co[i].size <= 4 * GiB &&
		    heap_ok(co[i].name, M2M_W * M2M_H * 3, M2M_NBUF))
			stream_heaps(DEV_DMA32, co[i].name, "system", M2M_FRAMES);
}

static void test_align(void)
{
	struct carveout co[8];
	int n = get_carveouts(co, 8), i;
	const char *cname = NULL;
	uint32_t size = ionode_round_page(M2M_W * M2M_H * 3);
	struct m2m m;
	struct fbuf pad, out[M2M_NBUF], cap[M2M_NBUF];

	/* Aligned on request: accepted. */
	igt_require(heap_ok("system-contig", ALIGN_BYTES, 2 * M2M_NBUF));
	m = m2m_open(DEV_ALIGN);
	for (i = 0; i < M2M_NBUF; i++) {
		out[i] = ionode_fbuf("system-contig", size, ALIGN_BYTES);
		cap[i] = ionode_fbuf("system-contig", size, ALIGN_BYTES);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, M2M_NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, M2M_NBUF);
	run_frames(&m, out, cap, M2M_NBUF, M2M_FRAMES);
	close_fd(m.fd);

	/*
	 * Misaligned: in an empty carveout (1 MiB aligned base, first fit),
	 * a buffer allocated after a one-page one starts one page in.
	 */
	for (i = 0; i < n; i++)
		if (co[i].base % ALIGN_BYTES == 0 && heap_ok(co[i].name, size, 2) &&
		    ionode_heap_used(ion, co[i].name) == 0 && co[i].base + co[i].size <= 4 * GiB) {
			cname = co[i].name;
			break;
		}
	igt_require_f(cname, "no empty, aligned carveout\n");
	pad = ionode_fbuf(cname, page, 0);
	out[0] = ionode_fbuf(cname, size, 0);
	expect_rejected(DEV_ALIGN, &out[0], "is not aligned to");
	(void)pad;
}

/* ---- main ------------------------------------------------------------------ */

igt_main
{
	igt_fixture {
		page = ionode_page_size();
		m2m_test_setup(&ion, &heaps);
	}

	/* One dynamic subtest per heap type. */
	ionode_subtest_with_dynamic(&ion, "dmabuf-stream") {
		ionode_dynamic_f(&ion, "system")
			test_dmabuf_stream(IONODE_HEAP_TYPE_SYSTEM, NULL);
		ionode_dynamic_f(&ion, "system-contig")
			test_dmabuf_stream(IONODE_HEAP_TYPE_SYSTEM_CONTIG, NULL);
		ionode_dynamic_f(&ion, "cma")
			test_dmabuf_stream(IONODE_HEAP_TYPE_CMA, NULL);
		ionode_dynamic_f(&ion, "carveout")
			test_dmabuf_stream(IONODE_HEAP_TYPE_CARVEOUT, NULL);
	}
	subtest("dmabuf-stream-mixed") {
		const struct drm_ionode_heap_info *c =
			ionode_contig_heap(&heaps, M2M_W * M2M_H * 3);

		igt_require(c);
		stream_heaps(DEV_PLAIN, "system", c->name, M2M_FRAMES);
		stream_heaps(DEV_PLAIN, c->name, "system", M2M_FRAMES);
	}
	subtest("mmap-stream")
		test_mmap_stream(DEV_PLAIN);
	subtest("mmap-stream-contig")
		test_mmap_stream(DEV_CONTIG);
	subtest("mmap-stream-dma32")
		test_mmap_stream(DEV_DMA32);
	subtest("mmap-stream-align1m")
		test_mmap_stream(DEV_ALIGN);
	subtest("expbuf-import-accounting")
		test_expbuf_import();
	subtest("contig-rejects-scattered")
		test_contig_rejects_scattered();
	subtest("contig-accepts-contiguous")
		test_contig_accepts_contiguous();
	subtest("dma32-rejects-unreachable")
		test_dma32_rejects_unreachable();
	subtest("dma32-accepts-reachable")
		test_dma32_accepts_reachable();
	subtest("align-checks-start")
		test_align();

	igt_fixture
		m2m_test_teardown();
}
