// SPDX-License-Identifier: MIT
/*
 * kms_pipe.c - one KMS display pipe driven with atomic commits.
 * See kms_pipe.h for the API contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "kms_pipe.h"
#include "libionode.h"

/* A frame takes far less, even composed in software under emulation. */
#define KMS_PIPE_CRC_TIMEOUT_MS	10000

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* The id of @obj's property @name, 0 if it has none. */
static uint32_t prop_id(int fd, uint32_t obj, uint32_t type, const char *name,
			uint64_t *value)
{
	drmModeObjectPropertiesPtr props;
	uint32_t id = 0, i;

	props = drmModeObjectGetProperties(fd, obj, type);
	if (!props)
		return 0;
	for (i = 0; i < props->count_props && !id; i++) {
		drmModePropertyPtr p = drmModeGetProperty(fd, props->props[i]);

		if (!p)
			continue;
		if (!strcmp(p->name, name)) {
			id = p->prop_id;
			if (value)
				*value = props->prop_values[i];
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return id;
}

/* Adds "@name = @value" of @obj to @req; -ENOENT if @obj has no @name. */
static int add(drmModeAtomicReqPtr req, int fd, uint32_t obj, uint32_t type,
	       const char *name, uint64_t value)
{
	uint32_t id = prop_id(fd, obj, type, name, NULL);

	if (!id)
		return -ENOENT;
	return drmModeAtomicAddProperty(req, obj, id, value) < 0 ? -ENOMEM : 0;
}

#define CRTC(p, req, name, v) \
	add(req, (p)->fd, (p)->crtc, DRM_MODE_OBJECT_CRTC, name, v)
#define PLANE(p, req, name, v) \
	add(req, (p)->fd, (p)->plane, DRM_MODE_OBJECT_PLANE, name, v)
#define CONN(p, req, conn, name, v) \
	add(req, (p)->fd, conn, DRM_MODE_OBJECT_CONNECTOR, name, v)

static int find_connectors(struct kms_pipe *p, drmModeResPtr res)
{
	int i, m;

	for (i = 0; i < res->count_connectors; i++) {
		drmModeConnectorPtr c = drmModeGetConnector(p->fd,
							    res->connectors[i]);

		if (!c)
			return neg_errno();
		if (c->connector_type == DRM_MODE_CONNECTOR_WRITEBACK) {
			if (!p->wb)
				p->wb = c->connector_id;
		} else if (c->connection == DRM_MODE_CONNECTED &&
			   c->count_modes && !p->conn) {
			p->conn = c->connector_id;
			p->mode = c->modes[0];
			for (m = 0; m < c->count_modes; m++) {
				if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
					p->mode = c->modes[m];
					break;
				}
			}
		}
		drmModeFreeConnector(c);
	}
	return p->conn ? 0 : -ENOENT;
}

static int find_plane(struct kms_pipe *p)
{
	drmModePlaneResPtr pres = drmModeGetPlaneResources(p->fd);
	uint32_t i;

	if (!pres)
		return neg_errno();
	for (i = 0; i < pres->count_planes && !p->plane; i++) {
		drmModePlanePtr pl = drmModeGetPlane(p->fd, pres->planes[i]);
		uint64_t type = 0;

		if (!pl)
			continue;
		if ((pl->possible_crtcs & (1u << p->crtc_index)) &&
		    prop_id(p->fd, pl->plane_id, DRM_MODE_OBJECT_PLANE, "type",
			    &type) &&
		    type == DRM_PLANE_TYPE_PRIMARY)
			p->plane = pl->plane_id;
		drmModeFreePlane(pl);
	}
	drmModeFreePlaneResources(pres);
	return p->plane ? 0 : -ENOENT;
}

int kms_pipe_open(struct kms_pipe *p, const char *driver)
{
	drmModeResPtr res;
	int ret;

	memset(p, 0, sizeof(*p));
	p->crc_fd = -1;
	p->fd = ionode_open_driver(driver, DRM_NODE_PRIMARY);
	if (p->fd < 0)
		return p->fd;
	if (drmSetMaster(p->fd) ||
	    drmSetClientCap(p->fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) ||
	    drmSetClientCap(p->fd, DRM_CLIENT_CAP_ATOMIC, 1)) {
		ret = neg_errno();
		goto err;
	}
	/* Without writeback connectors the pipe still displays. */
	drmSetClientCap(p->fd, DRM_CLIENT_CAP_WRITEBACK_CONNECTORS, 1);

	res = drmModeGetResources(p->fd);
	if (!res) {
		ret = neg_errno();
		goto err;
	}
	ret = -ENOENT;
	if (res->count_crtcs >= 1) {
		p->crtc = res->crtcs[0];
		p->crtc_index = 0;
		ret = find_connectors(p, res);
	}
	drmModeFreeResources(res);
	if (!ret)
		ret = find_plane(p);
	if (!ret)
		return 0;
err:
	close(p->fd);
	p->fd = -1;
	return ret;
}

void kms_pipe_close(struct kms_pipe *p)
{
	if (p->fd < 0)
		return;
	kms_pipe_crc_stop(p);
	kms_pipe_off(p);
	close(p->fd);
	p->fd = -1;
}

int kms_pipe_add_fb(struct kms_pipe *p, int dmabuf, uint32_t width,
		    uint32_t height, uint32_t format, uint32_t pitch,
		    uint32_t offset, uint32_t *fb)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t handle, id;
	int ret;

	if (drmPrimeFDToHandle(p->fd, dmabuf, &handle))
		return neg_errno();
	handles[0] = handle;
	pitches[0] = pitch;
	offsets[0] = offset;
	ret = drmModeAddFB2(p->fd, width, height, format, handles, pitches,
			    offsets, &id, 0) ? neg_errno() : 0;
	/* The framebuffer holds the buffer; the handle is not needed. */
	drmCloseBufferHandle(p->fd, handle);
	if (!ret)
		*fb = id;
	return ret;
}

int kms_pipe_rm_fb(struct kms_pipe *p, uint32_t fb)
{
	return drmModeRmFB(p->fd, fb) ? neg_errno() : 0;
}

int kms_pipe_dumb(struct kms_pipe *p, struct kms_dumb *d)
{
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };
	uint32_t w = p->mode.hdisplay, h = p->mode.vdisplay;
	struct kms_dumb n = { 0 };
	uint64_t off;
	int ret;

	if (drmModeCreateDumbBuffer(p->fd, w, h, 32, 0, &n.handle, &n.pitch,
				    &n.size))
		return neg_errno();
	handles[0] = n.handle;
	pitches[0] = n.pitch;
	if (drmModeAddFB2(p->fd, w, h, DRM_FORMAT_XRGB8888, handles, pitches,
			  offsets, &n.fb, 0)) {
		ret = neg_errno();
		goto err_destroy;
	}
	if (drmModeMapDumbBuffer(p->fd, n.handle, &off)) {
		ret = neg_errno();
		goto err_rmfb;
	}
	n.map = mmap(NULL, n.size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
		     (off_t)off);
	if (n.map == MAP_FAILED) {
		ret = neg_errno();
		goto err_rmfb;
	}
	*d = n;
	return 0;

err_rmfb:
	drmModeRmFB(p->fd, n.fb);
err_destroy:
	drmModeDestroyDumbBuffer(p->fd, n.handle);
	return ret;
}

void kms_pipe_dumb_free(struct kms_pipe *p, struct kms_dumb *d)
{
	if (d->map)
		munmap(d->map, d->size);
	if (d->fb)
		drmModeRmFB(p->fd, d->fb);
	if (d->handle)
		drmModeDestroyDumbBuffer(p->fd, d->handle);
	memset(d, 0, sizeof(*d));
}

/* The primary plane shows @fb across the whole CRTC. */
static int add_plane(struct kms_pipe *p, drmModeAtomicReqPtr req, uint32_t fb)
{
	uint64_t w = p->mode.hdisplay, h = p->mode.vdisplay;

	return PLANE(p, req, "FB_ID", fb) ?:
	       PLANE(p, req, "CRTC_ID", p->crtc) ?:
	       PLANE(p, req, "SRC_X", 0) ?: PLANE(p, req, "SRC_Y", 0) ?:
	       PLANE(p, req, "SRC_W", w << 16) ?:
	       PLANE(p, req, "SRC_H", h << 16) ?:
	       PLANE(p, req, "CRTC_X", 0) ?: PLANE(p, req, "CRTC_Y", 0) ?:
	       PLANE(p, req, "CRTC_W", w) ?: PLANE(p, req, "CRTC_H", h);
}

/* The CRTC on, in the pipe's mode; @blob receives the mode's blob. */
static int add_modeset(struct kms_pipe *p, drmModeAtomicReqPtr req,
		       uint32_t *blob)
{
	if (drmModeCreatePropertyBlob(p->fd, &p->mode, sizeof(p->mode), blob))
		return neg_errno();
	return CRTC(p, req, "MODE_ID", *blob) ?: CRTC(p, req, "ACTIVE", 1);
}

static int commit(struct kms_pipe *p, drmModeAtomicReqPtr req,
		  uint32_t flags, void *user)
{
	return drmModeAtomicCommit(p->fd, req, flags, user) ? neg_errno() : 0;
}

int kms_pipe_show(struct kms_pipe *p, uint32_t fb, unsigned int flags,
		  void *user)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	uint32_t cflags = 0, blob = 0;
	int ret;

	if (!req)
		return -ENOMEM;
	ret = add_plane(p, req, fb);
	if (!ret && !p->lit) {
		ret = add_modeset(p, req, &blob) ?:
		      CONN(p, req, p->conn, "CRTC_ID", p->crtc);
		if (!ret && p->wb)
			ret = CONN(p, req, p->wb, "CRTC_ID", 0);
		cflags |= DRM_MODE_ATOMIC_ALLOW_MODESET;
	}
	if (flags & KMS_PIPE_NONBLOCK)
		cflags |= DRM_MODE_ATOMIC_NONBLOCK | DRM_MODE_PAGE_FLIP_EVENT;
	if (!ret)
		ret = commit(p, req, cflags, user);
	if (!ret)
		p->lit = 1;
	drmModeAtomicFree(req);
	if (blob)
		drmModeDestroyPropertyBlob(p->fd, blob);
	return ret;
}

int kms_pipe_wait_flip(struct kms_pipe *p, int timeout_ms,
		       uint32_t *sequence, void **user)
{
	struct drm_event_vblank ev;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	/*
	 * One event per read: drmHandleEvent() would consume every queued
	 * event in one go and lose all but the last one's payload for us.
	 */
	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return neg_errno();
	if (!ret)
		return -ETIMEDOUT;
	n = read(p->fd, &ev, sizeof(ev));
	if (n < 0)
		return neg_errno();
	if ((size_t)n < sizeof(ev) || ev.base.type != DRM_EVENT_FLIP_COMPLETE)
		return -EPROTO;
	if (sequence)
		*sequence = ev.sequence;
	if (user)
		*user = (void *)(uintptr_t)ev.user_data;
	return 0;
}

int kms_pipe_off(struct kms_pipe *p)
{
	drmModeAtomicReqPtr req = drmModeAtomicAlloc();
	int ret;

	if (!req)
		return -ENOMEM;
	ret = PLANE(p, req, "FB_ID", 0) ?: PLANE(p, req, "CRTC_ID", 0) ?:
	      CONN(p, req, p->conn, "CRTC_ID", 0) ?:
	      CRTC(p, req, "ACTIVE", 0) ?: CRTC(p, req, "MODE_ID", 0);
	if (!ret && p->wb)
		ret = CONN(p, req, p->wb, "CRTC_ID", 0);
	if (!ret)
		ret = commit(p, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	drmModeAtomicFree(req);
	p->lit = 0;
	return ret;
}

int kms_pipe_writeback(struct kms_pipe *p, uint32_t src_fb, uint32_t dst_fb,
		       int timeout_ms)
{
	drmModeAtomicReqPtr req;
	struct pollfd pfd = { .events = POLLIN };
	int32_t fence = -1;
	uint32_t blob = 0;
	int ret;

	if (!p->wb)
		return -ENOTSUP;
	req = drmModeAtomicAlloc();
	if (!req)
		return -ENOMEM;
	/*
	 * vkms' encoders cannot clone each other in 6.1: the writeback
	 * connector drives the CRTC alone, the display connector lets go.
	 */
	ret = add_modeset(p, req, &blob) ?:
	      CONN(p, req, p->conn, "CRTC_ID", 0) ?:
	      add_plane(p, req, src_fb) ?:
	      CONN(p, req, p->wb, "CRTC_ID", p->crtc) ?:
	      CONN(p, req, p->wb, "WRITEBACK_FB_ID", dst_fb) ?:
	      CONN(p, req, p->wb, "WRITEBACK_OUT_FENCE_PTR",
		   (uint64_t)(uintptr_t)&fence);
	if (!ret)
		ret = commit(p, req, DRM_MODE_ATOMIC_ALLOW_MODESET, NULL);
	drmModeAtomicFree(req);
	if (blob)
		drmModeDestroyPropertyBlob(p->fd, blob);
	p->lit = 0;
	if (ret)
		return ret;
	if (fence < 0)
		return -EPROTO;
	pfd.fd = fence;
	ret = poll(&pfd, 1, timeout_ms);
	ret = ret < 0 ? neg_errno() : ret ? 0 : -ETIMEDOUT;
	close(fence);
	return ret;
}

/* "/sys/kernel/debug/dri/MINOR/crtc-N/crc/@file" for the pipe's device. */
static int crc_path(struct kms_pipe *p, const char *file, char *buf,
		    size_t len)
{
	struct stat st;

	if (fstat(p->fd, &st))
		return neg_errno();
	if ((size_t)snprintf(buf, len, "/sys/kernel/debug/dri/%u/crtc-%u/crc/%s",
			     minor(st.st_rdev), p->crtc_index, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int kms_pipe_crc_start(struct kms_pipe *p)
{
	char path[128];
	int fd, ret;

	if (p->crc_fd >= 0)
		return 0;
	ret = crc_path(p, "control", path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	ret = write(fd, "auto", 4) == 4 ? 0 : neg_errno();
	close(fd);
	if (ret)
		return ret;
	ret = crc_path(p, "data", path, sizeof(path));
	if (ret)
		return ret;
	/* Opening crc/data starts the capture. */
	p->crc_fd = open(path, O_RDONLY | O_CLOEXEC);
	return p->crc_fd < 0 ? neg_errno() : 0;
}

int kms_pipe_crc_get(struct kms_pipe *p, uint32_t min_frame, uint32_t *frame,
		     uint32_t *crc)
{
	/*
	 * "0x%08x 0x%08x\n\0": the frame and the CRC values (vkms gives
	 * one); a read must offer room for a whole entry.
	 */
	char line[128];
	unsigned int f, c;
	ssize_t n;

	if (p->crc_fd < 0)
		return -EINVAL;
	for (;;) {
		struct pollfd pfd = { .fd = p->crc_fd, .events = POLLIN };
		int ret = poll(&pfd, 1, KMS_PIPE_CRC_TIMEOUT_MS);

		if (ret < 0 && errno != EINTR)
			return neg_errno();
		if (!ret)
			return -ETIMEDOUT;	/* the CRTC stopped composing */
		/* crc/data hands out whole lines only. */
		n = read(p->crc_fd, line, sizeof(line) - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		line[n] = '\0';
		if (sscanf(line, "%x %x", &f, &c) != 2)
			return -EPROTO;
		/* Compare as a wrapping sequence. */
		if ((int32_t)(f - min_frame) >= 0)
			break;
	}
	if (frame)
		*frame = f;
	*crc = c;
	return 0;
}

void kms_pipe_crc_stop(struct kms_pipe *p)
{
	if (p->crc_fd >= 0)
		close(p->crc_fd);
	p->crc_fd = -1;
}

int kms_pipe_vblank(struct kms_pipe *p, uint32_t *sequence)
{
	drmVBlank vbl = { 0 };

	vbl.request.type = DRM_VBLANK_RELATIVE;
	if (p->crtc_index)
		vbl.request.type |= (p->crtc_index << DRM_VBLANK_HIGH_CRTC_SHIFT) &
				    DRM_VBLANK_HIGH_CRTC_MASK;
	if (drmWaitVBlank(p->fd, &vbl))
		return neg_errno();
	*sequence = vbl.reply.sequence;
	return 0;
}
