/* SPDX-License-Identifier: MIT */
/*
 * kms_pipe.h - one KMS display pipe driven with atomic commits, for the
 * programs and tests that show ionode buffers on a display (vkms in the
 * test VM): scanout of dma-bufs, page flips with events, the CRTC's CRC
 * from debugfs and a frame captured through a writeback connector.
 *
 * Not part of libionode's API: a helper the tools and igt-tests share.
 *
 * Conventions as in libionode.h: functions returning int return 0 (or a
 * non-negative value) on success and a negative errno value on failure;
 * out parameters are only written on success. A struct kms_pipe is used by
 * one thread at a time.
 *
 * Build: -I<repo>/tools/lib and `pkg-config --cflags libdrm`; link
 * lib/libkms_pipe.a and `pkg-config --libs libdrm`.
 */
#ifndef KMS_PIPE_H
#define KMS_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include <xf86drmMode.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct kms_pipe - a CRTC, its primary plane and its connectors
 * @fd: the display device's primary node; the pipe is its DRM master.
 * @crtc: the CRTC (the device's first).
 * @crtc_index: its index, as debugfs names it (crtc-N).
 * @plane: the CRTC's primary plane.
 * @conn: the first connected connector (the display).
 * @wb: a writeback connector, 0 if the device has none.
 * @mode: @conn's preferred mode; framebuffers shown cover it exactly.
 * @crc_fd: the CRTC's debugfs crc/data file while CRCs are captured, else -1.
 * @lit: whether the last commit left @conn lit (a flip needs no modeset).
 */
struct kms_pipe {
	int fd;
	uint32_t crtc, crtc_index, plane, conn, wb;
	drmModeModeInfo mode;
	int crc_fd;
	int lit;
};

/**
 * kms_pipe_open() - open a display device and find its pipe
 * @p: the pipe, filled in.
 * @driver: DRM driver name of the display device ("vkms").
 *
 * Opens the first primary node of @driver, becomes its master and enables
 * universal planes, atomic and (when offered) writeback connectors.
 *
 * Return: 0, -ENODEV when no such device exists, -ENOENT when it has no
 * connected connector or no primary plane, or another -errno.
 */
int kms_pipe_open(struct kms_pipe *p, const char *driver);

/** kms_pipe_close() - turn the pipe off, stop CRCs and close the device */
void kms_pipe_close(struct kms_pipe *p);

/**
 * kms_pipe_add_fb() - a dma-buf as a framebuffer of the display device
 * @p: the pipe.
 * @dmabuf: the dma-buf fd (PRIME-imported; the temporary GEM handle is
 *	closed again, the framebuffer holds the buffer).
 * @width: width in pixels.
 * @height: height in pixels.
 * @format: DRM fourcc, one plane (DRM_FORMAT_XRGB8888, ...).
 * @pitch: bytes per line.
 * @offset: offset of the first pixel in the buffer.
 * @fb: the framebuffer id.
 *
 * Each call imports @dmabuf again (the handle is not kept): two
 * framebuffers of one dma-buf alive at once make the display device map
 * the same memory twice, which DMA-API debugging reports as overlapping
 * mappings. Remove one before adding the next, or add one framebuffer per
 * buffer.
 *
 * Return: 0 or the -errno of the import or of DRM_IOCTL_MODE_ADDFB2.
 */
int kms_pipe_add_fb(struct kms_pipe *p, int dmabuf, uint32_t width,
		    uint32_t height, uint32_t format, uint32_t pitch,
		    uint32_t offset, uint32_t *fb);

/** kms_pipe_rm_fb() - remove a framebuffer added with kms_pipe_add_fb() */
int kms_pipe_rm_fb(struct kms_pipe *p, uint32_t fb);

/**
 * struct kms_dumb - a dumb buffer of the display device itself
 * @handle: its GEM handle.
 * @fb: its XRGB8888 framebuffer.
 * @pitch: bytes per line.
 * @size: bytes.
 * @map: its CPU mapping (write-combined on most devices).
 */
struct kms_dumb {
	uint32_t handle, fb, pitch;
	uint64_t size;
	void *map;
};

/**
 * kms_pipe_dumb() - a mapped XRGB8888 dumb buffer framebuffer of the mode's size
 * @p: the pipe.
 * @d: the buffer, filled in.
 *
 * The reference a test compares against: the display device's own memory.
 * Return: 0 or -errno (nothing is left allocated on failure).
 */
int kms_pipe_dumb(struct kms_pipe *p, struct kms_dumb *d);

/** kms_pipe_dumb_free() - remove the framebuffer, unmap and destroy */
void kms_pipe_dumb_free(struct kms_pipe *p, struct kms_dumb *d);

/* kms_pipe_show() flags */
#define KMS_PIPE_NONBLOCK	(1u << 0)	/* return at once, flip event later */

/**
 * kms_pipe_show() - scan out a framebuffer on the display
 * @p: the pipe.
 * @fb: a framebuffer of at least the mode's size (the plane covers the CRTC).
 * @flags: 0 (blocking commit) or KMS_PIPE_NONBLOCK (nonblocking page flip
 *	with DRM_MODE_PAGE_FLIP_EVENT; collect it with kms_pipe_wait_flip()).
 * @user: passed back by kms_pipe_wait_flip() with the event.
 *
 * The first commit (and the first after kms_pipe_writeback() or
 * kms_pipe_off()) sets the mode and lights the connector; later ones only
 * change the plane's framebuffer, a page flip.
 *
 * Return: 0, -EBUSY when a nonblocking flip is still pending, -EINVAL when
 * the display refuses the framebuffer, or another -errno.
 */
int kms_pipe_show(struct kms_pipe *p, uint32_t fb, unsigned int flags,
		  void *user);

/**
 * kms_pipe_wait_flip() - wait for one page flip event
 * @p: the pipe.
 * @timeout_ms: how long to wait.
 * @sequence: the vblank sequence the flip completed on (may be NULL).
 * @user: the @user of the kms_pipe_show() it completes (may be NULL).
 *
 * Return: 0, -ETIMEDOUT, or another -errno.
 */
int kms_pipe_wait_flip(struct kms_pipe *p, int timeout_ms,
		       uint32_t *sequence, void **user);

/**
 * kms_pipe_off() - disable plane, connectors and CRTC
 * @p: the pipe.
 *
 * The display lets go of every framebuffer it holds.
 * Return: 0 or -errno.
 */
int kms_pipe_off(struct kms_pipe *p);

/**
 * kms_pipe_writeback() - compose a framebuffer and capture it by writeback
 * @p: the pipe, with a writeback connector.
 * @src_fb: the framebuffer scanned out (mode-sized).
 * @dst_fb: the framebuffer written back (mode-sized, XRGB8888 or ARGB8888).
 * @timeout_ms: how long to wait for the writeback fence.
 *
 * The writeback connector drives the CRTC alone for this commit (6.1's
 * vkms cannot clone it with the display connector): the display goes dark
 * and the next kms_pipe_show() sets the mode again.
 *
 * Return: 0 once the frame is in @dst_fb's buffer, -ENOTSUP without a
 * writeback connector, -ETIMEDOUT, or another -errno.
 */
int kms_pipe_writeback(struct kms_pipe *p, uint32_t src_fb, uint32_t dst_fb,
		       int timeout_ms);

/**
 * kms_pipe_crc_start() - start capturing the CRTC's CRCs
 * @p: the pipe.
 *
 * Selects the "auto" source in debugfs (dri/MINOR/crtc-N/crc/control) and
 * opens crc/data. Needs debugfs mounted and root. From then on the CRTC
 * queues one entry per frame, at most 128 (about 2 s at 60 Hz) before the
 * kernel drops them with an error in its log: read them with
 * kms_pipe_crc_get() or stop.
 * Return: 0, -ENOENT without the debugfs files, or another -errno.
 */
int kms_pipe_crc_start(struct kms_pipe *p);

/**
 * kms_pipe_crc_get() - the CRC of the first frame at or after @min_frame
 * @p: the pipe, capturing CRCs.
 * @min_frame: vblank sequence number; earlier entries are skipped.
 * @frame: the entry's frame (may be NULL).
 * @crc: the CRC.
 *
 * Blocks until such an entry arrives, at most 10 s per entry. A frame
 * scanned out after a flip event of sequence S has a CRC at frame S + 1
 * or later.
 * Return: 0, -ETIMEDOUT when the CRTC stops producing CRCs, or -errno.
 */
int kms_pipe_crc_get(struct kms_pipe *p, uint32_t min_frame, uint32_t *frame,
		     uint32_t *crc);

/** kms_pipe_crc_stop() - stop capturing CRCs (closes crc/data) */
void kms_pipe_crc_stop(struct kms_pipe *p);

/**
 * kms_pipe_vblank() - the CRTC's current vblank sequence number
 * @p: the pipe (lit).
 * @sequence: the sequence.
 * Return: 0 or -errno.
 */
int kms_pipe_vblank(struct kms_pipe *p, uint32_t *sequence);

#ifdef __cplusplus
}
#endif

#endif /* KMS_PIPE_H */
