// SPDX-License-Identifier: MIT
/*
 * ionode_cube - a kmscube-style client with ionode as the allocator.
 *
 * Mesa (GBM, EGL, GLES2; llvmpipe through kms_swrast) runs on ionode's
 * card node, so every buffer it renders into is an ionode buffer. Each
 * rendered frame (the GBM surface's front buffer) is passed as a dma-buf
 * to the display device (vkms), added as a framebuffer there and shown
 * with an atomic page flip. With --video the cube is textured with live
 * frames that vivid captures straight into ionode buffers
 * (V4L2_MEMORY_DMABUF), imported into GL with EGL_EXT_image_dma_buf_import:
 * camera -> GPU -> display, no byte copied by the CPU.
 *
 * Proof that the display shows what was rendered:
 *  - CRC: for each frame, vkms' CRC of the frame scanned out of the ionode
 *    buffer equals the CRC of the same pixels copied into a dumb buffer of
 *    vkms' own (and again after flipping back to the ionode buffer);
 *  - writeback: the last frame, composed by vkms and captured through its
 *    writeback connector, equals the ionode buffer pixel for pixel.
 * --snapshot writes that captured frame as a PNG.
 *
 * Exit status: 0 when every check matched, 1 on a mismatch or an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>
#include <drm_fourcc.h>
#include <gbm.h>
#include <xf86drm.h>

#include "kms_pipe.h"
#include "libionode.h"
#include "png_write.h"
#include "tool_util.h"

#define FLIP_TIMEOUT_MS	10000
#define WB_TIMEOUT_MS	20000
#define CAM_TIMEOUT_MS	20000
#define CAM_BUFS	4
#define CAM_W		640
#define CAM_H		480

static struct {
	unsigned int frames, bufs;
	bool video, crc, verbose;
	const char *snapshot;
} opt = { .frames = 60, .bufs = 2, .crc = true };

static int ion = -1;			/* ionode's render node */
static struct kms_pipe pipe_;
static uint32_t W, H;			/* the mode's size, the render size */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s\n", what, strerror(-ret));
}

/* ---- the buffers Mesa renders into --------------------------------------- */

/**
 * struct frame - what a GBM buffer of the surface is to the display
 * @bo: the GBM buffer (an ionode dumb buffer of ionode's card node).
 * @dmabuf: its dma-buf, an ionode buffer.
 * @fb: the dma-buf as a framebuffer of the display device.
 * @map: the dma-buf's CPU mapping (read-only), for the checks.
 * @stride: bytes per line.
 */
struct frame {
	struct gbm_bo *bo;
	int dmabuf;
	uint32_t fb, stride;
	const uint32_t *map;
};

static void frame_destroy(struct gbm_bo *bo, void *data)
{
	struct frame *f = data;

	(void)bo;
	kms_pipe_rm_fb(&pipe_, f->fb);
	munmap((void *)f->map, (size_t)f->stride * H);
	close(f->dmabuf);
	free(f);
}

/* The frame of a GBM buffer, made (and checked to be ionode's) on first use. */
static struct frame *frame_of(struct gbm_bo *bo)
{
	struct drm_ionode_bo_info info;
	struct frame *f = gbm_bo_get_user_data(bo);
	uint32_t handle;
	void *map;

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f)
		die("out of memory\n");
	f->bo = bo;
	f->stride = gbm_bo_get_stride(bo);
	f->dmabuf = gbm_bo_get_fd(bo);
	if (f->dmabuf < 0)
		die("gbm_bo_get_fd failed\n");
	/* Importing it back into ionode names the heap that holds it. */
	check(ionode_import(ion, f->dmabuf, &handle), "ionode import");
	check(ionode_bo_info(ion, handle, &info), "ionode bo_info");
	ionode_close(ion, handle);
	if (info.heap_id == IONODE_HEAP_ID_NONE)
		die("GBM's buffer is not an ionode buffer\n");
	check(kms_pipe_add_fb(&pipe_, f->dmabuf, W, H, DRM_FORMAT_XRGB8888,
			      f->stride, 0, &f->fb),
	      "display's ADDFB2 of the ionode dma-buf");
	check(ionode_dmabuf_mmap(f->dmabuf, (size_t)f->stride * H, PROT_READ,
				 &map), "mmap of the ionode dma-buf");
	f->map = map;
	if (opt.verbose)
		printf("  new buffer: ionode heap %u, %u bytes, fb %u\n",
		       info.heap_id, (unsigned int)info.size, f->fb);
	gbm_bo_set_user_data(bo, f, frame_destroy);
	return f;
}

/* ---- EGL / GLES2 ---------------------------------------------------------- */

static struct {
	struct gbm_device *gbm;
	struct gbm_surface *surf;
	EGLDisplay dpy;
	EGLContext ctx;
	EGLSurface es;
	GLuint prog;
	GLint mvp, mv, nm, tex;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target;
} gl;

static void egl_init(int card)
{
	static const EGLint cfg_attr[] = {
		EGL_SURFACE_TYPE, EGL_WINDOW_BIT, EGL_RED_SIZE, 8,
		EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_NONE,
	};
	static const EGLint ctx_attr[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE,
	};
	EGLConfig cfgs[64], cfg = NULL;
	EGLint n = 0, i, id;

	gl.gbm = gbm_create_device(card);
	if (!gl.gbm)
		die("no GBM device on ionode's card node\n");
	gl.surf = gbm_surface_create(gl.gbm, W, H, GBM_FORMAT_XRGB8888,
				     GBM_BO_USE_SCANOUT | GBM_BO_USE_RENDERING);
	if (!gl.surf)
		die("gbm_surface_create %ux%u: %s\n", W, H, strerror(errno));
	gl.dpy = eglGetPlatformDisplay(EGL_PLATFORM_GBM_KHR, gl.gbm, NULL);
	if (gl.dpy == EGL_NO_DISPLAY || !eglInitialize(gl.dpy, NULL, NULL))
		die("eglInitialize: 0x%x\n", eglGetError());
	if (!eglBindAPI(EGL_OPENGL_ES_API) ||
	    !eglChooseConfig(gl.dpy, cfg_attr, cfgs, 64, &n))
		die("no GLES2 EGL config\n");
	for (i = 0; i < n && !cfg; i++)
		if (eglGetConfigAttrib(gl.dpy, cfgs[i], EGL_NATIVE_VISUAL_ID,
				       &id) && id == GBM_FORMAT_XRGB8888)
			cfg = cfgs[i];
	if (!cfg)
		die("no XRGB8888 EGL config\n");
	gl.ctx = eglCreateContext(gl.dpy, cfg, EGL_NO_CONTEXT, ctx_attr);
	gl.es = eglCreateWindowSurface(gl.dpy, cfg,
				       (EGLNativeWindowType)gl.surf, NULL);
	if (gl.ctx == EGL_NO_CONTEXT || gl.es == EGL_NO_SURFACE ||
	    !eglMakeCurrent(gl.dpy, gl.es, gl.es, gl.ctx))
		die("EGL context/surface: 0x%x\n", eglGetError());
	printf("GL_RENDERER: %s\n", (const char *)glGetString(GL_RENDERER));
	if (opt.video) {
		if (!strstr(eglQueryString(gl.dpy, EGL_EXTENSIONS),
			    "EGL_EXT_image_dma_buf_import"))
			die("no EGL_EXT_image_dma_buf_import\n");
		gl.create_image = (PFNEGLCREATEIMAGEKHRPROC)
			eglGetProcAddress("eglCreateImageKHR");
		gl.destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)
			eglGetProcAddress("eglDestroyImageKHR");
		gl.image_target = (PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)
			eglGetProcAddress("glEGLImageTargetTexture2DOES");
		if (!gl.create_image || !gl.destroy_image || !gl.image_target)
			die("EGL image entry points missing\n");
	}
}

static void egl_fini(void)
{
	eglMakeCurrent(gl.dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroySurface(gl.dpy, gl.es);
	eglDestroyContext(gl.dpy, gl.ctx);
	eglTerminate(gl.dpy);
	gbm_surface_destroy(gl.surf);
	gbm_device_destroy(gl.gbm);
}

static const char vs_src[] =
	"uniform mat4 mvp, mv;\n"
	"uniform mat3 nm;\n"
	"attribute vec4 pos;\n"
	"attribute vec3 normal, color;\n"
	"attribute vec2 tc;\n"
	"varying vec3 v_color;\n"
	"varying vec2 v_tc;\n"
	"varying float v_light;\n"
	"void main()\n"
	"{\n"
	"	vec4 p = mv * pos;\n"
	"	vec3 l = normalize(vec3(5.0, 20.0, 40.0) - p.xyz);\n"
	"	v_light = 0.3 + 0.7 * max(dot(normalize(nm * normal), l), 0.0);\n"
	"	v_color = color;\n"
	"	v_tc = tc;\n"
	"	gl_Position = mvp * pos;\n"
	"}\n";

static const char fs_smooth[] =
	"precision mediump float;\n"
	"varying vec3 v_color;\n"
	"varying vec2 v_tc;\n"
	"varying float v_light;\n"
	"void main() { gl_FragColor = vec4(v_light * v_color, 1.0); }\n";

static const char fs_video[] =
	"precision mediump float;\n"
	"uniform sampler2D tex;\n"
	"varying vec3 v_color;\n"
	"varying vec2 v_tc;\n"
	"varying float v_light;\n"
	"void main()\n"
	"{\n"
	"	gl_FragColor = vec4(v_light * texture2D(tex, v_tc).rgb, 1.0);\n"
	"}\n";

/* The cube: 6 faces of 4 vertices, each face a triangle strip. */
static const GLfloat cube_pos[] = {
	-1, -1, +1,  +1, -1, +1,  -1, +1, +1,  +1, +1, +1,	/* front */
	+1, -1, -1,  -1, -1, -1,  +1, +1, -1,  -1, +1, -1,	/* back */
	+1, -1, +1,  +1, -1, -1,  +1, +1, +1,  +1, +1, -1,	/* right */
	-1, -1, -1,  -1, -1, +1,  -1, +1, -1,  -1, +1, +1,	/* left */
	-1, +1, +1,  +1, +1, +1,  -1, +1, -1,  +1, +1, -1,	/* top */
	-1, -1, -1,  +1, -1, -1,  -1, -1, +1,  +1, -1, +1,	/* bottom */
};

static const GLfloat cube_normal[] = {
	0, 0, +1,  0, 0, +1,  0, 0, +1,  0, 0, +1,
	0, 0, -1,  0, 0, -1,  0, 0, -1,  0, 0, -1,
	+1, 0, 0,  +1, 0, 0,  +1, 0, 0,  +1, 0, 0,
	-1, 0, 0,  -1, 0, 0,  -1, 0, 0,  -1, 0, 0,
	0, +1, 0,  0, +1, 0,  0, +1, 0,  0, +1, 0,
	0, -1, 0,  0, -1, 0,  0, -1, 0,  0, -1, 0,
};

static const GLfloat cube_color[] = {
	0, 0, 1,  1, 0, 1,  0, 1, 1,  1, 1, 1,
	1, 0, 0,  0, 0, 0,  1, 1, 0,  0, 1, 0,
	1, 0, 1,  1, 0, 0,  1, 1, 1,  1, 1, 0,
	0, 0, 0,  0, 0, 1,  0, 1, 0,  0, 1, 1,
	0, 1, 1,  1, 1, 1,  0, 1, 0,  1, 1, 0,
	0, 0, 0,  1, 0, 0,  0, 0, 1,  1, 0, 1,
};

/* Each face shows the whole camera image, upright (its row 0 on top). */
static const GLfloat cube_tc[] = {
	0, 1,  1, 1,  0, 0,  1, 0,
	0, 1,  1, 1,  0, 0,  1, 0,
	0, 1,  1, 1,  0, 0,  1, 0,
	0, 1,  1, 1,  0, 0,  1, 0,
	0, 1,  1, 1,  0, 0,  1, 0,
	0, 1,  1, 1,  0, 0,  1, 0,
};

static GLuint shader(GLenum type, const char *src)
{
	GLuint sh = glCreateShader(type);
	GLint ok = 0;
	char log[512];

	glShaderSource(sh, 1, &src, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(sh, sizeof(log), NULL, log);
		die("shader does not compile: %s\n", log);
	}
	return sh;
}

static void gl_init(void)
{
	GLint ok = 0;

	gl.prog = glCreateProgram();
	glAttachShader(gl.prog, shader(GL_VERTEX_SHADER, vs_src));
	glAttachShader(gl.prog, shader(GL_FRAGMENT_SHADER,
				       opt.video ? fs_video : fs_smooth));
	glBindAttribLocation(gl.prog, 0, "pos");
	glBindAttribLocation(gl.prog, 1, "normal");
	glBindAttribLocation(gl.prog, 2, "color");
	glBindAttribLocation(gl.prog, 3, "tc");
	glLinkProgram(gl.prog);
	glGetProgramiv(gl.prog, GL_LINK_STATUS, &ok);
	if (!ok)
		die("shader program does not link\n");
	glUseProgram(gl.prog);
	gl.mvp = glGetUniformLocation(gl.prog, "mvp");
	gl.mv = glGetUniformLocation(gl.prog, "mv");
	gl.nm = glGetUniformLocation(gl.prog, "nm");
	gl.tex = glGetUniformLocation(gl.prog, "tex");

	glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, 0, cube_pos);
	glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, 0, cube_normal);
	glVertexAttribPointer(2, 3, GL_FLOAT, GL_FALSE, 0, cube_color);
	glVertexAttribPointer(3, 2, GL_FLOAT, GL_FALSE, 0, cube_tc);
	for (int i = 0; i < 4; i++)
		glEnableVertexAttribArray(i);
	glViewport(0, 0, W, H);
	glEnable(GL_CULL_FACE);
	if (opt.video)
		glUniform1i(gl.tex, 0);
}

/* 4x4 matrices, column-major as GL wants them. */
static void mat_mul(float r[16], const float a[16], const float b[16])
{
	float t[16];

	for (int c = 0; c < 4; c++)
		for (int row = 0; row < 4; row++) {
			t[c * 4 + row] = 0;
			for (int k = 0; k < 4; k++)
				t[c * 4 + row] += a[k * 4 + row] * b[c * 4 + k];
		}
	memcpy(r, t, sizeof(t));
}

static void mat_rotate(float m[16], float deg, float x, float y, float z)
{
	float s = sinf(deg * (float)M_PI / 180), c = cosf(deg * (float)M_PI / 180);
	float n = sqrtf(x * x + y * y + z * z), t = 1 - c;
	float r[16] = { 0 };

	x /= n, y /= n, z /= n;
	r[0] = x * x * t + c;     r[4] = x * y * t - z * s; r[8] = x * z * t + y * s;
	r[1] = y * x * t + z * s; r[5] = y * y * t + c;     r[9] = y * z * t - x * s;
	r[2] = z * x * t - y * s; r[6] = z * y * t + x * s; r[10] = z * z * t + c;
	r[15] = 1;
	mat_mul(m, m, r);
}

/* Renders frame @i: the angles depend on the frame number only. */
static void render(unsigned int i)
{
	const float aspect = (float)H / W, near = 6, far = 10;
	float mv[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -8, 1 };
	float proj[16] = { 0 }, mvp[16], nm[9];

	mat_rotate(mv, 45 + 0.25f * i, 1, 0, 0);
	mat_rotate(mv, 45 - 0.5f * i, 0, 1, 0);
	mat_rotate(mv, 10 + 0.15f * i, 0, 0, 1);
	/* glFrustum(-2.8, 2.8, -2.8 * aspect, 2.8 * aspect, 6, 10) */
	proj[0] = 2 * near / 5.6f;
	proj[5] = 2 * near / (5.6f * aspect);
	proj[10] = -(far + near) / (far - near);
	proj[11] = -1;
	proj[14] = -2 * far * near / (far - near);
	mat_mul(mvp, proj, mv);
	/* The rotation part is orthonormal: it is its own normal matrix. */
	for (int c = 0; c < 3; c++)
		for (int r = 0; r < 3; r++)
			nm[c * 3 + r] = mv[c * 4 + r];
	glUniformMatrix4fv(gl.mvp, 1, GL_FALSE, mvp);
	glUniformMatrix4fv(gl.mv, 1, GL_FALSE, mv);
	glUniformMatrix3fv(gl.nm, 1, GL_FALSE, nm);
	glClearColor(0.5f, 0.5f, 0.5f, 1.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	for (int face = 0; face < 6; face++)
		glDrawArrays(GL_TRIANGLE_STRIP, face * 4, 4);
	if (glGetError() != GL_NO_ERROR)
		die("GL error while rendering\n");
}

/* ---- the camera (vivid) --------------------------------------------------- */

static struct {
	int fd;
	int dmabuf[CAM_BUFS];
	EGLImageKHR img[CAM_BUFS];
	GLuint tex[CAM_BUFS];
	int cur;		/* the buffer the cube shows, -1 before any */
	unsigned int frames;	/* camera frames captured */
	uint32_t size, pitch;
} cam = { .fd = -1, .cur = -1 };

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg))
		die("%s: %s\n", what, strerror(errno));
}

/* vivid's capture node: the first whose driver is vivid and that captures. */
static int open_vivid(void)
{
	struct v4l2_capability cap;
	char path[32];
	int fd = open_video("vivid", NULL,
			    V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING,
			    path, sizeof(path), &cap);

	if (fd < 0)
		die("no vivid capture node (is vivid loaded?)\n");
	printf("camera: %s (vivid)\n", path);
	return fd;
}

static void cam_queue(int i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF, .index = i,
		.field = V4L2_FIELD_NONE, .length = cam.size,
	};

	b.m.fd = cam.dmabuf[i];
	xioctl(cam.fd, VIDIOC_QBUF, &b, "VIDIOC_QBUF");
}

/*
 * vivid's default pattern is 75% colour bars, the second one yellow: its
 * bytes B, G, R, X (V4L2_PIX_FMT_XBGR32) read as DRM_FORMAT_XRGB8888 must
 * be yellow too, or the import would swap the channels.
 */
static void cam_check_order(int i)
{
	const uint32_t *px;
	uint32_t p;
	void *map;

	check(ionode_dmabuf_mmap(cam.dmabuf[i], cam.size, PROT_READ, &map),
	      "mmap of a camera buffer");
	ionode_dmabuf_sync(cam.dmabuf[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	px = (const uint32_t *)((const uint8_t *)map + CAM_H / 2 * cam.pitch);
	p = px[CAM_W * 3 / 16];
	ionode_dmabuf_sync(cam.dmabuf[i], DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(map, cam.size);
	printf("camera: second colour bar 0x%06x as XRGB8888 (%s)\n",
	       p & 0xffffff, ((p >> 16) & 0xff) > 0x80 &&
	       ((p >> 8) & 0xff) > 0x80 && (p & 0xff) < 0x40 ?
	       "yellow, byte order right" : "NOT yellow");
	if (!(((p >> 16) & 0xff) > 0x80 && ((p >> 8) & 0xff) > 0x80 &&
	      (p & 0xff) < 0x40))
		die("the camera's XBGR32 is not DRM XRGB8888 byte for byte\n");
}

static void cam_init(void)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE };
	struct v4l2_requestbuffers rb = {
		.count = CAM_BUFS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_input in = { 0 };
	uint64_t mask;
	int i;

	cam.fd = open_vivid();
	/* vivid's webcam input: the first without DV timings or TV standards. */
	for (in.index = 0; !ioctl(cam.fd, VIDIOC_ENUMINPUT, &in); in.index++)
		if (in.type == V4L2_INPUT_TYPE_CAMERA && !in.std &&
		    !(in.capabilities & V4L2_IN_CAP_DV_TIMINGS))
			break;
	xioctl(cam.fd, VIDIOC_S_INPUT, &in.index, "VIDIOC_S_INPUT");
	f.fmt.pix.width = CAM_W;
	f.fmt.pix.height = CAM_H;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_XBGR32;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	xioctl(cam.fd, VIDIOC_S_FMT, &f, "VIDIOC_S_FMT");
	if (f.fmt.pix.width != CAM_W || f.fmt.pix.height != CAM_H ||
	    f.fmt.pix.pixelformat != V4L2_PIX_FMT_XBGR32)
		die("vivid does not capture %ux%u XBGR32\n", CAM_W, CAM_H);
	cam.size = f.fmt.pix.sizeimage;
	cam.pitch = f.fmt.pix.bytesperline;
	xioctl(cam.fd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS");
	if (rb.count != CAM_BUFS)
		die("vivid gave %u buffers, not %u\n", rb.count, CAM_BUFS);
	check(ionode_heap_mask_by_name(ion, "system", &mask), "system heap");
	for (i = 0; i < CAM_BUFS; i++) {
		EGLint attr[] = {
			EGL_WIDTH, CAM_W, EGL_HEIGHT, CAM_H,
			EGL_LINUX_DRM_FOURCC_EXT, DRM_FORMAT_XRGB8888,
			EGL_DMA_BUF_PLANE0_FD_EXT, -1,
			EGL_DMA_BUF_PLANE0_OFFSET_EXT, 0,
			EGL_DMA_BUF_PLANE0_PITCH_EXT, (EGLint)cam.pitch,
			EGL_NONE,
		};

		check(ionode_create_fd(ion, cam.size, mask, 0, &cam.dmabuf[i],
				       NULL), "ionode allocation");
		attr[7] = cam.dmabuf[i];
		cam.img[i] = gl.create_image(gl.dpy, EGL_NO_CONTEXT,
					     EGL_LINUX_DMA_BUF_EXT, NULL, attr);
		if (cam.img[i] == EGL_NO_IMAGE_KHR)
			die("eglCreateImageKHR of a camera buffer: 0x%x\n",
			    eglGetError());
		glGenTextures(1, &cam.tex[i]);
		glBindTexture(GL_TEXTURE_2D, cam.tex[i]);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
		gl.image_target(GL_TEXTURE_2D, cam.img[i]);
		if (glGetError() != GL_NO_ERROR)
			die("glEGLImageTargetTexture2DOES failed\n");
		cam_queue(i);
	}
	xioctl(cam.fd, VIDIOC_STREAMON, &type, "VIDIOC_STREAMON");
	printf("camera: %ux%u XBGR32 into %d ionode buffers (V4L2_MEMORY_DMABUF),"
	       " each an EGLImage texture\n", CAM_W, CAM_H, CAM_BUFS);
}

/*
 * Takes the newest captured frame, if any (waits for the first): it
 * becomes the cube's texture, the one shown before goes back to vivid.
 */
static void cam_update(void)
{
	struct v4l2_buffer b;
	struct pollfd pfd = { .fd = cam.fd, .events = POLLIN };

	for (;;) {
		if (poll(&pfd, 1, cam.cur < 0 ? CAM_TIMEOUT_MS : 0) != 1) {
			if (cam.cur < 0)
				die("no camera frame within %d ms\n",
				    CAM_TIMEOUT_MS);
			break;
		}
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_DMABUF;
		xioctl(cam.fd, VIDIOC_DQBUF, &b, "VIDIOC_DQBUF");
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			cam_queue(b.index);
			continue;
		}
		if (!cam.frames++)
			cam_check_order(b.index);
		if (cam.cur >= 0)
			cam_queue(cam.cur);
		cam.cur = b.index;
	}
	glBindTexture(GL_TEXTURE_2D, cam.tex[cam.cur]);
}

static void cam_fini(void)
{
	uint32_t type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_requestbuffers rb = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
	};

	xioctl(cam.fd, VIDIOC_STREAMOFF, &type, "VIDIOC_STREAMOFF");
	xioctl(cam.fd, VIDIOC_REQBUFS, &rb, "VIDIOC_REQBUFS 0");
	for (int i = 0; i < CAM_BUFS; i++) {
		glDeleteTextures(1, &cam.tex[i]);
		gl.destroy_image(gl.dpy, cam.img[i]);
		close(cam.dmabuf[i]);
	}
	close(cam.fd);
}

/* ---- the checks ------------------------------------------------------------ */

static struct kms_dumb dumb;
static unsigned int crc_checked, crc_matched;
static uint32_t crc_last;		/* the CRC of the last frame checked */

/* The CRC of the frame vkms composes next after @after (a lit pipe). */
static uint32_t crc_after(uint32_t after)
{
	uint32_t crc;

	check(kms_pipe_crc_get(&pipe_, after + 1, NULL, &crc), "CRC");
	return crc;
}

static uint32_t crc_now(void)
{
	uint32_t seq;

	check(kms_pipe_vblank(&pipe_, &seq), "vblank");
	return crc_after(seq);
}

/*
 * @f is on screen (shown from sequence @seq on, nothing pending): its CRC
 * must equal that of the same pixels in vkms' own dumb buffer, and be the
 * same again once @f is back on screen.
 */
static void crc_check(unsigned int i, struct frame *f, uint32_t seq)
{
	uint32_t c_ion, c_dumb, c_back, y;

	check(kms_pipe_crc_start(&pipe_), "CRC capture (debugfs)");
	c_ion = crc_after(seq);

	ionode_dmabuf_sync(f->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < H; y++)
		memcpy((uint8_t *)dumb.map + (size_t)y * dumb.pitch,
		       (const uint8_t *)f->map + (size_t)y * f->stride, W * 4);
	ionode_dmabuf_sync(f->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	check(kms_pipe_show(&pipe_, dumb.fb, 0, NULL), "showing the dumb buffer");
	c_dumb = crc_now();
	check(kms_pipe_show(&pipe_, f->fb, 0, NULL), "showing the frame again");
	c_back = crc_now();
	kms_pipe_crc_stop(&pipe_);

	crc_checked++;
	crc_last = c_ion;
	if (c_ion == c_dumb && c_back == c_ion)
		crc_matched++;
	if (opt.verbose || c_ion != c_dumb || c_back != c_ion)
		printf("frame %u: CRC 0x%08x ionode, 0x%08x dumb, 0x%08x ionode again: %s\n",
		       i, c_ion, c_dumb, c_back,
		       c_ion == c_dumb && c_back == c_ion ? "match" : "MISMATCH");
}

/*
 * vkms composes @f and writes the frame back into an ionode buffer: it
 * must be @f pixel for pixel (X bytes aside). Returns the number of
 * differing pixels; the captured frame goes to --snapshot.
 */
static size_t writeback_check(struct frame *f)
{
	size_t size = (size_t)W * H * 4, bad = 0;
	uint32_t fb, x, y;
	const uint32_t *wb;
	uint64_t mask;
	void *map;
	int dmabuf;

	check(ionode_heap_mask_by_name(ion, "system", &mask), "system heap");
	check(ionode_create_fd(ion, size, mask, 0, &dmabuf, NULL),
	      "ionode allocation");
	check(kms_pipe_add_fb(&pipe_, dmabuf, W, H, DRM_FORMAT_XRGB8888, W * 4,
			      0, &fb), "writeback framebuffer");
	check(kms_pipe_writeback(&pipe_, f->fb, fb, WB_TIMEOUT_MS), "writeback");
	check(ionode_dmabuf_mmap(dmabuf, size, PROT_READ, &map),
	      "mmap of the writeback buffer");
	wb = map;
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	ionode_dmabuf_sync(f->dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	for (y = 0; y < H; y++) {
		for (x = 0; x < W; x++) {
			uint32_t a = wb[y * W + x] & 0xffffff;
			uint32_t b = f->map[y * (f->stride / 4) + x] & 0xffffff;

			if (a != b && !bad++)
				printf("writeback: pixel (%u,%u) 0x%06x, rendered 0x%06x\n",
				       x, y, a, b);
		}
	}
	ionode_dmabuf_sync(f->dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	if (opt.snapshot) {
		check(png_write_xrgb8888(opt.snapshot, wb, W, H, W * 4),
		      opt.snapshot);
		printf("snapshot: %s (%ux%u, the frame written back by vkms)\n",
		       opt.snapshot, W, H);
	}
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(map, size);
	kms_pipe_off(&pipe_);
	kms_pipe_rm_fb(&pipe_, fb);
	close(dmabuf);
	return bad;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ionode_cube [OPTIONS]\n"
		"Render a rotating cube with Mesa (GBM/EGL/GLES2) into ionode buffers\n"
		"and show them on vkms with atomic page flips, checking by CRC and\n"
		"writeback that the display shows what was rendered.\n\n"
		"  -c, --count N       frames to show [60]\n"
		"  -b, --buffers 2|3   double or triple buffering [2]\n"
		"  -V, --video         texture the cube with live vivid frames\n"
		"                      (V4L2 DMABUF into ionode, EGL dma-buf import)\n"
		"  -s, --snapshot FILE write the frame vkms wrote back as a PNG\n"
		"  -n, --no-crc        skip the per-frame CRC checks\n"
		"  -v, --verbose       one line per frame and buffer\n"
		"  -h, --help          this help\n");
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "buffers", required_argument, NULL, 'b' },
		{ "video", no_argument, NULL, 'V' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "no-crc", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:b:Vs:nvh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.frames = strtoul(optarg, &end, 0);
			if (*end || !opt.frames)
				die("bad frame count '%s'\n", optarg);
			break;
		case 'b':
			opt.bufs = strtoul(optarg, &end, 0);
			if (*end || opt.bufs < 2 || opt.bufs > 3)
				die("-b takes 2 or 3\n");
			break;
		case 'V':
			opt.video = true;
			break;
		case 's':
			opt.snapshot = optarg;
			break;
		case 'n':
			opt.crc = false;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		usage(stderr);
		exit(2);
	}
}

/* The flip of @pending completed: it is on screen, @shown goes back to GBM. */
static void flip_done(struct frame **shown, struct frame **pending,
		      unsigned int i)
{
	uint32_t seq;
	void *user;

	check(kms_pipe_wait_flip(&pipe_, FLIP_TIMEOUT_MS, &seq, &user),
	      "page flip event");
	if (user != *pending)
		die("flip event for an unexpected buffer\n");
	if (*shown)
		gbm_surface_release_buffer(gl.surf, (*shown)->bo);
	*shown = *pending;
	*pending = NULL;
	if (opt.crc)
		crc_check(i, *shown, seq);
}

int main(int argc, char **argv)
{
	struct frame *shown = NULL, *pending = NULL;
	double t0, t_check = 0, t;
	unsigned int i;
	size_t wb_bad;
	int card, ret;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv);

	ion = ionode_open();
	check(ion, "ionode render node");
	ret = kms_pipe_open(&pipe_, "vkms");
	if (ret == -ENODEV)
		die("no vkms display device (modprobe vkms, or make vkms)\n");
	check(ret, "vkms display pipe");
	if (!pipe_.wb)
		die("vkms has no writeback connector\n");
	W = pipe_.mode.hdisplay;
	H = pipe_.mode.vdisplay;
	printf("display: vkms, mode %s %ux%u, CRTC %u, plane %u, writeback connector %u\n",
	       pipe_.mode.name, W, H, pipe_.crtc, pipe_.plane, pipe_.wb);
	card = ionode_open_card();
	check(card, "ionode card node");
	egl_init(card);
	gl_init();
	if (opt.video)
		cam_init();
	if (opt.crc)
		check(kms_pipe_dumb(&pipe_, &dumb), "vkms dumb buffer");
	printf("rendering %u frames at %ux%u XRGB8888 into ionode buffers, %s buffering%s\n",
	       opt.frames, W, H, opt.bufs == 3 ? "triple" : "double",
	       opt.crc ? ", CRC-checking each frame" : "");

	t0 = now();
	for (i = 0; i < opt.frames; i++) {
		struct gbm_bo *bo;
		struct frame *f;

		if (opt.video)
			cam_update();
		render(i);
		if (!eglSwapBuffers(gl.dpy, gl.es))
			die("eglSwapBuffers: 0x%x\n", eglGetError());
		bo = gbm_surface_lock_front_buffer(gl.surf);
		if (!bo)
			die("gbm_surface_lock_front_buffer failed\n");
		f = frame_of(bo);
		if (pending) {		/* triple buffering: flip i-1 first */
			t = now();
			flip_done(&shown, &pending, i - 1);
			t_check += opt.crc ? now() - t : 0;
		}
		if (!shown) {
			/* The first frame sets the mode: a blocking commit. */
			uint32_t seq;

			check(kms_pipe_show(&pipe_, f->fb, 0, NULL),
			      "first commit");
			shown = f;
			check(kms_pipe_vblank(&pipe_, &seq), "vblank");
			t = now();
			if (opt.crc)
				crc_check(i, f, seq);
			t_check += now() - t;
			continue;
		}
		pending = f;
		check(kms_pipe_show(&pipe_, f->fb, KMS_PIPE_NONBLOCK, f),
		      "page flip");
		if (opt.bufs == 2) {
			t = now();
			flip_done(&shown, &pending, i);
			t_check += opt.crc ? now() - t : 0;
		}
	}
	if (pending)
		flip_done(&shown, &pending, i - 1);
	t = now() - t0 - t_check;
	printf("Rendered %u frames in %.3f sec (%.3f fps)%s\n", opt.frames, t,
	       opt.frames / t, opt.crc ? ", CRC checks excluded" : "");
	if (opt.video)
		printf("camera: %u frames captured into ionode buffers and shown on the cube\n",
		       cam.frames);

	wb_bad = writeback_check(shown);
	gbm_surface_release_buffer(gl.surf, shown->bo);
	if (opt.crc)
		kms_pipe_dumb_free(&pipe_, &dumb);
	if (opt.video)
		cam_fini();
	egl_fini();	/* destroys the buffers, their framebuffers with them */
	kms_pipe_close(&pipe_);
	close(card);
	close(ion);

	ok = crc_matched == crc_checked && !wb_bad;
	if (opt.crc)
		printf("last frame's CRC on vkms: 0x%08x\n", crc_last);
	printf("%u frames, %.1f fps, ", opt.frames, opt.frames / t);
	if (opt.crc)
		printf("%u/%u CRCs match, ", crc_matched, crc_checked);
	else
		printf("CRCs not checked, ");
	if (wb_bad)
		printf("writeback differs in %zu pixels\n", wb_bad);
	else
		printf("writeback matches\n");
	return ok ? 0 : 1;
}
