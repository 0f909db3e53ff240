/* SPDX-License-Identifier: MIT */
/*
 * igt_v4l2.h - V4L2 helpers shared by the tests.
 *
 * Single-planar video nodes only. The helpers assert (igt_assert) that the
 * ioctl they wrap succeeded, except qbuf_dmabuf(), which returns the errno
 * for tests that check refusals. fds and mappings they create are tracked
 * (igt_track.h).
 */
#ifndef IGT_V4L2_H
#define IGT_V4L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/videodev2.h>

/* dqbuf() waits at most this long for a buffer (TCG guests are slow). */
#define V4L2_DQBUF_TIMEOUT_MS	20000

/**
 * find_video - path of the first /dev/videoN whose driver and card names
 * match (NULL matches any) and whose device_caps include @caps
 *
 * Return: true and the path in @path, or false.
 */
bool find_video(const char *driver, const char *card, uint32_t caps,
		char *path, size_t len);

/** open_video - open (tracked, non-blocking) what find_video() finds, or skip */
int open_video(const char *driver, const char *card, uint32_t caps);

/** set_fmt - S_FMT @w x @h @fourcc on queue @type (asserts); returns sizeimage */
uint32_t set_fmt(int fd, uint32_t type, uint32_t w, uint32_t h,
		 uint32_t fourcc);

/** reqbufs - REQBUFS exactly @count buffers of @memory on @type (asserts) */
void reqbufs(int fd, uint32_t type, uint32_t memory, uint32_t count);

/** stream - STREAMON (@on) or STREAMOFF queue @type (asserts) */
void stream(int fd, uint32_t type, bool on);

/** v4l2_buf - a struct v4l2_buffer naming buffer @index of a queue */
struct v4l2_buffer v4l2_buf(uint32_t type, uint32_t memory, uint32_t index);

/**
 * qbuf_dmabuf - QBUF the dma-buf @dmabuf as buffer @index with @bytesused
 * bytes and timestamp @ts_us
 *
 * Return: 0, or the errno of a refusal.
 */
int qbuf_dmabuf(int fd, uint32_t type, uint32_t index, int dmabuf,
		uint32_t bytesused, uint64_t ts_us);

/** qbuf_mmap - QBUF a device (MMAP) buffer (asserts) */
void qbuf_mmap(int fd, uint32_t type, uint32_t index,
	       uint32_t bytesused, uint64_t ts_us);

/**
 * dqbuf - wait up to V4L2_DQBUF_TIMEOUT_MS for a buffer on @type and
 * dequeue it; asserts that it came without V4L2_BUF_FLAG_ERROR
 */
struct v4l2_buffer dqbuf(int fd, uint32_t type, uint32_t memory);

/** mmap_vbuf - map device buffer @index (tracked); its length in *@len */
uint8_t *mmap_vbuf(int fd, uint32_t type, uint32_t index, size_t *len);

/** expbuf - EXPBUF device buffer @index, read-write (tracked fd) */
int expbuf(int fd, uint32_t type, uint32_t index);

#endif /* IGT_V4L2_H */
