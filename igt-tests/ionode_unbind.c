// SPDX-License-Identifier: MIT
/*
 * ionode_unbind - the device unbound and bound again while it is in use,
 * as IGT's core_hotunplug does it (unbind-rebind, hotunbind-rebind,
 * hotrebind-lateclose), plus what ionode promises about live buffers.
 *
 * ionode's buffers are ordinary memory (pages, or a reserved range), not
 * device memory: after an unbind the open files refuse every ioctl and new
 * mmap() with ENODEV, but what already exists stays valid until its last
 * reference goes: CPU mappings through the DRM fd and the dma-buf fd,
 * DMA_BUF_IOCTL_SYNC, a dma-buf held by vgem or queued on a V4L2 device.
 * A device bound again works at once, shares the carveouts with the buffers
 * of the unbound one without handing out their ranges twice, and every
 * heap's usage drains to zero once the old buffers are gone.
 *
 * Needs root (sysfs bind/unbind). Leaves the device bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <xf86drm.h>

#include "igt_track.h"
#include "ionode_v4l2_test.h"

#define DRV_DIR		"/sys/bus/platform/drivers/ionode"
#define DEV_LINK	DRV_DIR "/ionode"
#define RW		(PROT_READ | PROT_WRITE)
#define BUF_SIZE	(256 * 1024)

static bool bound(void)
{
	return access(DEV_LINK, F_OK) == 0;
}

static void sysfs_write(const char *file, const char *val)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), DRV_DIR "/%s", file);
	fd = open(path, O_WRONLY);
	igt_assert_f(fd >= 0, "open %s: %s\n", path, strerror(errno));
	n = write(fd, val, strlen(val));
	igt_assert_f(n == (int)strlen(val), "write '%s' to %s: %s\n", val, path,
		     strerror(errno));
	close(fd);
}

static void unbind(void)
{
	igt_assert(bound());
	sysfs_write("unbind", "ionode");
	igt_assert(!bound());
}

static void bind(void)
{
	if (!bound())
		sysfs_write("bind", "ionode");
	igt_assert(bound());
}

/* A buffer with a pattern, mapped through the DRM fd and its dma-buf. */
struct live_buf {
	uint32_t handle;
	int dmabuf;
	uint8_t *drm_map;
	uint8_t *dmabuf_map;
};

static void live_buf_make(int fd, struct live_buf *b, uint64_t mask,
			  uint32_t seed)
{
	b->handle = ionode_bo_create(fd, BUF_SIZE, mask, 0);
	b->drm_map = ionode_bo_mmap(fd, b->handle, BUF_SIZE, RW);
	b->dmabuf = ionode_bo_export(fd, b->handle);
	b->dmabuf_map = dmabuf_mmap(b->dmabuf, BUF_SIZE, 0, RW);
	fill_pattern(b->drm_map, BUF_SIZE, seed, 0);
}

/* Every heap of a freshly opened device: nothing used, carveouts all free. */
static void check_drained(void)
{
	struct ionode_heaps h;
	int fd = igt_ionode_open();
	uint32_t i;

	ionode_get_heaps(fd, &h);
	for (i = 0; i < h.count; i++) {
		const struct drm_ionode_heap_info *hi = &h.info[i];

		igt_assert_f(hi->used_bytes == 0, "heap %s: %llu bytes used\n",
			     hi->name, (unsigned long long)hi->used_bytes);
		if (hi->total_bytes != IONODE_SIZE_UNKNOWN)
			igt_assert_f(hi->free_bytes == hi->total_bytes,
				     "heap %s: %llu of %llu bytes free\n",
				     hi->name, (unsigned long long)hi->free_bytes,
				     (unsigned long long)hi->total_bytes);
	}
	ionode_put_heaps(&h);
	close(fd);
}

/* A new buffer on a fresh fd works: the device is usable. */
static void check_usable(void)
{
	int fd = igt_ionode_open();
	uint32_t handle = ionode_bo_create(fd, BUF_SIZE, ~0ull, 0);
	uint8_t *p = ionode_bo_mmap(fd, handle, BUF_SIZE, RW);

	check_zero(p, BUF_SIZE);
	munmap(p, BUF_SIZE);
	ionode_bo_close(fd, handle);
	close(fd);
}

static void test_unbind_rebind(void)
{
	int fd;

	unbind();
	fd = ionode_open();
	igt_assert_f(fd < 0, "an ionode node is still there after unbind\n");
	bind();
	check_usable();
	check_drained();
}

/*
 * Unbind with a client holding buffers in every carveout and the system
 * heap, mapped both ways and shared with vgem; everything keeps working
 * but the ioctls; then bind again while the old client is open, allocate
 * from the new device, and close the old client last.
 */
static void test_hotunbind_live(void)
{
	struct drm_ionode_query_heaps q = {};
	struct drm_ionode_create c = {};
	struct drm_ionode_bo_info bi = {};
	struct drm_gem_close gc = {};
	struct ionode_heaps h;
	struct live_buf bufs[IONODE_MAX_HEAPS];
	struct dma_buf_sync sync;
	unsigned int n = 0, i;
	uint32_t vgem_handle = 0;
	int fd, vgem, back;
	uint8_t *p;

	fd = igt_ionode_open();
	ionode_get_heaps(fd, &h);
	for (i = 0; i < h.count; i++) {
		if (!ionode_heap_usable(&h.info[i], BUF_SIZE))
			continue;
		live_buf_make(fd, &bufs[n], 1ull << h.info[i].id, 100 + i);
		n++;
	}
	ionode_put_heaps(&h);
	igt_assert(n > 0);

	vgem = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	if (vgem >= 0)
		igt_assert_eq(drmPrimeFDToHandle(vgem, bufs[0].dmabuf,
						 &vgem_handle), 0);

	unbind();

	/* Every ioctl and new mapping of the old files: ENODEV. */
	do_ioctl_err(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q, ENODEV);
	c.size = 4096;
	c.heap_mask = ~0ull;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_CREATE, &c, ENODEV);
	bi.handle = bufs[0].handle;
	do_ioctl_err(fd, DRM_IOCTL_IONODE_BO_INFO, &bi, ENODEV);
	p = mmap(NULL, BUF_SIZE, RW, MAP_SHARED, fd, 0);
	igt_assert(p == MAP_FAILED);

	/* What exists stays valid: both mappings, sync, new dma-buf maps. */
	for (i = 0; i < n; i++) {
		check_pattern(bufs[i].dmabuf_map, BUF_SIZE, 100 + i, 0);
		sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
		do_ioctl(bufs[i].dmabuf, DMA_BUF_IOCTL_SYNC, &sync);
		fill_pattern(bufs[i].dmabuf_map, BUF_SIZE, 200 + i, 0);
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
		do_ioctl(bufs[i].dmabuf, DMA_BUF_IOCTL_SYNC, &sync);
		check_pattern(bufs[i].drm_map, BUF_SIZE, 200 + i, 0);
		p = dmabuf_mmap(bufs[i].dmabuf, BUF_SIZE, 0, PROT_READ);
		check_pattern(p, BUF_SIZE, 200 + i, 0);
		munmap(p, BUF_SIZE);
	}

	/* Bound again while the old client lives: a working device. */
	bind();
	check_usable();

	/* The old client goes last; vgem keeps its buffer after that. */
	for (i = 0; i < n; i++) {
		munmap(bufs[i].drm_map, BUF_SIZE);
		munmap(bufs[i].dmabuf_map, BUF_SIZE);
		if (i)
			close(bufs[i].dmabuf);
	}
	gc.handle = bufs[0].handle;
	do_ioctl_err(fd, DRM_IOCTL_GEM_CLOSE, &gc, ENODEV);
	close(fd);
	if (vgem >= 0) {
		close(bufs[0].dmabuf);
		igt_assert_eq(drmPrimeHandleToFD(vgem, vgem_handle, DRM_CLOEXEC,
						 &back), 0);
		p = dmabuf_mmap(back, BUF_SIZE, 0, PROT_READ);
		check_pattern(p, BUF_SIZE, 200, 0);
		munmap(p, BUF_SIZE);
		close(back);
		gc.handle = vgem_handle;
		do_ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
		close(vgem);
	} else {
		close(bufs[0].dmabuf);
	}
	check_drained();
}

/*
 * ionode dma-bufs imported by a V4L2 queue (the test m2m device) across an
 * unbind, queued before it (@early) or after it: the device processes a
 * frame from them afterwards and the importer never sees freed memory.
 */
static void test_hotunbind_v4l2(bool early)
{
	const uint32_t w = 64, hgt = 64, size = w * hgt;
	const uint32_t out_t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t cap_t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	int fd, m2m, out_fd, cap_fd;
	uint32_t out_h, cap_h;
	uint8_t *out, *cap;
	char node[32];
	unsigned int i;

	igt_require(find_video(M2M_DRIVER, DEV_PLAIN,
			       V4L2_CAP_VIDEO_M2M, node, sizeof(node)));
	fd = igt_ionode_open();
	out_h = ionode_bo_create(fd, size, ~0ull, IONODE_BO_CACHED);
	cap_h = ionode_bo_create(fd, size, ~0ull, IONODE_BO_CACHED);
	out_fd = ionode_bo_export(fd, out_h);
	cap_fd = ionode_bo_export(fd, cap_h);
	out = dmabuf_mmap(out_fd, size, 0, RW);
	cap = dmabuf_mmap(cap_fd, size, 0, RW);
	for (i = 0; i < size; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	/* The dma-bufs now hold the buffers; the DRM client goes. */
	close(fd);

	m2m = m2m_open_fmt(DEV_PLAIN, w, hgt, V4L2_PIX_FMT_GREY).fd;
	reqbufs(m2m, out_t, V4L2_MEMORY_DMABUF, 1);
	reqbufs(m2m, cap_t, V4L2_MEMORY_DMABUF, 1);

	if (!early)
		unbind();
	igt_assert_eq(qbuf_dmabuf(m2m, out_t, 0, out_fd, size, 1), 0);
	igt_assert_eq(qbuf_dmabuf(m2m, cap_t, 0, cap_fd, size, 1), 0);
	if (early)
		unbind();
	stream(m2m, out_t, true);
	stream(m2m, cap_t, true);
	dqbuf(m2m, cap_t, V4L2_MEMORY_DMABUF);
	dqbuf(m2m, out_t, V4L2_MEMORY_DMABUF);

	dmabuf_sync(cap_fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_inverse(cap, out, size, "CAPTURE frame");
	dmabuf_sync(cap_fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);

	/* The queue holds the buffers past our last reference. */
	munmap(out, size);
	munmap(cap, size);
	close(out_fd);
	close(cap_fd);
	stream(m2m, out_t, false);
	stream(m2m, cap_t, false);
	close_fd(m2m);

	bind();
	check_drained();
}

igt_main
{
	igt_fixture {
		igt_require_f(geteuid() == 0, "bind/unbind needs root\n");
		/* A DRM driver must let itself be unbound. */
		igt_assert_f(access(DRV_DIR "/unbind", W_OK) == 0,
			     "no %s/unbind: the driver refuses unbinding\n",
			     DRV_DIR);
		bind();
	}

	igt_subtest("unbind-rebind")
		test_unbind_rebind();
	igt_subtest("hotunbind-live-buffers")
		test_hotunbind_live();
	igt_subtest("hotunbind-v4l2-queued")
		test_hotunbind_v4l2(true);
	igt_subtest("hotunbind-v4l2-import")
		test_hotunbind_v4l2(false);

	/* Whatever failed above, leave a bound device for the next tests. */
	igt_fixture {
		release_all();
		bind();
	}
}
