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
 * egl-import-dmabuf: an ionode dma-buf (DRM_IOCTL_IONODE_ALLOC_FD) filled
 *	by the CPU, imported with EGL_EXT_image_dma_buf_import as a GLES2
 *	texture and drawn 1:1, shows exactly its pixels in the front buffer.
 * egl-import-vgem: the same with a foreign dma-buf (a vgem dumb buffer),
 *	which kms_swrast imports into ionode and maps with MAP_DUMB.
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
#include <GLES2/gl2ext.h>
#include <gbm.h>
#include <xf86drm.h>

#include <linux/dma-buf.h>

#include "libionode.h"
#include "ionode_test.h"

#define W	256
#define H	128

static int fd = -1, card = -1;
static struct gbm_device *gbm;
static struct ionode_heaps heaps;

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

/* A GBM surface with an EGL window surface and a current GLES2 context. */
struct egl {
	struct gbm_surface *surf;
	EGLDisplay dpy;
	EGLContext ctx;
	EGLSurface es;
};

static void egl_setup(struct egl *e)
{
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
	};
	EGLConfig cfg;

	e->surf = gbm_surface_create(gbm, W, H, GBM_FORMAT_XRGB8888,
				     GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	igt_assert(e->surf);
	e->dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gbm, NULL);
	igt_assert(e->dpy != EGL_NO_DISPLAY);
	igt_assert_f(eglInitialize(e->dpy, NULL, NULL),
		     "eglInitialize: 0x%x\n", eglGetError());
	igt_assert(eglBindAPI(EGL_OPENGL_ES_API));
	cfg = xrgb_config(e->dpy);
	e->ctx = eglCreateContext(e->dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	igt_assert(e->ctx != EGL_NO_CONTEXT);
	e->es = eglCreateWindowSurface(e->dpy, cfg,
				       (EGLNativeWindowType)e->surf, NULL);
	igt_assert(e->es != EGL_NO_SURFACE);
	igt_assert(eglMakeCurrent(e->dpy, e->es, e->es, e->ctx));
	igt_info("GL_RENDERER: %s\n", (const char *)glGetString(GL_RENDERER));
	glViewport(0, 0, W, H);
}

static void egl_teardown(struct egl *e)
{
	eglMakeCurrent(e->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroySurface(e->dpy, e->es);
	eglDestroyContext(e->dpy, e->ctx);
	eglTerminate(e->dpy);
	gbm_surface_destroy(e->surf);
}

/*
 * Swaps, then asserts that every pixel of the front buffer (read through
 * its dma-buf, an ionode buffer) is @want(x, y), rows top first.
 */
static void check_front(struct egl *e, uint32_t (*want)(int x, int y))
{
	struct gbm_bo *front;
	uint32_t stride, *px;
	int dmabuf, x, y;

	igt_assert(eglSwapBuffers(e->dpy, e->es));
	front = gbm_surface_lock_front_buffer(e->surf);
	igt_assert(front);
	px = map_bo(front, &dmabuf, &stride);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++) {
			uint32_t got = px[y * (stride / 4) + x] & 0x00ffffff;

			igt_assert_f(got == want(x, y), "pixel (%d,%d): 0x%06x, "
				     "expected 0x%06x\n", x, y, got,
				     want(x, y));
		}
	}
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(px, (size_t)stride * H);
	close(dmabuf);
	gbm_surface_release_buffer(e->surf, front);
}

/* Red, with a blue bottom-left quarter (GL's origin is bottom left). */
static uint32_t render_want(int x, int y)
{
	return (x < W / 2 && y >= H / 2) ? 0x000000ff : 0x00ff0000;
}

static void test_egl_render(void)
{
	struct egl e;

	egl_setup(&e);
	glClearColor(1.0f, 0.0f, 0.0f, 1.0f);		/* red */
	glClear(GL_COLOR_BUFFER_BIT);
	glEnable(GL_SCISSOR_TEST);
	glScissor(0, 0, W / 2, H / 2);			/* bottom left */
	glClearColor(0.0f, 0.0f, 1.0f, 1.0f);		/* blue */
	glClear(GL_COLOR_BUFFER_BIT);
	glDisable(GL_SCISSOR_TEST);
	check_front(&e, render_want);
	egl_teardown(&e);
}

/* Four quadrants, rows top first, as a camera would have written them. */
static uint32_t quadrant(int x, int y)
{
	static const uint32_t c[4] = {
		0x0000ff00, 0x00ff00ff, 0x0000ffff, 0x00ffff00,
	};

	return c[(y >= H / 2) * 2 + (x >= W / 2)];
}

static GLuint shader(GLenum type, const char *src)
{
	GLuint sh = glCreateShader(type);
	GLint ok = 0;

	glShaderSource(sh, 1, &src, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	igt_assert_f(ok, "shader does not compile\n");
	return sh;
}

/* Writes the quadrant pattern into @size bytes of a dma-buf's memory. */
static void fill_quadrants(int dmabuf)
{
	uint32_t *px = dmabuf_mmap(dmabuf, W * H * 4, 0,
				   PROT_READ | PROT_WRITE);
	int x, y;

	dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++)
			px[y * W + x] = quadrant(x, y);
	dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	munmap(px, W * H * 4);
}

/*
 * A dma-buf (closed here), filled by the CPU, imported with
 * EGL_EXT_image_dma_buf_import as a texture and drawn 1:1: the front
 * buffer, an ionode buffer, shows exactly its pixels.
 */
static void draw_dmabuf(int dmabuf)
{
	static const char *vs =
		"attribute vec2 pos; attribute vec2 tc; varying vec2 v;\n"
		"void main() { v = tc; gl_Position = vec4(pos, 0.0, 1.0); }\n";
	static const char *fs =
		"precision mediump float; varying vec2 v;\n"
		"uniform sampler2D tex;\n"
		"void main() { gl_FragColor = texture2D(tex, v); }\n";
	/* Window bottom (y = -1) samples the image's last row (t = 1). */
	static const GLfloat quad[] = {
		-1, -1, 0, 1,	1, -1, 1, 1,	-1, 1, 0, 0,	1, 1, 1, 0,
	};
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target;
	EGLint attr[] = {
		EGL_WIDTH, W, EGL_HEIGHT, H,
		EGL_LINUX_DRM_FOURCC_EXT, GBM_FORMAT_XRGB8888,
		EGL_DMA_BUF_PLANE0_FD_EXT, -1,
		EGL_DMA_BUF_PLANE0_OFFSET_EXT, 0,
		EGL_DMA_BUF_PLANE0_PITCH_EXT, W * 4,
		EGL_NONE,
	};
	GLuint prog, tex;
	EGLImageKHR img;
	struct egl e;

	fill_quadrants(dmabuf);
	egl_setup(&e);
	igt_require_f(strstr(eglQueryString(e.dpy, EGL_EXTENSIONS),
			     "EGL_EXT_image_dma_buf_import"),
		      "no EGL_EXT_image_dma_buf_import\n");
	create_image = (PFNEGLCREATEIMAGEKHRPROC)
		eglGetProcAddress("eglCreateImageKHR");
	destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)
		eglGetProcAddress("eglDestroyImageKHR");
	image_target = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)
		eglGetProcAddress("glEGLImageTargetTexture2DOES");
	igt_assert(create_image && destroy_image && image_target);

	attr[7] = dmabuf;
	img = create_image(e.dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL,
			   attr);
	igt_assert_f(img != EGL_NO_IMAGE_KHR, "eglCreateImageKHR: 0x%x\n",
		     eglGetError());
	close(dmabuf);		/* the image holds the buffer */

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	image_target(GL_TEXTURE_2D, img);
	igt_assert_eq(glGetError(), GL_NO_ERROR);

	prog = glCreateProgram();
	glAttachShader(prog, shader(GL_VERTEX_SHADER, vs));
	glAttachShader(prog, shader(GL_FRAGMENT_SHADER, fs));
	glBindAttribLocation(prog, 0, "pos");
	glBindAttribLocation(prog, 1, "tc");
	glLinkProgram(prog);
	glUseProgram(prog);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 4 * sizeof(GLfloat),
			      quad);
	glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, 4 * sizeof(GLfloat),
			      quad + 2);
	glEnableVertexAttribArray(0);
	glEnableVertexAttribArray(1);
	glClearColor(0, 0, 0, 1);
	glClear(GL_COLOR_BUFFER_BIT);
	glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
	igt_assert_eq(glGetError(), GL_NO_ERROR);
	check_front(&e, quadrant);

	glDeleteTextures(1, &tex);
	destroy_image(e.dpy, img);
	egl_teardown(&e);
}

static void test_egl_import_dmabuf(void)
{
	int dmabuf;

	igt_assert_eq(ionode_create_fd(fd, W * H * 4, ionode_system_mask(&heaps),
				       0, &dmabuf, NULL), 0);
	draw_dmabuf(dmabuf);
}

/*
 * The same with a foreign buffer, a vgem dumb buffer's dma-buf: Mesa's
 * kms_swrast imports it into ionode and maps it with MAP_DUMB.
 */
static void test_egl_import_vgem(void)
{
	struct drm_mode_create_dumb dumb = { .width = W, .height = H, .bpp = 32 };
	struct drm_gem_close gc = { 0 };
	int vgem = igt_open_vgem(), dmabuf;

	igt_require_f(vgem >= 0, "no vgem\n");
	do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb);
	igt_assert_eq(dumb.pitch, W * 4);
	igt_assert_eq(drmPrimeHandleToFD(vgem, dumb.handle,
					 DRM_CLOEXEC | DRM_RDWR, &dmabuf), 0);
	gc.handle = dumb.handle;
	do_ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &gc);
	draw_dmabuf(dmabuf);
	close(vgem);
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
		ionode_get_heaps(fd, &heaps);
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
	subtest("egl-import-dmabuf")
		test_egl_import_dmabuf();
	subtest("egl-import-vgem")
		test_egl_import_vgem();
	subtest("render-node-refused")
		test_render_node_refused();

	igt_fixture {
		if (gbm)
			gbm_device_destroy(gbm);
		ionode_put_heaps(&heaps);
		close(card);
		close(fd);
	}
}
