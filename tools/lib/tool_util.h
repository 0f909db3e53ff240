/* SPDX-License-Identifier: MIT */
/*
 * tool_util.h - helpers the tools' programs share (not libionode's API).
 *
 * Header-only, so that a program stays one .c file linked with libionode
 * (tools/bench.sh compiles some on the fly that way).
 */
#ifndef IONODE_TOOL_UTIL_H
#define IONODE_TOOL_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/videodev2.h>

/**
 * die() - print "PROGRAM: " and the message on stderr, exit with status 1
 * @fmt: printf format; the message ends with its own newline.
 */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

/**
 * open_video() - open the first V4L2 node of a driver (and card)
 * @driver: &v4l2_capability.driver ("vivid", "ionode_v4l2").
 * @card: &v4l2_capability.card to match too, or NULL for any.
 * @caps: device capabilities it must all have.
 * @path: receives the node's path ("/dev/videoN").
 * @len: size of @path.
 * @cap: receives the node's VIDIOC_QUERYCAP answer.
 *
 * Return: the open fd (O_RDWR | O_NONBLOCK | O_CLOEXEC), or -1 if none.
 */
static inline int open_video(const char *driver, const char *card,
			     uint32_t caps, char *path, size_t len,
			     struct v4l2_capability *cap)
{
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, len, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(cap, 0, sizeof(*cap));
		if (!ioctl(fd, VIDIOC_QUERYCAP, cap) &&
		    !strcmp((char *)cap->driver, driver) &&
		    (!card || !strcmp((char *)cap->card, card)) &&
		    (cap->device_caps & caps) == caps)
			return fd;
		close(fd);
	}
	return -1;
}

#endif /* IONODE_TOOL_UTIL_H */
