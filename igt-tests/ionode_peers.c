// SPDX-License-Identifier: MIT
/*
 * ionode_peers - ionode buffers with the kernel's upstream dma-buf peers.
 *
 * The peers are upstream drivers that import or export dma-bufs and are
 * not ionode's own test devices:
 *
 *  - vkms (importer, KMS): an ionode buffer is scanned out by vkms' primary
 *    plane and another ionode buffer receives the composed frame through
 *    vkms' writeback connector. vkms imports both through drm_gem_shmem
 *    (dma_buf_attach + map_attachment on its own device, whose DMA segment
 *    limit ionode must honour, then dma_buf_vmap for the CPU composer).
 *    The writeback buffer must hold the source's pixels with X = 0xff.
 *  - vim2m (importer, V4L2 mem2mem on videobuf2-vmalloc): ionode buffers
 *    queued as V4L2_MEMORY_DMABUF on both queues, horizontal flip on; the
 *    CAPTURE frame must be the OUTPUT frame mirrored pixel by pixel.
 *  - dma-buf heaps (/dev/dma_heap/ *, the kernel's own: the nodes ionode
 *    itself offers there on a kernel without heaps are left to
 *    ionode_dmaheap) and udmabuf (exporters): their
 *    buffers imported into ionode, mapped through ionode's node and checked
 *    byte for byte both ways; ionode charges them to no heap.
 *
 * Every buffer-backed subtest ends with every heap's used_bytes back where
 * it started. The peers exist on the full debug kernel
 * (make check KERNEL=full), where DMA-API debug also checks the mappings.
 * Debian's stock kernel has none of them; `make check` loads a test-only
 * vkms.ko built from linux-source-6.1 there (tools/vkms/), so the vkms
 * subtests run on both tiers and the others skip on the stock one.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include <xf86drm.h>

#include "igt_track.h"
#include "igt_v4l2.h"
#include "ionode_peer_test.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MiB		(1024ull * 1024)

/* vim2m's frame: RGB24, inside its 640x480 maximum. */
#define M2M_WIDTH	640
#define M2M_HEIGHT	480
#define M2M_BPP		3
#define M2M_FRAMES	4

static int ion = -1;
static struct ionode_heaps heaps;

/*
 * Before every subtest, on the new fd (ionode_fresh_fd()): tracked, so
 * that release_all() inside a subtest drops its buffers too.
 */
static void fresh_heaps(int f)
{
	track_fd(f);
	ionode_put_heaps(&heaps);
	ionode_get_heaps(f, &heaps);
}

#define subtest_f(...) ionode_subtest_f(&ion, __VA_ARGS__)

/* ---- ionode -------------------------------------------------------------- */

/* Sum of used_bytes over every heap. */
static uint64_t total_used(void)
{
	return ionode_total_used(ion);
}

/* ---- vkms ---------------------------------------------------------------- */

static void test_vkms_writeback(const char *heap)
{
	const struct drm_ionode_heap_info *h;
	uint32_t src_fb, dst_fb;
	struct pbuf src, dst;
	uint64_t baseline;
	size_t bytes;
	struct kms_pipe k;

	vkms_open(&k);
	igt_require_f(k.wb, "vkms without writeback (enable_writeback=0?)\n");
	bytes = (size_t)k.mode.hdisplay * k.mode.vdisplay * 4;
	h = peer_require_heap(&heaps, heap, bytes, 2);
	baseline = total_used();

	src = pbuf_new(ion, h, bytes);
	dst = pbuf_new(ion, h, bytes);
	pbuf_fill(&src, 0x5ca1ab1e);
	src_fb = vkms_fb(&k, &src);
	dst_fb = vkms_fb(&k, &dst);

	vkms_writeback(&k, src_fb, dst_fb);
	check_writeback(&src, &dst, bytes);

	/* Again with new contents: vkms reads the buffer, not a copy. */
	pbuf_fill(&src, 0xc0ffee);
	vkms_writeback(&k, src_fb, dst_fb);
	check_writeback(&src, &dst, bytes);

	igt_assert_eq(kms_pipe_off(&k), 0);
	igt_assert_eq(kms_pipe_rm_fb(&k, src_fb), 0);
	igt_assert_eq(kms_pipe_rm_fb(&k, dst_fb), 0);
	pbuf_free(ion, &src);
	pbuf_free(ion, &dst);
	assert_used_back(ion, baseline);
}

/* ---- vim2m --------------------------------------------------------------- */

static void set_hflip(int fd, int on)
{
	struct v4l2_control c = { .id = V4L2_CID_HFLIP, .value = on };

	do_ioctl(fd, VIDIOC_S_CTRL, &c);
}

/* @out must be @in with every line mirrored, pixel by pixel. */
static void check_hflip(const struct pbuf *in, const struct pbuf *out)
{
	const size_t line = M2M_WIDTH * M2M_BPP;
	uint32_t x, y;

	dmabuf_sync(in->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	dmabuf_sync(out->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < M2M_HEIGHT; y++) {
		const uint8_t *i = in->ptr + y * line;
		const uint8_t *o = out->ptr + y * line;

		for (x = 0; x < M2M_WIDTH; x++) {
			const uint8_t *ip = i + (M2M_WIDTH - 1 - x) * M2M_BPP;
			const uint8_t *op = o + x * M2M_BPP;

			igt_assert_f(!memcmp(ip, op, M2M_BPP),
				     "line %u pixel %u: %02x%02x%02x, mirrored input %02x%02x%02x\n",
				     y, x, op[0], op[1], op[2], ip[0], ip[1],
				     ip[2]);
		}
	}
	dmabuf_sync(out->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	dmabuf_sync(in->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
}

static void test_vim2m_hflip(const char *heap)
{
	const uint32_t out_q = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t cap_q = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const struct drm_ionode_heap_info *h;
	struct pbuf in[2], out[2];
	uint64_t baseline;
	uint32_t size, f, i;
	char path[64];
	int fd;

	igt_require_f(igt_modprobe("vim2m"),
		      "no vim2m on this kernel (the full tier has it)\n");
	igt_assert_f(find_video("vim2m", NULL, V4L2_CAP_VIDEO_M2M, path,
				sizeof(path)),
		     "vim2m is loaded but has no video node\n");
	fd = track_fd(open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC));
	size = set_fmt(fd, out_q, M2M_WIDTH, M2M_HEIGHT, V4L2_PIX_FMT_RGB24);
	igt_assert_eq(size, M2M_WIDTH * M2M_HEIGHT * M2M_BPP);
	igt_assert_eq(set_fmt(fd, cap_q, M2M_WIDTH, M2M_HEIGHT,
			      V4L2_PIX_FMT_RGB24), size);
	set_hflip(fd, 1);
	h = peer_require_heap(&heaps, heap, size, 4);
	baseline = total_used();

	reqbufs(fd, out_q, V4L2_MEMORY_DMABUF, 2);
	reqbufs(fd, cap_q, V4L2_MEMORY_DMABUF, 2);
	for (i = 0; i < 2; i++) {
		in[i] = pbuf_new(ion, h, size);
		out[i] = pbuf_new(ion, h, size);
	}
	stream(fd, out_q, true);
	stream(fd, cap_q, true);
	for (f = 0; f < M2M_FRAMES; f++) {
		struct v4l2_buffer ob, cb;

		i = f % 2;
		pbuf_fill(&in[i], 0x1000 + f);
		igt_assert_eq(qbuf_dmabuf(fd, out_q, i, in[i].dmabuf, size,
					  f + 1), 0);
		igt_assert_eq(qbuf_dmabuf(fd, cap_q, i, out[i].dmabuf, 0,
					  0), 0);
		ob = dqbuf(fd, out_q, V4L2_MEMORY_DMABUF);
		cb = dqbuf(fd, cap_q, V4L2_MEMORY_DMABUF);
		igt_assert_eq(ob.index, i);
		igt_assert_eq(cb.index, i);
		igt_assert_eq(cb.bytesused, size);
		igt_assert_eq(cb.timestamp.tv_usec, f + 1);
		check_hflip(&in[i], &out[i]);
	}
	stream(fd, out_q, false);
	stream(fd, cap_q, false);
	reqbufs(fd, out_q, V4L2_MEMORY_DMABUF, 0);
	reqbufs(fd, cap_q, V4L2_MEMORY_DMABUF, 0);
	close_fd(fd);
	for (i = 0; i < 2; i++) {
		pbuf_free(ion, &in[i]);
		pbuf_free(ion, &out[i]);
	}
	assert_used_back(ion, baseline);
}

/* ---- foreign exporters: dma-buf heaps, udmabuf --------------------------- */

/*
 * Import the foreign dma-buf @dmabuf (@size bytes, mapped at @theirs) into
 * ionode and check both directions byte for byte through ionode's own
 * mapping; ionode must account it as imported, to no heap.
 */
static void check_import(int dmabuf, uint8_t *theirs, size_t size,
			 uint32_t seed)
{
	struct drm_ionode_bo_info info;
	uint64_t baseline = total_used();
	uint32_t handle;
	uint8_t *ours;
	int again;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	fill_pattern(theirs, size, seed, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);

	handle = ionode_bo_import(ion, dmabuf);
	info = ionode_bo_info_get(ion, handle);
	igt_assert(info.attrs & IONODE_ATTR_IMPORTED);
	igt_assert_eq_u64(info.size, size);
	igt_assert_eq_u64(total_used(), baseline);

	/* Read theirs through ionode, write ours back through ionode. */
	ours = track_map(ionode_bo_mmap(ion, handle, size, RW), size);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_pattern(ours, size, seed, 0);
	fill_pattern(ours, size, ~seed, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	check_pattern(theirs, size, ~seed, 0);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);

	/* Exporting an import hands back the same dma-buf. */
	again = track_fd(ionode_bo_export(ion, handle));
	igt_assert(same_inode(again, dmabuf));
	close_fd(again);

	unmap(ours);
	ionode_bo_close(ion, handle);
	igt_assert_eq_u64(total_used(), baseline);
}

static void test_dma_heap_import(void)
{
	const size_t size = 1 * MiB + 3 * ionode_page_size();
	unsigned int tried = 0;
	struct dirent *de;
	DIR *dir = opendir("/dev/dma_heap");

	igt_require_f(dir, "no /dev/dma_heap on this kernel (the full tier has it)\n");
	while ((de = readdir(dir))) {
		struct dma_heap_allocation_data alloc = {
			.len = size,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};
		char path[300];
		uint8_t *theirs;
		int heap;

		if (de->d_name[0] == '.')
			continue;
		/* ionode's own nodes (the stock kernel's /dev/dma_heap). */
		snprintf(path, sizeof(path), "/sys/class/dma_heap/%s/ionode_heap",
			 de->d_name);
		if (!access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", de->d_name);
		heap = track_fd(open(path, O_RDONLY | O_CLOEXEC));
		do_ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc);
		track_fd(alloc.fd);
		igt_info("dma-heap %s: %zu bytes\n", de->d_name, size);
		theirs = track_map(dmabuf_mmap(alloc.fd, size, 0, RW), size);
		check_import(alloc.fd, theirs, size, 0xd4a0 + tried);
		unmap(theirs);
		close_fd(alloc.fd);
		close_fd(heap);
		tried++;
	}
	closedir(dir);
	igt_require_f(tried, "/dev/dma_heap lists no heap but ionode's own\n");
}

static void test_udmabuf_import(void)
{
	const size_t size = 2 * MiB + 5 * ionode_page_size();
	struct udmabuf_create create = { .flags = UDMABUF_FLAGS_CLOEXEC };
	uint8_t *theirs;
	int dev, memfd, dmabuf;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0 && igt_modprobe("udmabuf"))
		dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	igt_require_f(dev >= 0, "no /dev/udmabuf on this kernel (the full tier has it)\n");
	track_fd(dev);
	memfd = track_fd(memfd_create("ionode-peers", MFD_ALLOW_SEALING));
	igt_assert_eq(ftruncate(memfd, size), 0);
	igt_assert_eq(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	create.memfd = memfd;
	create.size = size;
	dmabuf = ioctl(dev, UDMABUF_CREATE, &create);
	igt_assert_f(dmabuf >= 0, "UDMABUF_CREATE: %s\n", igt_errno_name(errno));
	track_fd(dmabuf);

	/* The memfd's own mapping is the exporter's side here. */
	theirs = mmap(NULL, size, RW, MAP_SHARED, memfd, 0);
	igt_assert_f(theirs != MAP_FAILED, "mmap of the memfd: %s\n",
		     igt_errno_name(errno));
	track_map(theirs, size);
	check_import(dmabuf, theirs, size, 0x0dab);
	unmap(theirs);
	close_fd(dmabuf);
	close_fd(memfd);
	close_fd(dev);
}

igt_main
{
	igt_fixture
		ionode_set_fresh_hook(fresh_heaps);
	peer_heap_subtests(&ion, "vkms-writeback", test_vkms_writeback);
	peer_heap_subtests(&ion, "vim2m-hflip", test_vim2m_hflip);
	subtest_f("dma-heap-import")
		test_dma_heap_import();
	subtest_f("udmabuf-import")
		test_udmabuf_import();

	igt_fixture {
		release_all();
		ionode_put_heaps(&heaps);
	}
}
