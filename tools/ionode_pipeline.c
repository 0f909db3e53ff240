// SPDX-License-Identifier: MIT
/*
 * ionode_pipeline - a zero-copy camera -> processing -> display pipeline,
 * run by `make demo` inside the VM:
 *
 *   vivid (a V4L2 camera, its HDMI input set to the display's mode)
 *   captures an XRGB8888 frame straight into ionode buffer A; the
 *   ionode-m2m test device (a V4L2 mem2mem "codec" that inverts every byte
 *   and only accepts physically contiguous buffers) reads A and writes
 *   ionode buffer B; the display (vkms) scans B out. Each hop passes a
 *   dma-buf fd; no byte is copied by the CPU.
 *
 * The display is checked: vkms' CRC of B on screen equals the CRC of the
 * same pixels in a dumb buffer of vkms' own, and the frame vkms writes
 * back through its writeback connector is B pixel for pixel. With
 * --snapshot FILE that frame is written as a PNG.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>

#include "kms_pipe.h"
#include "libionode.h"
#include "png_write.h"
#include "tool_util.h"

/* Bytes per pixel of the camera's XBGR32 (DRM_FORMAT_XRGB8888). */
#define BPP	4

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s: %s\n", what, strerror(errno));
}

/* Opens the first video node with this driver (and card) name. */
static int open_named_video(const char *driver, const char *card,
			    uint32_t caps)
{
	struct v4l2_capability cap;
	char path[32];
	int fd = open_video(driver, card, caps, path, sizeof(path), &cap);

	if (fd >= 0)
		printf("    %s is %s \"%s\"\n", path, driver, cap.card);
	return fd;
}

/*
 * The camera's frame must cover the display (vkms' plane covers its whole
 * CRTC): vivid's HDMI input, set to DV timings of the mode's size, gives
 * frames of that size.
 */
static void camera_mode(int fd, uint32_t w, uint32_t h, int *old_input)
{
	struct v4l2_input in = { 0 };
	struct v4l2_enum_dv_timings et = { 0 };

	xioctl(fd, VIDIOC_G_INPUT, old_input, "VIDIOC_G_INPUT");

	for (in.index = 0; !ioctl(fd, VIDIOC_ENUMINPUT, &in); in.index++)
		if (in.capabilities & V4L2_IN_CAP_DV_TIMINGS)
			break;
	if (!(in.capabilities & V4L2_IN_CAP_DV_TIMINGS))
		die("the camera has no input with DV timings\n");
	xioctl(fd, VIDIOC_S_INPUT, &in.index, "VIDIOC_S_INPUT");
	for (et.index = 0; !ioctl(fd, VIDIOC_ENUM_DV_TIMINGS, &et); et.index++)
		if (et.timings.bt.width == w && et.timings.bt.height == h &&
		    !et.timings.bt.interlaced)
			break;
	if (et.timings.bt.width != w || et.timings.bt.height != h)
		die("the camera has no %ux%u DV timings\n", w, h);
	xioctl(fd, VIDIOC_S_DV_TIMINGS, &et.timings, "VIDIOC_S_DV_TIMINGS");
	printf("    camera input %u \"%s\" set to %ux%u, the display's mode\n",
	       in.index, in.name, w, h);
}

static uint32_t set_format(int fd, uint32_t type, uint32_t w, uint32_t h,
			   uint32_t fourcc)
{
	struct v4l2_format f = { .type = type };

	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	xioctl(fd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT");
	if (f.fmt.pix.width != w || f.fmt.pix.height != h ||
	    f.fmt.pix.pixelformat != fourcc)
		die("device does not do %ux%u %.4s\n", w, h, (char *)&fourcc);
	return f.fmt.pix.sizeimage;
}

static void queue_dmabuf(int fd, uint32_t type, int dmabuf, uint32_t size)
{
	struct v4l2_requestbuffers rb = {
		.count = 1, .type = type, .memory = V4L2_MEMORY_DMABUF,
	};
	struct v4l2_buffer b = {
		.type = type, .memory = V4L2_MEMORY_DMABUF, .index = 0,
		.field = V4L2_FIELD_NONE, .length = size,
	};

	xioctl(fd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS");
	b.m.fd = dmabuf;
	if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT)
		b.bytesused = size;
	xioctl(fd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
	xioctl(fd, VIDIOC_STREAMON, &type, "VIDIOC_STREAMON");
}

static void wait_dqbuf(int fd, uint32_t type)
{
	struct pollfd pfd = {
		.fd = fd,
		.events = type == V4L2_BUF_TYPE_VIDEO_OUTPUT ? POLLOUT : POLLIN,
	};
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_DMABUF };

	if (poll(&pfd, 1, 20000) != 1)
		die("no frame after 20 s\n");
	xioctl(fd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
	if (b.flags & V4L2_BUF_FLAG_ERROR)
		die("the frame came back with an error\n");
	xioctl(fd, VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF");
}

/* Frees the queue's buffers (REQBUFS 0). */
static void queue_off(int fd, uint32_t type)
{
	struct v4l2_requestbuffers rb = {
		.count = 0, .type = type, .memory = V4L2_MEMORY_DMABUF,
	};

	xioctl(fd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS 0");
}

/* Prints the heaps in use; returns the bytes they hold. */
static uint64_t show_usage(int ion)
{
	struct drm_ionode_heap_info *heaps;
	uint64_t total = 0;
	uint32_t i, count;

	if (ionode_query_heaps(ion, &heaps, &count))
		die("query heaps failed\n");
	for (i = 0; i < count; i++) {
		total += heaps[i].used_bytes;
		if (heaps[i].used_bytes)
			printf("    heap %-14s holds %llu KiB\n", heaps[i].name,
			       (unsigned long long)heaps[i].used_bytes >> 10);
	}
	free(heaps);
	return total;
}

/* The CRC vkms computes for the first frame composed after now. */
static uint32_t crc_now(struct kms_pipe *kms)
{
	uint32_t seq, crc;

	if (kms_pipe_vblank(kms, &seq) || kms_pipe_crc_get(kms, seq + 1, NULL, &crc))
		die("no CRC from vkms: %s\n", strerror(errno));
	return crc;
}

/*
 * B is on screen: vkms' CRC of it must equal that of the same pixels in a
 * dumb buffer of vkms' own. Returns 1 if they match; B is on screen again.
 */
static int check_crc(struct kms_pipe *kms, uint32_t fb, int dmabuf,
		     const uint8_t *px, uint32_t w, uint32_t h)
{
	struct kms_dumb d;
	uint32_t c_b, c_dumb, y;
	int ret;

	ret = kms_pipe_crc_start(kms);
	if (ret)
		die("CRC capture (debugfs): %s\n", strerror(-ret));
	c_b = crc_now(kms);
	if (kms_pipe_dumb(kms, &d))
		die("vkms dumb buffer failed\n");
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < h; y++)
		memcpy((uint8_t *)d.map + (size_t)y * d.pitch,
		       px + (size_t)y * w * BPP, (size_t)w * BPP);
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	if (kms_pipe_show(kms, d.fb, 0, NULL))
		die("showing the dumb buffer failed\n");
	c_dumb = crc_now(kms);
	if (kms_pipe_show(kms, fb, 0, NULL))
		die("showing B again failed\n");
	kms_pipe_crc_stop(kms);
	kms_pipe_dumb_free(kms, &d);
	printf("    CRC of B on screen 0x%08x, of the same pixels in a vkms dumb buffer 0x%08x: %s\n",
	       c_b, c_dumb, c_b == c_dumb ? "match" : "MISMATCH");
	return c_b == c_dumb;
}

/*
 * vkms composes B and writes the frame back into ionode buffer C: it must
 * be B pixel for pixel (X bytes aside). Returns the number of differing
 * pixels; C goes to @snapshot if given.
 */
static size_t check_writeback(struct kms_pipe *kms, int ion, uint32_t fb,
			      const uint8_t *px, uint32_t w, uint32_t h,
			      const char *snapshot)
{
	size_t size = (size_t)w * h * BPP, bad = 0, i;
	const uint32_t *b = (const uint32_t *)px, *c;
	uint32_t wb_fb;
	uint64_t mask;
	int dmabuf, ret;
	void *map;

	if (ionode_heap_mask_by_name(ion, "system", &mask) ||
	    ionode_create_fd(ion, size, mask, 0, &dmabuf, NULL) ||
	    kms_pipe_add_fb(kms, dmabuf, w, h, DRM_FORMAT_XRGB8888, w * BPP, 0,
			    &wb_fb))
		die("writeback buffer failed\n");
	ret = kms_pipe_writeback(kms, fb, wb_fb, 20000);
	if (ret)
		die("writeback failed: %s\n", strerror(-ret));
	if (ionode_dmabuf_mmap(dmabuf, size, PROT_READ, &map))
		die("mmap failed\n");
	c = map;
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (i = 0; i < size / BPP; i++)
		bad += (c[i] & 0xffffff) != (b[i] & 0xffffff);
	printf("    the frame vkms wrote back (writeback connector, into an ionode buffer):\n"
	       "    %zu pixels compared with B, %zu differ\n", size / BPP, bad);
	if (snapshot) {
		ret = png_write_xrgb8888(snapshot, c, w, h, w * BPP);
		if (ret)
			die("%s: %s\n", snapshot, strerror(-ret));
		printf("    written to %s\n", snapshot);
	}
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(map, size);
	kms_pipe_off(kms);
	kms_pipe_rm_fb(kms, wb_fb);
	close(dmabuf);
	return bad;
}

int main(int argc, char **argv)
{
	const char *snapshot = NULL;
	uint32_t size, w, h, handle[2], fb;
	int ion, cam, m2m, buf[2], i, ret, crc_ok, input;
	struct kms_pipe kms;
	uint8_t *a, *b;
	uint64_t mask;
	size_t bad = 0, wb_bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--snapshot"))
		snapshot = argv[2];
	else if (argc != 1)
		die("usage: ionode_pipeline [--snapshot FILE.png]\n");
	printf("\nionode pipeline: camera -> processing -> display, zero copy\n");

	ion = ionode_open();
	cam = open_named_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
	m2m = open_named_video("ionode_v4l2", "ionode-m2m-contig", V4L2_CAP_VIDEO_M2M);
	if (ion < 0 || cam < 0 || m2m < 0) {
		printf("    (needs ionode, vivid and ionode_v4l2.ko: skipped)\n");
		return 0;
	}
	ret = kms_pipe_open(&kms, "vkms");
	if (ret)
		die("no vkms display (%s): `make vkms`, and load build/vkms/vkms.ko\n",
		    strerror(-ret));
	w = kms.mode.hdisplay;
	h = kms.mode.vdisplay;
	printf("    the display is vkms, mode %ux%u\n", w, h);
	if (h * BPP % 3)
		die("a %ux%u frame is no whole number of RGB24 lines\n", w, h);

	camera_mode(cam, w, h, &input);
	size = set_format(cam, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h,
			  V4L2_PIX_FMT_XBGR32);
	if (size != w * h * BPP)
		die("the camera's frame has padding\n");
	/*
	 * The processing device inverts bytes and knows 24-bit formats only:
	 * the same bytes, W x H at 32 bits, are W x (H * 4 / 3) at 24 bits.
	 */
	if (set_format(m2m, V4L2_BUF_TYPE_VIDEO_OUTPUT, w, h * BPP / 3,
		       V4L2_PIX_FMT_RGB24) != size ||
	    set_format(m2m, V4L2_BUF_TYPE_VIDEO_CAPTURE, w, h * BPP / 3,
		       V4L2_PIX_FMT_RGB24) != size)
		die("camera and processing device disagree on the frame size\n");

	printf("\n[1] Allocate two %ux%u XRGB8888 frames (%u bytes) from system-contig:\n",
	       w, h, size);
	printf("    the processing device declared it needs contiguous memory\n");
	if (ionode_heap_mask_by_name(ion, "system-contig", &mask))
		die("no system-contig heap\n");
	for (i = 0; i < 2; i++)
		if (ionode_create(ion, size, mask, IONODE_BO_CONTIGUOUS, &handle[i]) ||
		    ionode_export(ion, handle[i], &buf[i]))
			die("allocation failed\n");
	show_usage(ion);

	printf("\n[2] The camera (vivid) captures a frame into buffer A (V4L2_MEMORY_DMABUF)\n");
	queue_dmabuf(cam, V4L2_BUF_TYPE_VIDEO_CAPTURE, buf[0], size);
	wait_dqbuf(cam, V4L2_BUF_TYPE_VIDEO_CAPTURE);

	printf("\n[3] The processing device reads A and writes B (it inverts every byte)\n");
	queue_dmabuf(m2m, V4L2_BUF_TYPE_VIDEO_OUTPUT, buf[0], size);
	queue_dmabuf(m2m, V4L2_BUF_TYPE_VIDEO_CAPTURE, buf[1], size);
	wait_dqbuf(m2m, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	wait_dqbuf(m2m, V4L2_BUF_TYPE_VIDEO_OUTPUT);

	printf("\n[4] The display (vkms) imports B as a framebuffer and scans it out\n");
	if (kms_pipe_add_fb(&kms, buf[1], w, h, DRM_FORMAT_XRGB8888, w * BPP, 0, &fb))
		die("vkms refused B as a framebuffer\n");
	ret = kms_pipe_show(&kms, fb, 0, NULL);
	if (ret)
		die("atomic commit failed: %s\n", strerror(-ret));
	printf("    B is framebuffer %u on CRTC %u (atomic commit)\n", fb, kms.crtc);
	if (ionode_dmabuf_mmap(buf[0], size, PROT_READ, (void **)&a) ||
	    ionode_dmabuf_mmap(buf[1], size, PROT_READ, (void **)&b))
		die("mmap failed\n");
	crc_ok = check_crc(&kms, fb, buf[1], b, w, h);
	wb_bad = check_writeback(&kms, ion, fb, b, w, h, snapshot);
	kms_pipe_rm_fb(&kms, fb);
	kms_pipe_close(&kms);

	printf("\n[5] Check on the CPU, bracketed with DMA_BUF_IOCTL_SYNC\n");
	ionode_dmabuf_sync(buf[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	ionode_dmabuf_sync(buf[1], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (uint32_t k = 0; k < size; k++)
		bad += (b[k] ^ a[k]) != 0xff;
	printf("    camera pixel (0,0)  0x%06x\n", *(uint32_t *)a & 0xffffff);
	printf("    output pixel (0,0)  0x%06x\n", *(uint32_t *)b & 0xffffff);
	printf("    %u bytes checked: %zu wrong\n", size, bad);
	ionode_dmabuf_sync(buf[0], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	ionode_dmabuf_sync(buf[1], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(a, size);
	munmap(b, size);

	/* The camera back on the input it had (ionode_cube uses the webcam). */
	queue_off(cam, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	xioctl(cam, VIDIOC_S_INPUT, &input, "VIDIOC_S_INPUT");
	close(cam);
	close(m2m);
	for (i = 0; i < 2; i++) {
		close(buf[i]);
		ionode_close(ion, handle[i]);
	}
	printf("\n[6] Every fd closed\n");
	if (show_usage(ion))
		die("buffers left behind\n");
	printf("    all heaps back to zero\n");
	close(ion);
	printf("\npipeline: %s, display CRC %s, writeback %s\n",
	       bad ? "processing WRONG" : "processing right",
	       crc_ok ? "matches" : "DIFFERS",
	       wb_bad ? "DIFFERS" : "matches");
	return bad || !crc_ok || wb_bad ? 1 : 0;
}
