// SPDX-License-Identifier: MIT
/*
 * ionode_pipeline - a zero-copy camera -> processing -> display pipeline,
 * run by `make demo` inside the VM:
 *
 *   vivid (a V4L2 camera) captures a frame straight into ionode buffer A;
 *   the ionode-m2m test device (a V4L2 mem2mem "codec" that inverts every
 *   byte and only accepts physically contiguous buffers) reads A and
 *   writes ionode buffer B; vgem, standing in for a display driver,
 *   imports B. Each hop passes a dma-buf fd; no byte is copied by the CPU.
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
#include <sys/stat.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libionode.h"
#include "tool_util.h"

#define WIDTH	640
#define HEIGHT	360

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s: %s\n", what, strerror(errno));
}

/* Opens the first video node with this driver (and card) name. */
static int open_video(const char *driver, const char *card, uint32_t caps)
{
	struct v4l2_capability cap;
	char path[32];
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, driver) &&
		    (!card || !strcmp((char *)cap.card, card)) &&
		    (cap.device_caps & caps) == caps) {
			printf("    %s is %s \"%s\"\n", path, driver, cap.card);
			return fd;
		}
		close(fd);
	}
	return -1;
}

static uint32_t set_format(int fd, uint32_t type)
{
	struct v4l2_format f = { .type = type };

	f.fmt.pix.width = WIDTH;
	f.fmt.pix.height = HEIGHT;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	xioctl(fd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT");
	if (f.fmt.pix.width != WIDTH || f.fmt.pix.height != HEIGHT ||
	    f.fmt.pix.pixelformat != V4L2_PIX_FMT_RGB24)
		die("device does not do %ux%u RGB24\n", WIDTH, HEIGHT);
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

int main(void)
{
	uint32_t size, handle[2], hv;
	int ion, cam, m2m, vgem, buf[2], back, i;
	uint8_t *a, *b;
	uint64_t mask;
	struct stat sa, sb;
	size_t bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("\nionode pipeline: camera -> processing -> display, zero copy\n");

	ion = ionode_open();
	cam = open_video("vivid", NULL, V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING);
	m2m = open_video("ionode_v4l2", "ionode-m2m-contig", V4L2_CAP_VIDEO_M2M);
	if (ion < 0 || cam < 0 || m2m < 0) {
		printf("    (needs ionode, vivid and ionode_v4l2.ko: skipped)\n");
		return 0;
	}

	size = set_format(cam, V4L2_BUF_TYPE_VIDEO_CAPTURE);
	if (set_format(m2m, V4L2_BUF_TYPE_VIDEO_OUTPUT) != size ||
	    set_format(m2m, V4L2_BUF_TYPE_VIDEO_CAPTURE) != size)
		die("camera and processing device disagree on the frame size\n");

	printf("\n[1] Allocate two %ux%u RGB24 frames (%u bytes) from system-contig:\n",
	    WIDTH, HEIGHT, size);
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

	printf("\n[4] The display side (vgem here) imports B\n");
	vgem = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	if (vgem >= 0) {
		if (drmPrimeFDToHandle(vgem, buf[1], &hv) ||
		    drmPrimeHandleToFD(vgem, hv, DRM_CLOEXEC, &back))
			die("vgem import failed\n");
		fstat(buf[1], &sb);
		fstat(back, &sa);
		printf("    vgem holds B as its handle %u, the very same dma-buf (%s)\n",
		       hv, sa.st_ino == sb.st_ino ? "same inode" : "DIFFERENT");
		close(back);
		close(vgem);
	}

	printf("\n[5] Check on the CPU, bracketed with DMA_BUF_IOCTL_SYNC\n");
	if (ionode_dmabuf_mmap(buf[0], size, PROT_READ, (void **)&a) ||
	    ionode_dmabuf_mmap(buf[1], size, PROT_READ, (void **)&b))
		die("mmap failed\n");
	ionode_dmabuf_sync(buf[0], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	ionode_dmabuf_sync(buf[1], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (uint32_t k = 0; k < size; k++)
		bad += (b[k] ^ a[k]) != 0xff;
	printf("    first camera pixel  (%3u,%3u,%3u)\n", a[0], a[1], a[2]);
	printf("    first output pixel  (%3u,%3u,%3u)\n", b[0], b[1], b[2]);
	printf("    %u bytes checked: %zu wrong\n", size, bad);
	ionode_dmabuf_sync(buf[0], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	ionode_dmabuf_sync(buf[1], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(a, size);
	munmap(b, size);

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
	return bad ? 1 : 0;
}
