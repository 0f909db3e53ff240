// SPDX-License-Identifier: MIT
/*
 * igt_v4l2.c - V4L2 helpers shared by the tests (igt_v4l2.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "igt_track.h"
#include "igt_v4l2.h"

#define RW		(PROT_READ | PROT_WRITE)

bool find_video(const char *driver, const char *card, uint32_t caps,
		char *path, size_t len)
{
	struct v4l2_capability cap;
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, len, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 &&
		    (!driver || !strcmp((char *)cap.driver, driver)) &&
		    (!card || !strcmp((char *)cap.card, card)) &&
		    (cap.device_caps & caps) == caps) {
			close(fd);
			return true;
		}
		close(fd);
	}
	return false;
}

int open_video(const char *driver, const char *card, uint32_t caps)
{
	char path[64];

	igt_require_f(find_video(driver, card, caps, path, sizeof(path)),
		      "no video node %s/%s (is its driver loaded?)\n",
		      driver ? driver : "*", card ? card : "*");
	return track_fd(open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC));
}

uint32_t set_fmt(int fd, uint32_t type, uint32_t w, uint32_t h,
		 uint32_t fourcc)
{
	struct v4l2_format f = { .type = type };

	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	do_ioctl(fd, VIDIOC_S_FMT, &f);
	igt_assert_eq(f.fmt.pix.width, w);
	igt_assert_eq(f.fmt.pix.height, h);
	igt_assert_eq_u32(f.fmt.pix.pixelformat, fourcc);
	return f.fmt.pix.sizeimage;
}

void reqbufs(int fd, uint32_t type, uint32_t memory, uint32_t count)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = type, .memory = memory,
	};

	do_ioctl(fd, VIDIOC_REQBUFS, &rb);
	igt_assert_eq(rb.count, count);
}

void stream(int fd, uint32_t type, bool on)
{
	int t = type;

	do_ioctl(fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &t);
}

struct v4l2_buffer v4l2_buf(uint32_t type, uint32_t memory, uint32_t index)
{
	struct v4l2_buffer b = {
		.index = index, .type = type, .memory = memory,
		.field = V4L2_FIELD_NONE,
	};

	return b;
}

int qbuf_dmabuf(int fd, uint32_t type, uint32_t index, int dmabuf,
		uint32_t bytesused, uint64_t ts_us)
{
	struct v4l2_buffer b = v4l2_buf(type, V4L2_MEMORY_DMABUF, index);

	b.m.fd = dmabuf;
	b.bytesused = bytesused;
	b.timestamp.tv_sec = ts_us / 1000000;
	b.timestamp.tv_usec = ts_us % 1000000;
	return igt_ioctl(fd, VIDIOC_QBUF, &b) ? errno : 0;
}

void qbuf_mmap(int fd, uint32_t type, uint32_t index,
	       uint32_t bytesused, uint64_t ts_us)
{
	struct v4l2_buffer b = v4l2_buf(type, V4L2_MEMORY_MMAP, index);

	b.bytesused = bytesused;
	b.timestamp.tv_sec = ts_us / 1000000;
	b.timestamp.tv_usec = ts_us % 1000000;
	do_ioctl(fd, VIDIOC_QBUF, &b);
}

struct v4l2_buffer dqbuf(int fd, uint32_t type, uint32_t memory)
{
	struct v4l2_buffer b = v4l2_buf(type, memory, 0);
	struct pollfd pfd = {
		.fd = fd,
		.events = V4L2_TYPE_IS_OUTPUT(type) ? POLLOUT : POLLIN,
	};

	igt_assert_f(poll(&pfd, 1, V4L2_DQBUF_TIMEOUT_MS) == 1,
		     "no buffer to dequeue within %d ms\n", V4L2_DQBUF_TIMEOUT_MS);
	do_ioctl(fd, VIDIOC_DQBUF, &b);
	igt_assert_f(!(b.flags & V4L2_BUF_FLAG_ERROR),
		     "buffer %u came back with V4L2_BUF_FLAG_ERROR\n", b.index);
	return b;
}

uint8_t *mmap_vbuf(int fd, uint32_t type, uint32_t index, size_t *len)
{
	struct v4l2_buffer b = v4l2_buf(type, V4L2_MEMORY_MMAP, index);
	void *p;

	do_ioctl(fd, VIDIOC_QUERYBUF, &b);
	p = mmap(NULL, b.length, RW, MAP_SHARED, fd, b.m.offset);
	igt_assert_f(p != MAP_FAILED, "mmap of buffer %u failed: %s\n", index,
		     igt_errno_name(errno));
	*len = b.length;
	return track_map(p, b.length);
}

int expbuf(int fd, uint32_t type, uint32_t index)
{
	struct v4l2_exportbuffer eb = {
		.type = type, .index = index, .flags = O_RDWR | O_CLOEXEC,
	};

	do_ioctl(fd, VIDIOC_EXPBUF, &eb);
	return track_fd(eb.fd);
}
