// SPDX-License-Identifier: MIT
/*
 * ionode_dumb - dumb buffers on ionode's card node (what Mesa's kms_swrast
 * and other generic DRM clients allocate through).
 *
 * basic: refused on the render node (EACCES) and DRM_CAP_DUMB_BUFFER
 *	unanswered (a non-KMS driver on 6.1); on the card node a zeroed,
 *	mappable (MAP_DUMB), exportable, accounted buffer with a 64-byte
 *	aligned pitch from the first of cma, system-contig and system that
 *	holds it; DESTROY_DUMB gives it back; every bad argument refused.
 * client-limit: client_limit applies to dumb buffers (EDQUOT), and what
 *	was refused left nothing behind.
 * fdinfo: a dumb buffer shows in its file's fdinfo (drm-memory-<heap>)
 *	and leaves it when destroyed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "ionode_test.h"

static int fd = -1;
static struct ionode_heaps heaps;
static char saved_limit[64];

/* The heap a dumb buffer of @size comes from with the default dumb_heaps. */
static uint32_t dumb_heap_id(uint64_t size)
{
	static const char *const order[] = { "cma", "system-contig", "system" };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		const struct drm_ionode_heap_info *h = ionode_heap(&heaps,
								   order[i]);

		if (h && ionode_heap_usable(h, size))
			return h->id;
	}
	igt_assert_f(0, "no heap for a %" PRIu64 "-byte dumb buffer\n", size);
	return 0;
}

static void test_dumb_basic(void)
{
	struct drm_get_cap cap = { .capability = DRM_CAP_DUMB_BUFFER };
	struct drm_mode_create_dumb dumb = {
		.width = 61, .height = 64, .bpp = 32,
	};
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	uint64_t used = ionode_total_used(fd);
	struct drm_ionode_bo_info info;
	int card = igt_ionode_open_card(), dmabuf;
	uint32_t h;
	void *p;

	do_ioctl_err(card, DRM_IOCTL_GET_CAP, &cap, EOPNOTSUPP);
	do_ioctl_err(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, EACCES);

	do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	igt_assert_eq(dumb.pitch, 256);			/* 244 rounded up */
	igt_assert_eq_u64(dumb.size, 256 * 64);
	igt_assert_eq_u64(ionode_total_used(fd), used + 256 * 64);
	info = ionode_bo_info_get(card, dumb.handle);
	igt_assert_eq(info.flags, 0);			/* write-combined */
	igt_assert_eq(info.heap_id, dumb_heap_id(16384));

	map.handle = dumb.handle;
	do_ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &map);
	p = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, card,
		 map.offset);
	igt_assert(p != MAP_FAILED);
	check_zero(p, dumb.size);
	fill_pattern(p, dumb.size, 3, 0);
	munmap(p, dumb.size);

	dmabuf = ionode_bo_export(card, dumb.handle);
	h = ionode_bo_import(fd, dmabuf);
	p = ionode_bo_mmap(fd, h, dumb.size, PROT_READ);
	check_pattern(p, dumb.size, 3, 0);
	munmap(p, dumb.size);
	ionode_bo_close(fd, h);
	close(dmabuf);

	destroy.handle = dumb.handle;
	do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	/* DRM core answers an unknown handle as GEM_CLOSE does. */
	do_ioctl_err(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy, EINVAL);
	igt_assert_eq_u64(ionode_total_used(fd), used);

	/* A frame larger than any contiguous heap comes from system. */
	dumb = (struct drm_mode_create_dumb){ .width = 1920, .height = 1080,
					      .bpp = 32 };
	do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	igt_assert_eq(dumb.pitch, 7680);
	igt_assert_eq_u64(dumb.size, 7680ull * 1080);
	info = ionode_bo_info_get(card, dumb.handle);
	igt_assert_eq(info.heap_id, dumb_heap_id(dumb.size));
	destroy.handle = dumb.handle;
	do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);

	/* Bad arguments: DRM core's checks, and ours for flags. */
	dumb = (struct drm_mode_create_dumb){ .width = 64, .height = 64 };
	do_ioctl_err(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, EINVAL);
	dumb = (struct drm_mode_create_dumb){ .width = 1u << 30,
					      .height = 1u << 30, .bpp = 32 };
	do_ioctl_err(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, EINVAL);
	dumb = (struct drm_mode_create_dumb){ .width = 64, .height = 64,
					      .bpp = 32, .flags = 1 };
	do_ioctl_err(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, EINVAL);
	map.handle = 0xdead;
	do_ioctl_err(card, DRM_IOCTL_MODE_MAP_DUMB, &map, ENOENT);
	igt_assert_eq_u64(ionode_total_used(fd), used);
	close(card);
}

static void test_client_limit(void)
{
	struct drm_mode_create_dumb dumb = {
		.width = 1024, .height = 1024, .bpp = 32,	/* 4 MiB */
	};
	struct drm_mode_destroy_dumb destroy = { 0 };
	int card = igt_ionode_open_card();
	uint64_t used = ionode_total_used(fd);

	ionode_param_set("client_limit", "1M");
	do_ioctl_err(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb, EDQUOT);
	igt_assert_eq(dumb.handle, 0);
	igt_assert_eq_u64(ionode_total_used(fd), used);
	dumb.height = 64;					/* 256 KiB */
	do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	destroy.handle = dumb.handle;
	do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	ionode_param_set("client_limit", saved_limit);
	igt_assert_eq_u64(ionode_total_used(fd), used);
	close(card);
}

static void test_fdinfo(void)
{
	struct drm_mode_create_dumb dumb = {
		.width = 256, .height = 256, .bpp = 32,		/* 256 KiB */
	};
	struct drm_mode_destroy_dumb destroy = { 0 };
	int card = igt_ionode_open_card();
	const struct drm_ionode_heap_info *h;
	struct drm_ionode_bo_info info;
	uint64_t before;

	do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	info = ionode_bo_info_get(card, dumb.handle);
	h = ionode_heap_by_id(&heaps, info.heap_id);
	igt_assert(h);
	before = ionode_fdinfo_kib(card, h->name);
	igt_assert_f(before >= 256, "fdinfo drm-memory-%s: %" PRIu64 " KiB\n",
		     h->name, before);
	destroy.handle = dumb.handle;
	do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	igt_assert_eq_u64(ionode_fdinfo_kib(card, h->name), before - 256);
	close(card);
}

static void fresh(int f)
{
	(void)f;
	ionode_param_set("client_limit", saved_limit);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		fd = igt_ionode_open();
		ionode_get_heaps(fd, &heaps);
		igt_assert_eq(ionode_param_read("client_limit", saved_limit,
						sizeof(saved_limit)), 0);
		ionode_set_fresh_hook(fresh);
	}

	subtest("basic")
		test_dumb_basic();
	subtest("client-limit")
		test_client_limit();
	subtest("fdinfo")
		test_fdinfo();

	igt_fixture {
		fresh(fd);
		ionode_put_heaps(&heaps);
		close(fd);
	}
}
