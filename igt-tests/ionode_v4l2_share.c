// SPDX-License-Identifier: MIT
/*
 * ionode_v4l2_share - ionode buffers shared between V4L2 and other
 * exporters and importers, through the vb2 glue's test device.
 *
 * Needs v4l2-glue/ionode_v4l2.ko with its default instances (as
 * tools/vm/vm-run loads it; see ionode_v4l2.c and lib/ionode_v4l2_test.h).
 * vivid, vgem and v4l2-compliance are used when present.
 *
 * What is checked: frames streamed through the device from vgem buffers
 * come out byte-exact, and vgem's scattered buffers are refused by the
 * contiguous-only instance; vivid captures into ionode buffers of every
 * kind the same bytes as into its own, and its exported frames stream
 * through the device; whatever order the video fd, dma-buf fd, ionode fd
 * and mapping of one buffer go away in, every byte goes back to the heaps;
 * and v4l2-compliance -s passes without a warning on the device, streaming
 * MMAP and (vivid exporting) DMABUF.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include <xf86drm.h>
#include <xf86drmMode.h>

#include "igt_track.h"
#include "ionode_v4l2_test.h"

#define RW		(PROT_READ | PROT_WRITE)
#define MiB		(1024ull * 1024)

/* ---- state, released at the start of every subtest --------------------- */

static int ion = -1;		/* this subtest's ionode render node */
static struct ionode_heaps heaps;

#define subtest(name) ionode_subtest(&ion, name)

/* Sum of used_bytes over every heap. */
static uint64_t total_used(void)
{
	return ionode_total_used(ion);
}

/* ---- other exporters ------------------------------------------------------ */

static int open_vgem(void)
{
	int v = igt_open_vgem();

	igt_require_f(v >= 0, "no vgem\n");
	return track_fd(v);
}

/* A vgem dumb buffer of at least @size bytes, exported and mapped. */
static struct fbuf vgem_fbuf(int vgem, uint32_t size)
{
	struct drm_mode_create_dumb c = {
		.width = 1024, .height = (size + 4095) / 4096, .bpp = 32,
	};
	struct drm_mode_map_dumb md = { 0 };
	struct fbuf b;
	void *p;

	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &c);
	md.handle = c.handle;
	do_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &md);
	p = mmap(NULL, c.size, RW, MAP_SHARED, vgem, (off_t)md.offset);
	igt_assert(p != MAP_FAILED);
	b.ptr = track_map(p, c.size);
	b.len = c.size;
	b.handle = 0;
	igt_assert_eq(drmPrimeHandleToFD(vgem, c.handle, DRM_CLOEXEC | DRM_RDWR,
					 &b.dmabuf), 0);
	track_fd(b.dmabuf);
	return b;
}

static void test_vgem_import(void)
{
	int vgem = open_vgem();
	struct m2m m = m2m_open(DEV_PLAIN);
	struct fbuf out[M2M_NBUF], cap[M2M_NBUF], b;
	unsigned int i;

	for (i = 0; i < M2M_NBUF; i++) {
		out[i] = vgem_fbuf(vgem, m.size);
		cap[i] = i & 1 ? vgem_fbuf(vgem, m.size) :
				 ionode_fbuf("system", m.size, 0);
	}
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, M2M_NBUF);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, M2M_NBUF);
	run_frames(&m, out, cap, M2M_NBUF, M2M_FRAMES);

	/* shmem pages: scattered, so not for a contiguous-only device. */
	b = vgem_fbuf(vgem, 4 * MiB + 64 * 1024 + 4096);
	expect_rejected(DEV_CONTIG, &b, "not contiguous in DMA space");
}

static int vivid_capture(uint32_t w, uint32_t h, uint32_t fourcc,
			 uint32_t *size)
{
	int fd = open_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE);
	struct v4l2_input in = { .index = 0 };

	do_ioctl(fd, VIDIOC_S_INPUT, &in.index);
	*size = set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h, fourcc);
	return fd;
}

/* Set vivid control @name to its menu entry @item (or value). */
static void vivid_ctrl(int fd, const char *name, const char *item, int value)
{
	struct v4l2_queryctrl q = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	struct v4l2_control c = { 0 };

	while (ioctl(fd, VIDIOC_QUERYCTRL, &q) == 0) {
		if (!strcmp((char *)q.name, name))
			break;
		q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	igt_assert_f(!strcmp((char *)q.name, name), "vivid has no %s control\n",
		     name);
	c.id = q.id;
	c.value = value;
	if (item) {
		struct v4l2_querymenu m = { .id = q.id };

		for (m.index = q.minimum; m.index <= (uint32_t)q.maximum; m.index++)
			if (ioctl(fd, VIDIOC_QUERYMENU, &m) == 0 &&
			    !strcmp((char *)m.name, item))
				break;
		igt_assert_f(m.index <= (uint32_t)q.maximum,
			     "no \"%s\" in %s\n", item, name);
		c.value = m.index;
	}
	do_ioctl(fd, VIDIOC_S_CTRL, &c);
}

/* Capture @n frames from vivid into @bufs; the last one's index. */
static unsigned int vivid_grab(int fd, struct fbuf *bufs, unsigned int n,
			       uint32_t memory, uint32_t size)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer b;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (memory == V4L2_MEMORY_DMABUF)
			igt_assert_eq(qbuf_dmabuf(fd, C, i, bufs[i].dmabuf, 0, 0), 0);
		else
			qbuf_mmap(fd, C, i, 0, 0);
	}
	stream(fd, C, true);
	for (i = 0; i < n; i++) {
		b = dqbuf(fd, C, memory);
		igt_assert_eq(b.bytesused, size);
	}
	stream(fd, C, false);
	return b.index;
}

static void test_vivid_capture(const char *pattern)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *heap_names[] = { "system", "system-contig", "carveout0" };
	struct fbuf ref[M2M_NBUF], bufs[M2M_NBUF];
	uint32_t size, i, h, last;
	uint8_t *want;
	int fd;

	fd = vivid_capture(640, 360, V4L2_PIX_FMT_RGB24, &size);
	vivid_ctrl(fd, "Test Pattern", pattern, 0);
	vivid_ctrl(fd, "OSD Text Mode", "None", 0);

	/* Reference: vivid's own (MMAP) buffers. */
	mmap_fbufs(&(struct m2m){ .fd = fd, .size = size }, C, ref, M2M_NBUF);
	last = vivid_grab(fd, ref, M2M_NBUF, V4L2_MEMORY_MMAP, size);
	want = malloc(size);
	igt_assert(want);
	memcpy(want, ref[last].ptr, size);
	for (i = 0; i < M2M_NBUF; i++)
		unmap(ref[i].ptr);
	reqbufs(fd, C, V4L2_MEMORY_MMAP, 0);

	if (!strcmp(pattern, "100% White")) {
		for (i = 0; i < size; i++)
			igt_assert_f(want[i] == want[i % 3],
				     "vivid's white frame is not uniform at %u\n", i);
		igt_assert_neq(want[0], 0);
	}

	for (h = 0; h < sizeof(heap_names) / sizeof(heap_names[0]); h++) {
		if (!heap_ok(heap_names[h], size, M2M_NBUF))
			continue;
		igt_info("vivid into %s\n", heap_names[h]);
		for (i = 0; i < M2M_NBUF; i++) {
			bufs[i] = ionode_fbuf(heap_names[h], size, 0);
			memset(bufs[i].ptr, 0, size);
		}
		reqbufs(fd, C, V4L2_MEMORY_DMABUF, M2M_NBUF);
		vivid_grab(fd, bufs, M2M_NBUF, V4L2_MEMORY_DMABUF, size);
		for (i = 0; i < M2M_NBUF; i++) {
			cpu_begin(&bufs[i], DMA_BUF_SYNC_READ);
			igt_assert_f(!memcmp(bufs[i].ptr, want, size),
				     "vivid frame in %s buffer %u differs from its MMAP frame\n",
				     heap_names[h], i);
			cpu_end(&bufs[i], DMA_BUF_SYNC_READ);
		}
		reqbufs(fd, C, V4L2_MEMORY_DMABUF, 0);
	}
	free(want);
}

/* vivid's exported frames as OUTPUT of the test device. */
static void test_vivid_export(void)
{
	const uint32_t C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct fbuf src[M2M_NBUF], cap;
	struct m2m m;
	uint32_t size;
	unsigned int i, last;
	int fd;

	fd = vivid_capture(640, 360, V4L2_PIX_FMT_YUYV, &size);
	vivid_ctrl(fd, "OSD Text Mode", "None", 0);
	mmap_fbufs(&(struct m2m){ .fd = fd, .size = size }, C, src, M2M_NBUF);
	last = vivid_grab(fd, src, M2M_NBUF, V4L2_MEMORY_MMAP, size);
	src[last].dmabuf = expbuf(fd, C, last);

	m = m2m_open_fmt(DEV_PLAIN, 640, 360, V4L2_PIX_FMT_YUYV);
	igt_assert_eq(m.size, size);
	cap = ionode_fbuf("system", size, 0);
	reqbufs(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, 1);
	reqbufs(m.fd, C, V4L2_MEMORY_DMABUF, 1);
	igt_assert_eq(qbuf_dmabuf(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, 0,
				  src[last].dmabuf, size, 1), 0);
	igt_assert_eq(qbuf_dmabuf(m.fd, C, 0, cap.dmabuf, 0, 0), 0);
	stream(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, true);
	stream(m.fd, C, true);
	dqbuf(m.fd, C, V4L2_MEMORY_DMABUF);
	dqbuf(m.fd, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF);
	cpu_begin(&cap, DMA_BUF_SYNC_READ);
	check_inverse(cap.ptr, src[last].ptr, size, "inverted vivid frame");
	cpu_end(&cap, DMA_BUF_SYNC_READ);
	for (i = 0; i < size && src[last].ptr[i] == src[last].ptr[0]; i++)
		;
	igt_assert_f(i < size, "vivid frame is blank\n");
}

/* ---- lifetime ------------------------------------------------------------- */

enum holder { H_VIDEO, H_DMABUF, H_IONODE, H_MMAP, H_COUNT };

static const char * const holder_names[] = {
	"video fd", "dma-buf fd", "ionode fd", "mapping",
};

static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	t = a[i]; a[i] = a[j]; a[j] = t;
	for (i++, j = n - 1; i < j; i++, j--) {
		t = a[i]; a[i] = a[j]; a[j] = t;
	}
	return true;
}

/*
 * One buffer, held four ways; every order of letting go frees it exactly
 * when the last holder goes. @mmap_side: the device allocated it (MMAP,
 * EXPBUF, imported into ionode) or ionode did (queued as DMABUF into a
 * streaming device).
 */
static void test_close_any_order(bool mmap_side)
{
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	const uint32_t size = 320 * 240 * 3;
	int order[H_COUNT] = { 0, 1, 2, 3 };
	uint64_t before = total_used();	/* ion only observes */
	int perms = 0;

	do {
		int vfd, dmabuf, ionfd, k;
		uint8_t *ptr;
		size_t len;

		ionfd = track_fd(igt_ionode_open());
		vfd = open_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M);
		if (mmap_side) {
			reqbufs(vfd, O, V4L2_MEMORY_MMAP, 1);
			ptr = mmap_vbuf(vfd, O, 0, &len);
			dmabuf = expbuf(vfd, O, 0);
			ionode_bo_import(ionfd, dmabuf);
		} else {
			struct fbuf b = ionode_fbuf_fd(ionfd, "system", size, 0);

			dmabuf = b.dmabuf;
			ptr = b.ptr;
			reqbufs(vfd, O, V4L2_MEMORY_DMABUF, 1);
			igt_assert_eq(qbuf_dmabuf(vfd, O, 0, dmabuf, size, 1), 0);
			stream(vfd, O, true);
		}
		igt_assert_eq_u64(total_used(), before + ionode_round_page(size));

		for (k = 0; k < H_COUNT; k++) {
			igt_assert_f(total_used() > before,
				     "buffer freed after letting go of %d holders\n", k);
			igt_debug("release %s\n", holder_names[order[k]]);
			switch (order[k]) {
			case H_VIDEO:
				close_fd(vfd);
				break;
			case H_DMABUF:
				close_fd(dmabuf);
				break;
			case H_IONODE:
				close_fd(ionfd);
				break;
			case H_MMAP:
				unmap(ptr);
				break;
			}
		}
		igt_assert_f(total_used() == before,
			     "order %s, %s, %s, %s leaves %llu bytes behind\n",
			     holder_names[order[0]], holder_names[order[1]],
			     holder_names[order[2]], holder_names[order[3]],
			     (unsigned long long)(total_used() - before));
		perms++;
	} while (next_perm(order, H_COUNT));
	igt_assert_eq(perms, 24);
}

/* ---- v4l2-compliance ------------------------------------------------------- */

/*
 * v4l2-compliance -s on the unconstrained instance, streaming MMAP and
 * (with vivid as exporter) DMABUF: no failure, no warning.
 */
static void test_v4l2_compliance(void)
{
	char node[64], vivid[64], cmd[256], line[1024];
	unsigned int total = 0, ok = 0, failed = 1, warnings = 1;
	bool have_total = false;
	FILE *p;
	int status;

	igt_require_f(access("/usr/bin/v4l2-compliance", X_OK) == 0,
		      "v4l2-compliance is not installed (v4l-utils)\n");
	igt_require(find_video(M2M_DRIVER, DEV_PLAIN, V4L2_CAP_VIDEO_M2M,
			       node, sizeof(node)));
	if (!find_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE, vivid,
			sizeof(vivid)))
		vivid[0] = 0;
	snprintf(cmd, sizeof(cmd), "v4l2-compliance -d %s -s%s%s 2>&1", node,
		 vivid[0] ? " -e " : "", vivid);
	igt_info("%s\n", cmd);

	p = popen(cmd, "r");
	igt_assert(p);
	while (fgets(line, sizeof(line), p)) {
		char *l = strrchr(line, '\r') ? strrchr(line, '\r') + 1 : line;

		if (strstr(l, "fail:") || strstr(l, "warn:"))
			igt_info("%s", l);
		if (!strncmp(l, "Total for ", 10)) {
			char *t = strchr(l, ':');

			have_total = t && sscanf(t, ": %u, Succeeded: %u, Failed: %u, Warnings: %u",
						 &total, &ok, &failed, &warnings) == 4;
			igt_info("%s", l);
		}
	}
	status = pclose(p);
	igt_assert_f(have_total, "no summary from v4l2-compliance (status %d)\n",
		     status);
	igt_assert_eq(failed, 0);
	igt_assert_eq(warnings, 0);
	igt_assert_eq(ok, total);
}

/* ---- main ------------------------------------------------------------------ */

igt_main
{
	igt_fixture
		m2m_test_setup(&ion, &heaps);

	subtest("vgem-import")
		test_vgem_import();
	subtest("vivid-capture-colorbar")
		test_vivid_capture("75% Colorbar");
	subtest("vivid-capture-white")
		test_vivid_capture("100% White");
	subtest("vivid-export-to-m2m")
		test_vivid_export();
	subtest("close-any-order-mmap")
		test_close_any_order(true);
	subtest("close-any-order-dmabuf")
		test_close_any_order(false);
	subtest("v4l2-compliance")
		test_v4l2_compliance();

	igt_fixture
		m2m_test_teardown();
}
