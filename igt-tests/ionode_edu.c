// SPDX-License-Identifier: MIT
/*
 * ionode_edu - ionode buffers imported by a real device whose DMA limits
 * differ from the CPU's: QEMU's edu PCI device (28-bit DMA mask, a DMA
 * engine moving up to 4 KiB per command to and from its internal buffer),
 * driven by the test-only importer igt-tests/edu/ionode_edu.ko
 * (/dev/ionode-edu, interface in igt-tests/edu/ionode_edu.h). make check
 * runs it twice: in the main VM, where the device reaches the first
 * 256 MiB of RAM only, and in a VM with QEMU's intel-iommu in front of it,
 * where it reaches any memory through IOVAs below 256 MiB. The subtests
 * check the outcome each setting must give. The heap below 256 MiB is
 * carveout2 (make check's carveout=...,32M@0x8000000).
 *
 * probe: the device is bound with a 28-bit mask; its internal buffer
 *	round-trips bytes through the engine.
 * import-dma: a buffer of the heap below 256 MiB is mapped for the device
 *	(reachable DMA addresses) and copied through the engine both ways,
 *	across a page boundary; the CPU brackets its accesses with
 *	DMA_BUF_IOCTL_SYNC and sees exactly the bytes the device wrote.
 * refused-out-of-reach: without an IOMMU a carveout0 buffer (at 1 GiB) is
 *	refused at map time with EINVAL, never bounced, and nothing is
 *	leaked; behind the IOMMU the same buffer maps below 256 MiB and DMA
 *	works.
 * deferred-placement: a deferred buffer of mask {system, carveout0,
 *	carveout2} mapped first by the device lands where it reaches: in
 *	carveout2 without an IOMMU, in system (the first heap) behind it;
 *	zeroed, and DMA works both ways.
 * deferred-gathered: the device attaches without mapping, then vgem
 *	imports (attach and map: the first use): the placement serves both
 *	(carveout2 without an IOMMU, where vgem alone would get system pages).
 *	Attached after the first use, the device is refused (no IOMMU) or
 *	served (IOMMU) on the memory as it is.
 * deferred-conflict: a deferred buffer of mask {carveout0} fails its first
 *	use by the device without an IOMMU (EINVAL) and stays without memory;
 *	so does a CPU first use (SYNC) while the device is attached; once it
 *	is detached the CPU can use it (carveout0), the device still cannot.
 *	Behind the IOMMU it is placed in carveout0 and DMA works.
 * iommu-scattered: behind the IOMMU only, a system-heap buffer of single
 *	pages is mapped below 256 MiB and every page is reached by the
 *	engine, including ranges that straddle two pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "igt_track.h"
#include "ionode_edu.h"
#include "ionode_test.h"

#define EDU_DEV		"/dev/ionode-edu"
#define EDU_MASK	((1ull << 28) - 1)
#define EDU_BUF		IONODE_EDU_BUF_SIZE
/* The largest transfer the tests' patterns (32-bit words) can check. */
#define XFER		(EDU_BUF & ~3u)

static int fd = -1;
static struct ionode_heaps heaps;
static size_t page;
static struct ionode_edu_info info;
static bool have_edu;

/* This test's heap list, by name. */
#define heap_bit(name)	ionode_heap_bit(&heaps, name)
#define heap_id(name)	ionode_heap_id_of(&heaps, name)

static void require_heap(const char *name)
{
	igt_require_f(heap_bit(name), "needs heap %s (make check's carveouts)\n",
		      name);
}

static void require_edu(void)
{
	igt_require_f(have_edu, "no " EDU_DEV " (QEMU's edu device, VM_EDU=1, and igt-tests/edu/ionode_edu.ko)\n");
}

static int edu_open(void)
{
	return track_fd(open(EDU_DEV, O_RDWR | O_CLOEXEC));
}

/* IMPORT @dmabuf into a new edu file (attach only); returns the file. */
static int edu_import(int dmabuf, uint64_t size)
{
	struct ionode_edu_import req = { .fd = dmabuf };
	int e = edu_open();

	do_ioctl(e, IONODE_EDU_IOC_IMPORT, &req);
	igt_assert_eq_u64(req.size, size);
	return e;
}

static struct ionode_edu_map edu_map(int e)
{
	struct ionode_edu_map m;

	memset(&m, 0xff, sizeof(m));
	do_ioctl(e, IONODE_EDU_IOC_MAP, &m);
	igt_info("mapped: %u DMA segments, %u sg entries, %u pages, DMA %#" PRIx64 "..%#" PRIx64 "\n",
		 m.nents, m.sg_entries, m.pages, (uint64_t)m.dma_start,
		 (uint64_t)m.dma_max);
	igt_assert_eq(m.reachable, 1);
	igt_assert_lte_u64(m.dma_max, EDU_MASK);
	igt_assert(m.nents >= 1 && m.nents <= m.sg_entries);
	return m;
}

/* DMA @len bytes at @offset of the buffer <-> @dev_offset; the commands. */
static unsigned int edu_dma(int e, uint64_t offset, uint32_t len,
			    uint32_t dev_offset, uint32_t dir)
{
	struct ionode_edu_dma req = {
		.offset = offset, .len = len, .dev_offset = dev_offset,
		.dir = dir,
	};

	do_ioctl(e, IONODE_EDU_IOC_DMA, &req);
	igt_assert(req.commands >= 1);
	return req.commands;
}

static void edu_rw(int e, void *data, uint32_t offset, uint32_t len,
		   bool write)
{
	struct ionode_edu_rw req = {
		.data = (uintptr_t)data, .offset = offset, .len = len,
	};

	do_ioctl(e, write ? IONODE_EDU_IOC_WRITE : IONODE_EDU_IOC_READ, &req);
}

static uint32_t deferred(uint64_t size, uint64_t mask)
{
	struct drm_ionode_create req = {
		.size = size, .heap_mask = mask, .flags = IONODE_BO_DEFERRED,
	};

	ionode_bo_create_ex(fd, &req);
	igt_assert_eq(req.heap_id, IONODE_HEAP_ID_NONE);
	return req.handle;
}

static bool unbacked(uint32_t handle)
{
	struct drm_ionode_bo_info bi = ionode_bo_info_get(fd, handle);

	return bi.attrs & IONODE_ATTR_UNBACKED;
}

static uint32_t placed_heap(uint32_t handle)
{
	struct drm_ionode_bo_info bi = ionode_bo_info_get(fd, handle);

	igt_assert_f(!(bi.attrs & IONODE_ATTR_UNBACKED),
		     "still no memory (attrs %#x)\n", bi.attrs);
	return bi.heap_id;
}

static int export(uint32_t handle)
{
	return track_fd(ionode_bo_export(fd, handle));
}

static uint8_t *map_dmabuf(int dmabuf, size_t size)
{
	return track_map(dmabuf_mmap(dmabuf, size, 0, PROT_READ | PROT_WRITE),
			 size);
}

/*
 * The engine both ways on @size bytes of @dmabuf, mapped for edu through
 * @e: the CPU writes a pattern, the device copies the 4 KiB at @at to its
 * buffer (the bytes are read back and checked), then writes another
 * pattern from its buffer to @at2; the CPU sees it there and its own
 * bytes everywhere else.
 */
static void dma_both_ways(int e, int dmabuf, size_t size, uint64_t at,
			  uint64_t at2)
{
	uint8_t *p = map_dmabuf(dmabuf, size);
	uint8_t *dev = malloc(XFER);

	igt_assert(dev);
	igt_assert(at + XFER <= size && at2 + XFER <= size);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(p, size, 21, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);

	edu_dma(e, at, XFER, 0, IONODE_EDU_TO_DEVICE);
	edu_rw(e, dev, 0, XFER, false);
	check_pattern(dev, XFER, 21, at);

	fill_pattern(dev, XFER, 22, at2);
	edu_rw(e, dev, 0, XFER, true);
	edu_dma(e, at2, XFER, 0, IONODE_EDU_FROM_DEVICE);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_pattern(p, at2, 21, 0);
	check_pattern(p + at2, XFER, 22, at2);
	check_pattern(p + at2 + XFER, size - at2 - XFER, 21,
		      at2 + XFER);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	free(dev);
	unmap(p);
}

static void test_probe(void)
{
	uint8_t in[XFER], out[XFER];
	int e;

	require_edu();
	igt_info("edu: ident %#x, DMA mask %#" PRIx64 ", %s\n", info.ident,
		 (uint64_t)info.dma_mask,
		 info.translated ? "behind a translating IOMMU" : "no IOMMU");
	igt_assert_eq_u64(info.dma_mask, EDU_MASK);
	igt_assert_eq(info.ident & 0xff, 0xed);	/* QEMU's edu: 0x010000ed */
	igt_assert_eq(info.buf_size, EDU_BUF);
	/* The last byte of the internal buffer: refused (QEMU 7.2 aborts). */
	struct ionode_edu_rw last = {
		.data = (uintptr_t)out, .offset = EDU_BUF, .len = 1,
	};
	igt_assert_eq(info.pad, 0);
	e = edu_open();
	fill_pattern(in, sizeof(in), 5, 0);
	edu_rw(e, in, EDU_BUF - XFER, XFER, true);
	memset(out, 0, sizeof(out));
	edu_rw(e, out, EDU_BUF - XFER, XFER, false);
	check_pattern(out, XFER, 5, 0);
	/* A range past the internal buffer is refused before the engine. */
	struct ionode_edu_rw bad = {
		.data = (uintptr_t)out, .offset = EDU_BUF - 8, .len = 16,
	};
	do_ioctl_err(e, IONODE_EDU_IOC_READ, &bad, EINVAL);
	do_ioctl_err(e, IONODE_EDU_IOC_WRITE, &last, EINVAL);
	/* Nothing imported: nothing to map or copy. */
	struct ionode_edu_map m;

	do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, ENOENT);
	close_fd(e);
}

static void test_import_dma(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	size_t size = 4 * page;
	struct ionode_edu_map m;
	uint32_t h;
	int dmabuf, e;

	require_edu();
	require_heap("carveout2");
	h = ionode_bo_create(fd, size, heap_bit("carveout2"), 0);
	dmabuf = export(h);
	e = edu_import(dmabuf, size);
	/* DMA before MAP: nothing mapped. */
	struct ionode_edu_dma early = {
		.len = 16, .dir = IONODE_EDU_TO_DEVICE,
	};
	do_ioctl_err(e, IONODE_EDU_IOC_DMA, &early, ENOENT);
	m = edu_map(e);
	igt_assert_eq(m.pages, size / page);
	igt_assert_eq(m.sg_entries, 1);	/* a carveout is contiguous */
	/* Straddling pages; a carveout's range is one DMA piece. */
	dma_both_ways(e, dmabuf, size, page - 100, 2 * page + 8);
	igt_assert_eq(edu_dma(e, page - 100, XFER, 0,
			      IONODE_EDU_TO_DEVICE), 1);
	/* Past the end of the dma-buf. */
	struct ionode_edu_dma past = {
		.offset = size - 8, .len = 16, .dir = IONODE_EDU_TO_DEVICE,
	};
	do_ioctl_err(e, IONODE_EDU_IOC_DMA, &past, EINVAL);
	do_ioctl(e, IONODE_EDU_IOC_UNMAP, NULL);
	do_ioctl_err(e, IONODE_EDU_IOC_UNMAP, NULL, ENOENT);
	do_ioctl(e, IONODE_EDU_IOC_DETACH, NULL);
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_refused_out_of_reach(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	size_t size = 4 * page;
	struct ionode_edu_map m;
	uint32_t h;
	int dmabuf, e;

	require_edu();
	require_heap("carveout0");
	h = ionode_bo_create(fd, size, heap_bit("carveout0"), 0);
	dmabuf = export(h);
	e = edu_import(dmabuf, size);
	if (info.translated) {
		m = edu_map(e);
		igt_assert_eq(m.nents, 1);
		dma_both_ways(e, dmabuf, size, 0, page + 4);
	} else {
		/* carveout0 is at 1 GiB: refused, not bounced. */
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
	}
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_deferred_placement(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	size_t size = 8 * page;
	uint8_t dev[XFER];
	struct ionode_edu_map m;
	uint32_t h, heap;
	int dmabuf, e;

	require_edu();
	require_heap("carveout0");
	require_heap("carveout2");
	h = deferred(size, heap_bit("system") | heap_bit("carveout0") |
		     heap_bit("carveout2"));
	dmabuf = export(h);
	e = edu_import(dmabuf, size);
	igt_assert(unbacked(h));	/* attaching is not a use */
	m = edu_map(e);			/* the first use */
	heap = placed_heap(h);
	if (info.translated) {
		igt_assert_f(heap == heap_id("system"),
			     "behind the IOMMU: heap %u, not system\n", heap);
	} else {
		/*
		 * System pages all below 256 MiB would be kept too, but the
		 * page allocator gives them from above 4 GiB first.
		 */
		igt_assert_f(heap == heap_id("carveout2"),
			     "without IOMMU: heap %u, not carveout2\n", heap);
		igt_assert_eq(m.nents, 1);
	}
	/* Zeroed memory, seen by the device. */
	edu_dma(e, 0, XFER, 0, IONODE_EDU_TO_DEVICE);
	edu_rw(e, dev, 0, XFER, false);
	check_zero(dev, XFER);
	dma_both_ways(e, dmabuf, size, 3 * page + 12, size - XFER);
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_deferred_gathered(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	uint64_t mask = heap_bit("system") | heap_bit("carveout0") |
			heap_bit("carveout2");
	int vgem = igt_open_vgem();
	size_t size = 4 * page;
	struct ionode_edu_map m;
	uint32_t h, vh, heap;
	int dmabuf, e;

	require_edu();
	igt_require_f(vgem >= 0, "no vgem\n");
	track_fd(vgem);
	require_heap("carveout0");
	require_heap("carveout2");

	/* edu attached, vgem's import is the first use: both served. */
	h = deferred(size, mask);
	dmabuf = export(h);
	e = edu_import(dmabuf, size);
	igt_assert(unbacked(h));
	igt_assert_eq(drmPrimeFDToHandle(vgem, dmabuf, &vh), 0);
	heap = placed_heap(h);
	igt_assert_f(heap == heap_id(info.translated ? "system" : "carveout2"),
		     "placed in heap %u with edu attached%s\n", heap,
		     info.translated ? " behind an IOMMU" : "");
	m = edu_map(e);
	dma_both_ways(e, dmabuf, size, 0, page + 12);
	igt_assert_eq(drmCloseBufferHandle(vgem, vh), 0);
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);

	/* edu attached after vgem's first use: the memory is not moved. */
	h = deferred(size, mask);
	dmabuf = export(h);
	igt_assert_eq(drmPrimeFDToHandle(vgem, dmabuf, &vh), 0);
	igt_assert_eq(placed_heap(h), heap_id("system"));
	e = edu_import(dmabuf, size);
	if (info.translated) {
		m = edu_map(e);
		dma_both_ways(e, dmabuf, size, page / 2, 2 * page);
	} else {
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
	}
	igt_assert_eq(placed_heap(h), heap_id("system"));
	igt_assert_eq(drmCloseBufferHandle(vgem, vh), 0);
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	close_fd(vgem);
	ionode_assert_usage_back(fd, &before);
}

static void test_deferred_conflict(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	size_t size = 4 * page;
	struct ionode_edu_map m;
	uint8_t *p;
	uint32_t h;
	int dmabuf, e;

	require_edu();
	require_heap("carveout0");
	h = deferred(size, heap_bit("carveout0"));
	dmabuf = export(h);
	e = edu_import(dmabuf, size);
	if (info.translated) {
		m = edu_map(e);
		igt_assert_eq(placed_heap(h), heap_id("carveout0"));
		igt_assert_eq(m.nents, 1);
		dma_both_ways(e, dmabuf, size, 0, 3 * page);
	} else {
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
		igt_assert(unbacked(h));
		ionode_assert_usage_back(fd, &before);
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
		igt_assert(unbacked(h));
		/* A CPU first use counts edu too while it is attached. */
		struct dma_buf_sync s = {
			.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		};
		igt_assert_f(ioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s) == -1 &&
			     errno == EINVAL,
			     "SYNC with edu attached did not fail with EINVAL\n");
		igt_assert(unbacked(h));
		/* Detached: still a buffer, the CPU's first use places it. */
		do_ioctl(e, IONODE_EDU_IOC_DETACH, NULL);
		p = map_dmabuf(dmabuf, size);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		check_zero(p, size);
		dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
		igt_assert_eq(placed_heap(h), heap_id("carveout0"));
		unmap(p);
		/* Attached again: out of edu's reach, and not moved for it. */
		struct ionode_edu_import req = { .fd = dmabuf };

		do_ioctl(e, IONODE_EDU_IOC_IMPORT, &req);
		do_ioctl_err(e, IONODE_EDU_IOC_MAP, &m, EINVAL);
		igt_assert_eq(placed_heap(h), heap_id("carveout0"));
	}
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

static void test_iommu_scattered(void)
{
	struct ionode_usage before = ionode_usage_now(fd);
	/* Odd: no order-4 chunk fits, the system heap gives single pages. */
	const unsigned int n = 15;
	size_t size = n * page, half = 2048;
	uint8_t dev[XFER];
	struct ionode_edu_map m;
	unsigned int i, cmds = 0;
	uint8_t *p;
	uint32_t h;
	int dmabuf, e;

	require_edu();
	igt_require_f(info.translated, "the edu device has no IOMMU\n");
	igt_require(page == 4096);
	h = ionode_bo_create(fd, size, heap_bit("system"), 0);
	dmabuf = export(h);
	p = map_dmabuf(dmabuf, size);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	fill_pattern(p, size, 31, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	e = edu_import(dmabuf, size);
	m = edu_map(e);
	igt_assert_eq(m.pages, n);
	igt_info("%u pages in %u physical runs, %u DMA segment(s)\n", n,
		 m.sg_entries, m.nents);

	/*
	 * 256 bytes straddling each page boundary (and the last page's
	 * end) into the device: every page reached, in order.
	 */
	for (i = 0; i < n; i++) {
		uint64_t at = (i + 1) * page - 128;
		uint32_t len = i == n - 1 ? 128 : 256;

		cmds += edu_dma(e, at, len, i * 256, IONODE_EDU_TO_DEVICE);
	}
	edu_rw(e, dev, 0, n * 256, false);
	for (i = 0; i < n; i++)
		check_pattern(dev + i * 256, i == n - 1 ? 128 : 256, 31,
			      (i + 1) * page - 128);
	/* The IOMMU makes the pages contiguous for the device. */
	if (m.nents == 1)
		igt_assert_eq(cmds, n);

	/* And back: the device's bytes land straddling each boundary. */
	fill_pattern(dev, XFER, 32, 0);
	edu_rw(e, dev, 0, XFER, true);
	for (i = 0; i + 1 < n; i++)
		edu_dma(e, (i + 1) * page - half / 2, half, 0,
			IONODE_EDU_FROM_DEVICE);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < n; i++) {
		uint64_t start = i * page + (i ? half / 2 : 0);
		uint64_t end = (i + 1) * page - (i + 1 < n ? half / 2 : 0);

		check_pattern(p + start, end - start, 31, start);
		if (i + 1 < n)
			check_pattern(p + end, half, 32, 0);
	}
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	unmap(p);
	close_fd(e);
	close_fd(dmabuf);
	ionode_bo_close(fd, h);
	ionode_assert_usage_back(fd, &before);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		int e;

		fd = igt_ionode_open();
		page = ionode_page_size();
		ionode_get_heaps(fd, &heaps);
		e = open(EDU_DEV, O_RDWR | O_CLOEXEC);
		if (e >= 0) {
			memset(&info, 0xff, sizeof(info));
			do_ioctl(e, IONODE_EDU_IOC_INFO, &info);
			close(e);
			have_edu = true;
		}
	}

	subtest("probe")
		test_probe();
	subtest("import-dma")
		test_import_dma();
	subtest("refused-out-of-reach")
		test_refused_out_of_reach();
	subtest("deferred-placement")
		test_deferred_placement();
	subtest("deferred-gathered")
		test_deferred_gathered();
	subtest("deferred-conflict")
		test_deferred_conflict();
	subtest("iommu-scattered")
		test_iommu_scattered();

	igt_fixture {
		ionode_put_heaps(&heaps);
	}
}
