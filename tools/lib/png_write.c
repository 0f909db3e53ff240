// SPDX-License-Identifier: MIT
/*
 * png_write.c - an XRGB8888 image as a PNG file (png_write.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <png.h>

#include "png_write.h"

int png_write_xrgb8888(const char *path, const void *px, uint32_t width,
		       uint32_t height, uint32_t pitch)
{
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	FILE *volatile f;
	volatile int ret = -EIO;
	volatile uint32_t y;
	uint32_t x;

	f = fopen(path, "wb");
	if (!f)
		return -errno;
	row = malloc((size_t)width * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !info) {
		ret = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;	/* libpng failed and printed why */
	png_init_io(png, f);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < height; y++) {
		const uint32_t *src = (const uint32_t *)
			((const uint8_t *)px + (size_t)y * pitch);

		for (x = 0; x < width; x++) {
			row[3 * x + 0] = src[x] >> 16;
			row[3 * x + 1] = src[x] >> 8;
			row[3 * x + 2] = src[x];
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	ret = 0;
out:
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}
