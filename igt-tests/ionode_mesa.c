// SPDX-License-Identifier: MIT
/*
 * ionode_mesa - Debian's unmodified Mesa on ionode's card node, through
 * the dumb buffers Mesa's kms_swrast fallback needs (there is no
 * ionode_dri.so, as for vgem).
 *
 * gbm-device: gbm_create_device() on the card node gives a device.
 * gbm-bo: gbm_bo_create() (linear, scanout, rendering) gives a buffer
 *	whose dma-buf (gbm_bo_get_fd()) is an ionode buffer: the render node
 *	imports it as its own (a heap id, not an import), zeroed, with the
 *	stride GBM reported.
 * egl-render: a GBM surface, an EGL window surface and a GLES2 context
 *	(llvmpipe) render a clear colour and a scissored rectangle into
 *	ionode memory; the front buffer's pixels, read through its dma-buf,
 *	are exactly those colours.
 * render-node-refused: GBM on the render node cannot create dumb-backed
 *	buffers (render nodes stay dumb-free).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <gbm.h>

#include <linux/dma-buf.h>

#include "ionode_test.h"

#define W	256
#define H	128

static int fd = -1, card = -1;
static struct gbm_device *gbm;

/* The ionode buffer behind a GBM buffer's dma-buf, checked and mapped. */
static uint32_t *map_bo(struct gbm_bo *bo, int *dmabuf, uint32_t *stride)
{
	struct drm_ionode_bo_info info;
	uint32_t h;
	void *p;

	*dmabuf = gbm_bo_get_fd(bo);
	igt_assert_f(*dmabuf >= 0, "gbm_bo_get_fd: %d\n", *dmabuf);
	*stride = gbm_bo_get_stride(bo);
	igt_assert_lte(W * 4, *stride);

	h = ionode_bo_import(fd, *dmabuf);
	info = ionode_bo_info_get(fd, h);
	igt_assert_f(info.heap_id != IONODE_HEAP_ID_NONE,
		     "GBM's buffer is not ionode's own\n");
	igt_assert_lte_u64((uint64_t)*stride * H, info.size);
	ionode_bo_close(fd, h);

	p = dmabuf_mmap(*dmabuf, (size_t)*stride * H, 0, PROT_READ);
	return p;
}

static void test_gbm_device(void)
{
	igt_assert(gbm);
	igt_assert_eq(gbm_device_get_fd(gbm), card);
	igt_assert(gbm_device_is_format_supported(gbm, GBM_FORMAT_XRGB8888,
						  GBM_BO_USE_RENDERING |
						  GBM_BO_USE_LINEAR));
}

static void test_gbm_bo(void)
{
	uint64_t used = ionode_total_used(fd);
	struct gbm_bo *bo;
	uint32_t stride, *px;
	int dmabuf;

	bo = gbm_bo_create(gbm, W, H, GBM_FORMAT_XRGB8888,
			   GBM_BO_USE_LINEAR | GBM_BO_USE_SCANOUT |
			   GBM_BO_USE_RENDERING);
	igt_assert_f(bo, "gbm_bo_create: %s\n", strerror(errno));
	igt_assert_lte_u64(used + W * H * 4, ionode_total_used(fd));
	px = map_bo(bo, &dmabuf, &stride);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	check_zero(px, (size_t)stride * H);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(px, (size_t)stride * H);
	close(dmabuf);
	gbm_bo_destroy(bo);
	igt_assert_eq_u64(ionode_total_used(fd), used);
}

static EGLConfig xrgb_config(EGLDisplay dpy)
{
	static const EGLint attr[] = {
		EGL_SURFACE_TYPE, EGL_WINDOW_BIT, EGL_RED_SIZE, 8,
		EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_NONE,
	};
	EGLConfig cfgs[64];
	EGLint n = 0, i;

	igt_assert(eglChooseConfig(dpy, attr, cfgs, 64, &n));
	for (i = 0; i < n; i++) {
		EGLint id;

		if (eglGetConfigAttrib(dpy, cfgs[i], EGL_NATIVE_VISUAL_ID, &id) &&
		    id == GBM_FORMAT_XRGB8888)
			return cfgs[i];
	}
	igt_assert_f(0, "no XRGB8888 EGL config among %d\n", n);
	return NULL;
}

static void test_egl_render(void)
{
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
	};
	struct gbm_surface *surf;
	struct gbm_bo *front;
	EGLDisplay dpy;
	EGLContext ctx;
	EGLSurface es;
	EGLConfig cfg;
	uint32_t stride, *px;
	int dmabuf, x, y;

	surf = gbm_surface_create(gbm, W, H, GBM_FORMAT_XRGB8888,
				  GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	igt_assert(surf);
	dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, NULL);
	igt_assert(dpy != EGL_NO_DISPLAY);
	igt_assert_f(eglInitialize(dpy, NULL, NULL), "eglInitialize: 0x%x\n",
		     eglGetError());
	igt_assert(eglBindAPI(EGL_OPENGL_ES_API));
	cfg = xrgb_config(dpy);
	ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	igt_assert(ctx != EGL_NO_CONTEXT);
	es = eglCreateWindowSurface(dpy, cfg, (EGLNativeWindowType)surf, NULL);
	igt_assert(es != EGL_NO_SURFACE);
	igt_assert(eglMakeCurrent(dpy, es, es, ctx));
	igt_info("GL_RENDERER: %s\n", (const char *)glGetString(GL_RENDERER));

	glViewport(0, 0, W, H);
	glClearColor(1.0f, 0.0f, 0.0f, 1.0f);		/* red */
	glClear(GL_COLOR_BUFFER_BIT);
	glEnable(GL_SCISSOR_TEST);
	glScissor(0, 0, W / 2, H / 2);			/* bottom left */
	glClearColor(0.0f, 0.0f, 1.0f, 1.0f);		/* blue */
	glClear(GL_COLOR_BUFFER_BIT);
	glDisable(GL_SCISSOR_TEST);
	igt_assert(eglSwapBuffers(dpy, es));

	front = gbm_surface_lock_front_buffer(surf);
	igt_assert(front);
	px = map_bo(front, &dmabuf, &stride);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++) {
			/* GL's origin is bottom left, the buffer's top left. */
			uint32_t want = (x < W / 2 && y >= H / 2) ?
					0x000000ff : 0x00ff0000;
			uint32_t got = px[y * (stride / 4) + x] & 0x00ffffff;

			igt_assert_f(got == want, "pixel (%d,%d): 0x%06x, "
				     "expected 0x%06x\n", x, y, got, want);
		}
	}
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(px, (size_t)stride * H);
	close(dmabuf);
	gbm_surface_release_buffer(surf, front);

	eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroySurface(dpy, es);
	eglDestroyContext(dpy, ctx);
	eglTerminate(dpy);
	gbm_surface_destroy(surf);
}

static void test_render_node_refused(void)
{
	struct gbm_device *rgbm = gbm_create_device(fd);
	struct gbm_bo *bo;

	if (!rgbm)
		return;		/* refused outright: as good */
	bo = gbm_bo_create(rgbm, W, H, GBM_FORMAT_XRGB8888,
			   GBM_BO_USE_LINEAR | GBM_BO_USE_RENDERING);
	igt_assert_f(!bo, "a dumb-backed GBM buffer on the render node\n");
	gbm_device_destroy(rgbm);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		fd = igt_ionode_open();
		card = igt_ionode_open_card();
		gbm = gbm_create_device(card);
		igt_require_f(gbm, "no GBM device on ionode's card node\n");
	}

	subtest("gbm-device")
		test_gbm_device();
	subtest("gbm-bo")
		test_gbm_bo();
	subtest("egl-render")
		test_egl_render();
	subtest("render-node-refused")
		test_render_node_refused();

	igt_fixture {
		if (gbm)
			gbm_device_destroy(gbm);
		close(card);
		close(fd);
	}
}
