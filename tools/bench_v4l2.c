// SPDX-License-Identifier: MIT
/*
 * bench_v4l2 - frames per second through the ionode test mem2mem device
 * (v4l2-glue/ionode_v4l2.ko, instance "ionode-m2m"), zero-copy versus
 * copying, in the same run:
 *
 *   dmabuf  the application's frames live in ionode buffers, queued as
 *           V4L2_MEMORY_DMABUF on both queues: no CPU copy.
 *   mmap    the application's frames live in its own memory; each frame
 *           is memcpy()d into a V4L2_MEMORY_MMAP OUTPUT buffer and the
 *           result out of a MMAP CAPTURE buffer, the classic V4L2 way.
 *
 * The device inverts every byte (CAPTURE = 255 - OUTPUT) with the CPU, so
 * both modes pay for the device's work; the ratio shows what the two
 * copies per frame cost. Results of both modes are checked.
 *
 * The modes alternate for a few rounds; each reports its best round.
 *
 *   bench_v4l2 [-s WIDTHxHEIGHT] [-n FRAMES] [-r ROUNDS] [-b BUFFERS]
 *              [-H HEAP] [-d NODE]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "libionode.h"
#include "tool_util.h"

#define MAX_BUFS	16
#define DEV_CARD	"ionode-m2m"
#define DEV_DRIVER	"ionode_v4l2"

static const char *prog = "bench_v4l2";

struct buf {
	int dmabuf;		/* DMABUF mode: the ionode buffer */
	uint8_t *ptr;		/* its mapping, or the MMAP buffer's */
	size_t len;
};

struct ctx {
	int vfd;
	uint32_t size;		/* bytes per frame */
	unsigned int nbufs;
	unsigned int frames;
	struct buf out[MAX_BUFS], cap[MAX_BUFS];
	uint8_t *app_in, *app_out;	/* the application's own frame memory */
};

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	if (ret)
		die("%s: %s\n", what, strerror(errno));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_device(const char *node, char *path, size_t len)
{
	struct v4l2_capability cap;
	int i, fd;

	for (i = 0; i < 64; i++) {
		if (node)
			snprintf(path, len, "%s", node);
		else
			snprintf(path, len, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			memset(&cap, 0, sizeof(cap));
			if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
			    !strcmp((char *)cap.driver, DEV_DRIVER) &&
			    (node || !strcmp((char *)cap.card, DEV_CARD)))
				return fd;
			close(fd);
		}
		if (node)
			break;
	}
	die("no %s video node: load v4l2-glue/ionode_v4l2.ko\n", DEV_CARD);
}

static uint32_t set_format(int fd, uint32_t w, uint32_t h)
{
	uint32_t types[] = { V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE };
	uint32_t size = 0;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct v4l2_format f = { .type = types[i] };

		f.fmt.pix.width = w;
		f.fmt.pix.height = h;
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
		xioctl(fd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT");
		if (f.fmt.pix.width != w || f.fmt.pix.height != h)
			die("the device does not do %ux%u (offers %ux%u)\n", w, h,
			    f.fmt.pix.width, f.fmt.pix.height);
		size = f.fmt.pix.sizeimage;
	}
	return size;
}

static void reqbufs(struct ctx *c, uint32_t type, uint32_t memory,
		    unsigned int count)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = type, .memory = memory,
	};

	xioctl(c->vfd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS");
	if (rb.count != count)
		die("asked for %u buffers, got %u\n", count, rb.count);
}

static void qbuf(struct ctx *c, uint32_t type, uint32_t memory, unsigned int i)
{
	struct v4l2_buffer b = {
		.index = i, .type = type, .memory = memory,
		.field = V4L2_FIELD_NONE,
	};

	if (memory == V4L2_MEMORY_DMABUF)
		b.m.fd = (type == V4L2_BUF_TYPE_VIDEO_OUTPUT ? c->out : c->cap)[i].dmabuf;
	if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT)
		b.bytesused = c->size;
	xioctl(c->vfd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
}

static unsigned int dqbuf(struct ctx *c, uint32_t type, uint32_t memory)
{
	struct v4l2_buffer b = { .type = type, .memory = memory };
	struct pollfd pfd = {
		.fd = c->vfd,
		.events = type == V4L2_BUF_TYPE_VIDEO_OUTPUT ? POLLOUT : POLLIN,
	};

	if (poll(&pfd, 1, 20000) != 1)
		die("the device produced nothing for 20 s\n");
	xioctl(c->vfd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
	if (b.flags & V4L2_BUF_FLAG_ERROR)
		die("buffer %u came back with an error\n", b.index);
	return b.index;
}

static void stream(struct ctx *c, bool on)
{
	int types[] = { V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned int i;

	for (i = 0; i < 2; i++)
		xioctl(c->vfd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &types[i],
		       on ? "VIDIOC_STREAMON" : "VIDIOC_STREAMOFF");
}

static void sync_buf(const struct buf *b, uint64_t flags)
{
	if (b->dmabuf >= 0 && ionode_dmabuf_sync(b->dmabuf, flags))
		die("DMA_BUF_IOCTL_SYNC: %s\n", strerror(errno));
}

static void fill(uint8_t *p, uint32_t size, unsigned int seed)
{
	uint32_t i;

	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 11));
}

static void check(const uint8_t *got, const uint8_t *in, uint32_t size,
		  const char *mode)
{
	uint32_t i;

	for (i = 0; i < size; i++) {
		unsigned int g = got[i], want = 255u - in[i];

		if (g != want)
			die("%s: byte %u of a processed frame is %#x, expected %#x\n",
			    mode, i, g, want);
	}
}

/*
 * Keep every buffer in flight: frame f uses buffer f % nbufs. @dmabuf: the
 * buffers are the application's frames; else copy in and out. Returns fps.
 */
static double run(struct ctx *c, bool dmabuf)
{
	uint32_t mem = dmabuf ? V4L2_MEMORY_DMABUF : V4L2_MEMORY_MMAP;
	const uint32_t O = V4L2_BUF_TYPE_VIDEO_OUTPUT, C = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *mode = dmabuf ? "dmabuf" : "mmap";
	unsigned int f, next, i;
	double t0, t;

	t0 = now();
	for (next = 0; next < c->nbufs && next < c->frames; next++) {
		if (!dmabuf)
			memcpy(c->out[next].ptr, c->app_in, c->size);
		qbuf(c, O, mem, next);
		qbuf(c, C, mem, next);
	}
	stream(c, true);
	for (f = 0; f < c->frames; f++) {
		i = dqbuf(c, C, mem);
		if (dqbuf(c, O, mem) != i)
			die("OUTPUT and CAPTURE buffers out of step\n");
		if (dmabuf) {
			/* Consume in place; check the first and last frame. */
			if (f == 0 || f == c->frames - 1) {
				sync_buf(&c->cap[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
				check(c->cap[i].ptr, c->out[i].ptr, c->size, mode);
				sync_buf(&c->cap[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
			}
		} else {
			memcpy(c->app_out, c->cap[i].ptr, c->size);
			if (f == 0 || f == c->frames - 1)
				check(c->app_out, c->app_in, c->size, mode);
		}
		if (next < c->frames) {
			if (!dmabuf)
				memcpy(c->out[i].ptr, c->app_in, c->size);
			qbuf(c, O, mem, i);
			qbuf(c, C, mem, i);
			next++;
		}
	}
	t = now() - t0;
	stream(c, false);
	return c->frames / t;
}

static void setup_dmabuf(struct ctx *c, int ion, uint64_t mask)
{
	unsigned int i, k;

	for (k = 0; k < 2; k++) {
		struct buf *bufs = k ? c->cap : c->out;

		for (i = 0; i < c->nbufs; i++) {
			uint32_t handle;
			void *p;
			int ret;

			ret = ionode_create(ion, c->size, mask, IONODE_BO_CACHED, &handle);
			if (!ret)
				ret = ionode_export(ion, handle, &bufs[i].dmabuf);
			if (!ret)
				ret = ionode_dmabuf_mmap(bufs[i].dmabuf, c->size,
							 PROT_READ | PROT_WRITE, &p);
			if (ret)
				die("ionode buffer: %s\n", strerror(-ret));
			ionode_close(ion, handle);	/* the dma-buf keeps it */
			bufs[i].ptr = p;
			bufs[i].len = c->size;
			if (!k) {
				sync_buf(&bufs[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
				memcpy(bufs[i].ptr, c->app_in, c->size);
				sync_buf(&bufs[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
			}
		}
	}
	reqbufs(c, V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_MEMORY_DMABUF, c->nbufs);
	reqbufs(c, V4L2_BUF_TYPE_VIDEO_CAPTURE, V4L2_MEMORY_DMABUF, c->nbufs);
}

static void teardown(struct ctx *c, uint32_t memory)
{
	unsigned int i;

	for (i = 0; i < c->nbufs; i++) {
		munmap(c->out[i].ptr, c->out[i].len);
		munmap(c->cap[i].ptr, c->cap[i].len);
		if (c->out[i].dmabuf >= 0)
			close(c->out[i].dmabuf);
		if (c->cap[i].dmabuf >= 0)
			close(c->cap[i].dmabuf);
	}
	reqbufs(c, V4L2_BUF_TYPE_VIDEO_OUTPUT, memory, 0);
	reqbufs(c, V4L2_BUF_TYPE_VIDEO_CAPTURE, memory, 0);
}

static void setup_mmap(struct ctx *c)
{
	uint32_t types[] = { V4L2_BUF_TYPE_VIDEO_OUTPUT, V4L2_BUF_TYPE_VIDEO_CAPTURE };
	unsigned int i, k;

	for (k = 0; k < 2; k++) {
		struct buf *bufs = k ? c->cap : c->out;

		reqbufs(c, types[k], V4L2_MEMORY_MMAP, c->nbufs);
		for (i = 0; i < c->nbufs; i++) {
			struct v4l2_buffer b = {
				.index = i, .type = types[k], .memory = V4L2_MEMORY_MMAP,
			};
			void *p;

			xioctl(c->vfd, VIDIOC_QUERYBUF, &b, "VIDIOC_QUERYBUF");
			p = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
				 c->vfd, b.m.offset);
			if (p == MAP_FAILED)
				die("mmap: %s\n", strerror(errno));
			bufs[i].ptr = p;
			bufs[i].len = b.length;
			bufs[i].dmabuf = -1;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-s WIDTHxHEIGHT] [-n FRAMES] [-r ROUNDS] [-b BUFFERS] [-H HEAP]\n"
		"          [-d NODE]\n"
		"  -s  frame size, RGB24 (default 1280x720)\n"
		"  -n  frames per mode and round (default 100)\n"
		"  -r  rounds; modes alternate, the best round counts (default 3)\n"
		"  -b  buffers per queue, 1-%d (default 4)\n"
		"  -H  ionode heap of the DMABUF mode's buffers (default system)\n"
		"  -d  video node (default: the one named " DEV_CARD ")\n",
		prog, MAX_BUFS);
}

int main(int argc, char **argv)
{
	struct ctx c = { .nbufs = 4, .frames = 100 };
	unsigned int rounds = 3, r;
	const char *heap = "system", *node = NULL;
	unsigned int w = 1280, h = 720;
	double fps_dmabuf = 0, fps_mmap = 0, fps;
	char path[64], label[64];
	uint64_t mask;
	int opt, ion, ret;

	while ((opt = getopt(argc, argv, "s:n:r:b:H:d:h")) != -1) {
		switch (opt) {
		case 's':
			if (sscanf(optarg, "%ux%u", &w, &h) != 2)
				die("bad size '%s'\n", optarg);
			break;
		case 'n':
			c.frames = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			c.nbufs = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			heap = optarg;
			break;
		case 'd':
			node = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!c.frames || !rounds || !c.nbufs || c.nbufs > MAX_BUFS) {
		usage(stderr);
		return 2;
	}

	ion = ionode_open();
	if (ion < 0)
		die("no ionode device: %s\n", strerror(-ion));
	ret = ionode_heap_mask_by_name(ion, heap, &mask);
	if (ret)
		die("heap %s: %s\n", heap, strerror(-ret));
	c.vfd = open_device(node, path, sizeof(path));
	c.size = set_format(c.vfd, w, h);
	c.app_in = malloc(c.size);
	c.app_out = malloc(c.size);
	if (!c.app_in || !c.app_out)
		die("out of memory\n");
	fill(c.app_in, c.size, 1);

	printf("%s: %s (%s), %ux%u RGB24 (%u bytes), %u buffers per queue,\n"
	       "  %u frames per mode and round, best of %u rounds\n",
	       prog, DEV_CARD, path, w, h, c.size, c.nbufs, c.frames, rounds);

	for (r = 0; r < rounds; r++) {
		setup_dmabuf(&c, ion, mask);
		fps = run(&c, true);
		teardown(&c, V4L2_MEMORY_DMABUF);
		if (fps > fps_dmabuf)
			fps_dmabuf = fps;
		setup_mmap(&c);
		fps = run(&c, false);
		teardown(&c, V4L2_MEMORY_MMAP);
		if (fps > fps_mmap)
			fps_mmap = fps;
	}

	snprintf(label, sizeof(label), "dmabuf (ionode %s heap, zero-copy):", heap);
	printf("  %-44s %8.1f fps\n", label, fps_dmabuf);
	printf("  %-44s %8.1f fps\n", "mmap + memcpy in and out:", fps_mmap);
	printf("  ratio dmabuf / mmap: %.2f\n", fps_dmabuf / fps_mmap);

	free(c.app_in);
	free(c.app_out);
	close(c.vfd);
	close(ion);
	return 0;
}
