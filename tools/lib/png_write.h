/* SPDX-License-Identifier: MIT */
/*
 * png_write.h - write an XRGB8888 image as a PNG file (libpng), for the
 * tools that keep a picture of what they displayed (ionode_cube,
 * ionode_pipeline). Not part of libionode's API.
 *
 * Build: link lib/png_write.o and `pkg-config --libs libpng`.
 */
#ifndef PNG_WRITE_H
#define PNG_WRITE_H

#include <stdint.h>

/**
 * png_write_xrgb8888() - write an XRGB8888 image as an 8-bit RGB PNG
 * @path: the file, created or truncated.
 * @px: the first pixel; rows top first, each pixel a little-endian
 *	uint32_t 0xXXRRGGBB (DRM_FORMAT_XRGB8888; the X byte is ignored).
 * @width: width in pixels.
 * @height: height in pixels.
 * @pitch: bytes from one row to the next.
 *
 * Return: 0 or -errno (-EIO when libpng fails).
 */
int png_write_xrgb8888(const char *path, const void *px, uint32_t width,
		       uint32_t height, uint32_t pitch);

#endif /* PNG_WRITE_H */
