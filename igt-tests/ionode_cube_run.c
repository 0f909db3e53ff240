// SPDX-License-Identifier: MIT
/*
 * ionode_cube_run - the display programs run whole: tools/ionode_cube
 * (Mesa rendering into ionode buffers shown on vkms) with its own checks,
 * and Debian's unmodified kmscube on a virtio-gpu display with ionode
 * loaded (a regression run: ionode's card node must not confuse it).
 *
 * cube: `ionode_cube -c 10` (double buffering) exits 0, and reports
 *	10/10 frames whose vkms CRC equals that of the same pixels in a vkms
 *	dumb buffer, and a writeback capture equal to the ionode buffer.
 * cube-video-triple: `ionode_cube --video -b 3 -c 6`: the cube textured
 *	with vivid frames captured into ionode buffers (DMABUF) and imported
 *	with EGL_EXT_image_dma_buf_import, triple buffering; the same
 *	reports, the camera's byte order checked, camera frames captured.
 * cube-snapshot: `ionode_cube -c 3 --snapshot FILE`: the PNG decoded
 *	(libpng) is the mode's size, shows a cube on the background, and
 *	shown from a vkms dumb buffer has the CRC ionode_cube reported for
 *	its last frame on screen.
 * kmscube: `kmscube -D /dev/dri/cardN -c 30` on the virtio-gpu card
 *	(tools/vm/vm-run --gpu virtio) exits 0 after 30 frames (its last
 *	report counts 29: its clock starts at the first).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <png.h>
#include <xf86drm.h>

#include "ionode_test.h"
#include "kms_pipe.h"

/* What a run under TCG may take (llvmpipe renders 1024x768 at ~1 fps). */
#define RUN_TIMEOUT_S	240
#define OUT_MAX		(64 * 1024)

static int fd = -1;
static char tool[PATH_MAX];
static char out[OUT_MAX];

/*
 * Runs @argv (NULL-terminated) with stdout and stderr captured into out[];
 * kills it after RUN_TIMEOUT_S. Returns its exit status (-1 if killed).
 * Its stdin is a pipe nobody writes to: kmscube stops at the first input
 * (or end of file) on stdin, "user interrupted!".
 */
static int run(char *const argv[])
{
	int p[2], in[2], status, n;
	size_t len = 0;
	time_t end = time(NULL) + RUN_TIMEOUT_S;
	pid_t pid;

	igt_assert_eq(pipe2(p, O_CLOEXEC), 0);
	igt_assert_eq(pipe2(in, O_CLOEXEC), 0);
	pid = fork();
	igt_assert(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	close(in[0]);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int left = end - time(NULL);

		if (left <= 0 || poll(&pfd, 1, left * 1000) <= 0) {
			kill(pid, SIGKILL);
			igt_info("%s: killed after %d s\n", argv[0], RUN_TIMEOUT_S);
			break;
		}
		n = read(p[0], out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (len == sizeof(out) - 1)
			break;
	}
	out[len] = '\0';
	close(p[0]);
	igt_assert_eq(waitpid(pid, &status, 0), pid);
	close(in[1]);
	igt_info("--- %s output ---\n%s--- end ---\n", argv[0], out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_said(const char *what)
{
	igt_assert_f(strstr(out, what), "no \"%s\" in the output\n", what);
}

static void require_vkms(void)
{
	struct kms_pipe k;

	igt_require_f(igt_modprobe("vkms"),
		      "no vkms on this kernel (`make vkms` builds one)\n");
	igt_assert_eq(kms_pipe_open(&k, "vkms"), 0);
	igt_require_f(k.wb, "vkms without writeback\n");
	kms_pipe_close(&k);
}

static void test_cube(void)
{
	char *argv[] = { tool, "-c", "10", NULL };

	require_vkms();
	igt_assert_eq(run(argv), 0);
	assert_said("Rendered 10 frames in ");
	assert_said("10 frames, ");
	assert_said("10/10 CRCs match, writeback matches\n");
	assert_said("double buffering");
}

static void test_cube_video(void)
{
	char *argv[] = { tool, "--video", "-b", "3", "-c", "6", NULL };
	const char *s;
	unsigned int n = 0;

	require_vkms();
	igt_require_f(igt_modprobe("vivid"), "no vivid\n");
	igt_assert_eq(run(argv), 0);
	assert_said("triple buffering");
	assert_said("byte order right");
	assert_said("6/6 CRCs match, writeback matches\n");
	s = strstr(out, "camera: ");
	while (s && !sscanf(s, "camera: %u frames captured", &n))
		s = strstr(s + 1, "camera: ");
	igt_assert_f(n > 0, "no camera frame captured\n");
}

/* The PNG as XRGB8888 pixels (malloc'd), its size in *w, *h. */
static uint32_t *read_png(const char *path, uint32_t *w, uint32_t *h)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint32_t *px;

	igt_assert_f(png_image_begin_read_from_file(&img, path),
		     "%s: %s\n", path, img.message);
	/* BGRA bytes: a little-endian 0xAARRGGBB, XRGB8888 with alpha. */
	img.format = PNG_FORMAT_BGRA;
	px = malloc(PNG_IMAGE_SIZE(img));
	igt_assert(px);
	igt_assert_f(png_image_finish_read(&img, NULL, px, 0, NULL),
		     "%s: %s\n", path, img.message);
	*w = img.width;
	*h = img.height;
	return px;
}

static void test_cube_snapshot(void)
{
	char path[] = "/tmp/ionode_cube_run.XXXXXX.png";
	char *argv[] = { tool, "-c", "3", "--snapshot", path, NULL };
	uint32_t w, h, y, want, crc, seq, *px;
	struct kms_dumb d;
	struct kms_pipe k;
	const char *s;
	int tmp;

	require_vkms();
	tmp = mkstemps(path, 4);
	igt_assert(tmp >= 0);
	close(tmp);
	igt_assert_eq(run(argv), 0);
	assert_said("3/3 CRCs match, writeback matches\n");
	s = strstr(out, "last frame's CRC on vkms: ");
	igt_assert_f(s && sscanf(s, "last frame's CRC on vkms: %x", &want) == 1,
		     "no CRC of the last frame reported\n");

	px = read_png(path, &w, &h);
	unlink(path);
	/* The tool has let go of vkms: the test is its master now. */
	igt_assert_eq(kms_pipe_open(&k, "vkms"), 0);
	igt_assert_eq(w, k.mode.hdisplay);
	igt_assert_eq(h, k.mode.vdisplay);
	/* A cube in the middle, the background in the corner. */
	igt_assert_f((px[h / 2 * w + w / 2] & 0xffffff) !=
		     (px[0] & 0xffffff), "no cube in the snapshot\n");

	igt_assert_eq(kms_pipe_dumb(&k, &d), 0);
	for (y = 0; y < h; y++)
		memcpy((uint8_t *)d.map + (size_t)y * d.pitch, px + y * w, w * 4);
	free(px);
	igt_assert_eq(kms_pipe_show(&k, d.fb, 0, NULL), 0);
	igt_require_f(kms_pipe_crc_start(&k) == 0, "no vkms CRCs (debugfs)\n");
	igt_assert_eq(kms_pipe_vblank(&k, &seq), 0);
	igt_assert_eq(kms_pipe_crc_get(&k, seq + 1, NULL, &crc), 0);
	igt_assert_f(crc == want,
		     "the snapshot on screen has CRC 0x%08x, the frame had 0x%08x\n",
		     crc, want);
	kms_pipe_crc_stop(&k);
	igt_assert_eq(kms_pipe_off(&k), 0);
	kms_pipe_dumb_free(&k, &d);
	kms_pipe_close(&k);
}

static void test_kmscube(void)
{
	char card[64], kmscube[] = "/usr/bin/kmscube";
	char *argv[] = { kmscube, "-D", card, "-c", "30", NULL };
	unsigned int n = 0;
	const char *s;

	igt_require_f(access(kmscube, X_OK) == 0,
		      "no %s (Debian package kmscube)\n", kmscube);
	igt_require_f(ionode_find_node("virtio_gpu", DRM_NODE_PRIMARY, card,
				       sizeof(card)) == 0,
		      "no virtio-gpu display (tools/vm/vm-run --gpu virtio)\n");
	igt_info("kmscube on %s, ionode loaded\n", card);
	igt_assert_eq(run(argv), 0);
	/*
	 * kmscube reports "Rendered N frames in S sec (F fps)" every few
	 * seconds and at the end; its clock starts at the first frame, so
	 * 30 frames shown are 29 rendered after it.
	 */
	for (s = strstr(out, "Rendered "); s; s = strstr(s + 1, "Rendered "))
		igt_assert_eq(sscanf(s, "Rendered %u frames", &n), 1);
	igt_assert_f(n >= 29, "kmscube stopped after %u frames\n", n);
}

#define subtest(name) ionode_subtest(&fd, name)

igt_main
{
	igt_fixture {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		fd = igt_ionode_open();
		igt_assert(n > 0);
		self[n] = '\0';
		/* igt-tests/build/ionode_cube_run -> tools/ionode_cube */
		snprintf(tool, sizeof(tool), "%s/../../tools/ionode_cube",
			 dirname(self));
		igt_assert_f(access(tool, X_OK) == 0,
			     "%s not built (make tools)\n", tool);
	}

	subtest("cube")
		test_cube();
	subtest("cube-video-triple")
		test_cube_video();
	subtest("cube-snapshot")
		test_cube_snapshot();
	subtest("kmscube")
		test_kmscube();

	igt_fixture {
		close(fd);
	}
}
