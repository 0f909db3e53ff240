// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_m2m V4L2 interface: the video node of one test device instance.
 *
 * A mem2mem node (V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING) modelled on
 * vim2m, without v4l2-mem2mem (which Debian's kernel does not build): each
 * open file is a context with its own OUTPUT and CAPTURE vb2 queues, and
 * the ioctls and poll/mmap dispatch to them by buffer type, as
 * v4l2-mem2mem would. MMAP offsets of CAPTURE buffers are moved up by
 * IONODE_M2M_CAP_OFFSET so mmap() can tell the queues apart.
 *
 * Both queues use ionode_vb2_memops with the instance's platform device:
 * MMAP buffers come from ionode, charged to an ionode client opened for
 * each open file (so the opener's limits and heap restrictions apply),
 * DMABUF buffers are checked against the instance's declared DMA
 * constraints at QBUF. USERPTR is not offered.
 */
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>

#include "ionode.h"
#include "ionode_m2m.h"
#include "ionode_vb2.h"

#define MIN_W		16
#define MIN_H		16
#define MAX_W		1920
#define MAX_H		1088
#define WIDTH_ALIGN	2	/* YUYV packs two pixels */
#define DEF_W		320
#define DEF_H		240

/*
 * Largest plane a queue's buffers may have: the largest frame (MAX_W x
 * MAX_H at the deepest format, 24 bits per pixel) rounded up to 1 MiB.
 * VIDIOC_CREATE_BUFS may ask for more than the format needs, not more.
 */
#define MAX_DEPTH	24
#define MAX_PLANE	ALIGN(MAX_W * MAX_H * MAX_DEPTH / 8, SZ_1M)

/*
 * Total of one queue's MMAP buffers, counting those it already has, each
 * rounded up to pages as vb2 lays out their mmap offsets.
 */
#define QUEUE_MEM_LIMIT	(64U << 20)

/*
 * CAPTURE MMAP offsets are moved up by this much: OUTPUT offsets, which
 * end at most at QUEUE_MEM_LIMIT, stay below it, and both stay below
 * 4 GiB (v4l2_buffer.m.offset is 32 bits).
 */
#define IONODE_M2M_CAP_OFFSET	BIT(30)

static_assert(MAX_PLANE <= QUEUE_MEM_LIMIT);
static_assert(QUEUE_MEM_LIMIT <= IONODE_M2M_CAP_OFFSET);
static_assert((u64)IONODE_M2M_CAP_OFFSET + QUEUE_MEM_LIMIT <= U32_MAX);

static const struct ionode_m2m_fmt formats[] = {
	{ .fourcc = V4L2_PIX_FMT_RGB24, .depth = 24 },
	{ .fourcc = V4L2_PIX_FMT_BGR24, .depth = 24 },
	{ .fourcc = V4L2_PIX_FMT_YUYV, .depth = 16 },
	{ .fourcc = V4L2_PIX_FMT_GREY, .depth = 8 },
};

static const struct ionode_m2m_fmt *find_format(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

static struct ionode_m2m_ctx *file2ctx(struct file *file)
{
	return container_of(file->private_data, struct ionode_m2m_ctx, fh);
}

static struct vb2_queue *ctx_queue(struct ionode_m2m_ctx *ctx, u32 type)
{
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_OUTPUT:
		return &ctx->out_q;
	case V4L2_BUF_TYPE_VIDEO_CAPTURE:
		return &ctx->cap_q;
	default:
		return NULL;
	}
}

static struct ionode_m2m_q_data *ctx_q_data(struct ionode_m2m_ctx *ctx,
					    u32 type)
{
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_OUTPUT:
		return &ctx->q_data[IONODE_M2M_OUT];
	case V4L2_BUF_TYPE_VIDEO_CAPTURE:
		return &ctx->q_data[IONODE_M2M_CAP];
	default:
		return NULL;
	}
}

/* ---- format ioctls -------------------------------------------------------- */

static int ionode_m2m_querycap(struct file *file, void *priv,
			       struct v4l2_capability *cap)
{
	struct ionode_m2m_dev *mdev = video_drvdata(file);

	strscpy(cap->driver, KBUILD_MODNAME, sizeof(cap->driver));
	strscpy(cap->card, mdev->name, sizeof(cap->card));
	snprintf(cap->bus_info, sizeof(cap->bus_info), "platform:%s",
		 dev_name(mdev->dev));
	return 0;
}

static int ionode_m2m_enum_fmt(struct file *file, void *priv,
			       struct v4l2_fmtdesc *f)
{
	if (f->index >= ARRAY_SIZE(formats))
		return -EINVAL;
	f->pixelformat = formats[f->index].fourcc;
	return 0;
}

static int ionode_m2m_enum_framesizes(struct file *file, void *priv,
				      struct v4l2_frmsizeenum *fsize)
{
	if (fsize->index || !find_format(fsize->pixel_format))
		return -EINVAL;

	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	fsize->stepwise.min_width = MIN_W;
	fsize->stepwise.max_width = MAX_W;
	fsize->stepwise.step_width = WIDTH_ALIGN;
	fsize->stepwise.min_height = MIN_H;
	fsize->stepwise.max_height = MAX_H;
	fsize->stepwise.step_height = 1;
	return 0;
}

static int ionode_m2m_g_fmt(struct file *file, void *priv,
			    struct v4l2_format *f)
{
	struct ionode_m2m_ctx *ctx = file2ctx(file);
	struct ionode_m2m_q_data *qd = ctx_q_data(ctx, f->type);
	struct v4l2_pix_format *pix = &f->fmt.pix;

	if (!qd)
		return -EINVAL;

	pix->width = qd->width;
	pix->height = qd->height;
	pix->field = V4L2_FIELD_NONE;
	pix->pixelformat = qd->fmt->fourcc;
	pix->bytesperline = qd->bytesperline;
	pix->sizeimage = qd->sizeimage;
	pix->colorspace = ctx->colorspace;
	pix->xfer_func = ctx->xfer_func;
	pix->ycbcr_enc = ctx->ycbcr_enc;
	pix->quantization = ctx->quant;
	return 0;
}

/* Clamp and align the size, fill in the derived fields. */
static void ionode_m2m_try_size(struct v4l2_pix_format *pix,
				const struct ionode_m2m_fmt *fmt)
{
	pix->width = clamp(pix->width, MIN_W, MAX_W) & ~(WIDTH_ALIGN - 1);
	pix->height = clamp(pix->height, MIN_H, MAX_H);
	pix->bytesperline = pix->width * fmt->depth / 8;
	pix->sizeimage = pix->bytesperline * pix->height;
	pix->field = V4L2_FIELD_NONE;
}

static const struct ionode_m2m_fmt *ionode_m2m_try_fmt_common(struct v4l2_format *f)
{
	const struct ionode_m2m_fmt *fmt = find_format(f->fmt.pix.pixelformat);

	if (!fmt) {
		fmt = &formats[0];
		f->fmt.pix.pixelformat = fmt->fourcc;
	}
	ionode_m2m_try_size(&f->fmt.pix, fmt);
	return fmt;
}

static int ionode_m2m_try_fmt_vid_cap(struct file *file, void *priv,
				      struct v4l2_format *f)
{
	struct ionode_m2m_ctx *ctx = file2ctx(file);

	ionode_m2m_try_fmt_common(f);
	/* The device does not convert colorimetry: it follows OUTPUT. */
	f->fmt.pix.colorspace = ctx->colorspace;
	f->fmt.pix.xfer_func = ctx->xfer_func;
	f->fmt.pix.ycbcr_enc = ctx->ycbcr_enc;
	f->fmt.pix.quantization = ctx->quant;
	return 0;
}

static int ionode_m2m_try_fmt_vid_out(struct file *file, void *priv,
				      struct v4l2_format *f)
{
	ionode_m2m_try_fmt_common(f);
	if (!f->fmt.pix.colorspace)
		f->fmt.pix.colorspace = V4L2_COLORSPACE_SRGB;
	return 0;
}

static int ionode_m2m_s_fmt(struct ionode_m2m_ctx *ctx, struct v4l2_format *f)
{
	struct ionode_m2m_q_data *qd = ctx_q_data(ctx, f->type);
	struct vb2_queue *q = ctx_queue(ctx, f->type);

	if (!qd || !q)
		return -EINVAL;
	if (vb2_is_busy(q))
		return -EBUSY;

	qd->fmt = find_format(f->fmt.pix.pixelformat);
	qd->width = f->fmt.pix.width;
	qd->height = f->fmt.pix.height;
	qd->bytesperline = f->fmt.pix.bytesperline;
	qd->sizeimage = f->fmt.pix.sizeimage;
	return 0;
}

static int ionode_m2m_s_fmt_vid_cap(struct file *file, void *priv,
				    struct v4l2_format *f)
{
	int ret = ionode_m2m_try_fmt_vid_cap(file, priv, f);

	return ret ? ret : ionode_m2m_s_fmt(file2ctx(file), f);
}

static int ionode_m2m_s_fmt_vid_out(struct file *file, void *priv,
				    struct v4l2_format *f)
{
	struct ionode_m2m_ctx *ctx = file2ctx(file);
	int ret;

	ret = ionode_m2m_try_fmt_vid_out(file, priv, f);
	if (!ret)
		ret = ionode_m2m_s_fmt(ctx, f);
	if (!ret) {
		ctx->colorspace = f->fmt.pix.colorspace;
		ctx->xfer_func = f->fmt.pix.xfer_func;
		ctx->ycbcr_enc = f->fmt.pix.ycbcr_enc;
		ctx->quant = f->fmt.pix.quantization;
	}
	return ret;
}

/* ---- buffer ioctls -------------------------------------------------------- */

/* CAPTURE MMAP offsets live above IONODE_M2M_CAP_OFFSET (see mmap). */
static void ionode_m2m_adjust_offset(struct vb2_queue *q, struct v4l2_buffer *b)
{
	if (b->memory == V4L2_MEMORY_MMAP && !q->is_output)
		b->m.offset += IONODE_M2M_CAP_OFFSET;
}

static int ionode_m2m_reqbufs(struct file *file, void *priv,
			      struct v4l2_requestbuffers *rb)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), rb->type);

	return q ? vb2_reqbufs(q, rb) : -EINVAL;
}

static int ionode_m2m_create_bufs(struct file *file, void *priv,
				  struct v4l2_create_buffers *cb)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), cb->format.type);

	return q ? vb2_create_bufs(q, cb) : -EINVAL;
}

static int ionode_m2m_querybuf(struct file *file, void *priv,
			       struct v4l2_buffer *b)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_querybuf(q, b);
	if (!ret)
		ionode_m2m_adjust_offset(q, b);
	return ret;
}

static int ionode_m2m_qbuf(struct file *file, void *priv,
			   struct v4l2_buffer *b)
{
	struct video_device *vdev = video_devdata(file);
	struct vb2_queue *q = ctx_queue(file2ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_qbuf(q, vdev->v4l2_dev->mdev, b);
	if (!ret)
		ionode_m2m_adjust_offset(q, b);
	return ret;
}

static int ionode_m2m_dqbuf(struct file *file, void *priv,
			    struct v4l2_buffer *b)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_dqbuf(q, b, file->f_flags & O_NONBLOCK);
	if (!ret)
		ionode_m2m_adjust_offset(q, b);
	return ret;
}

static int ionode_m2m_prepare_buf(struct file *file, void *priv,
				  struct v4l2_buffer *b)
{
	struct video_device *vdev = video_devdata(file);
	struct vb2_queue *q = ctx_queue(file2ctx(file), b->type);
	int ret;

	if (!q)
		return -EINVAL;
	ret = vb2_prepare_buf(q, vdev->v4l2_dev->mdev, b);
	if (!ret)
		ionode_m2m_adjust_offset(q, b);
	return ret;
}

static int ionode_m2m_expbuf(struct file *file, void *priv,
			     struct v4l2_exportbuffer *eb)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), eb->type);

	return q ? vb2_expbuf(q, eb) : -EINVAL;
}

static int ionode_m2m_streamon(struct file *file, void *priv,
			       enum v4l2_buf_type type)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), type);

	return q ? vb2_streamon(q, type) : -EINVAL;
}

static int ionode_m2m_streamoff(struct file *file, void *priv,
				enum v4l2_buf_type type)
{
	struct vb2_queue *q = ctx_queue(file2ctx(file), type);

	return q ? vb2_streamoff(q, type) : -EINVAL;
}

static const struct v4l2_ioctl_ops ionode_m2m_ioctl_ops = {
	.vidioc_querycap		= ionode_m2m_querycap,
	.vidioc_enum_fmt_vid_cap	= ionode_m2m_enum_fmt,
	.vidioc_enum_fmt_vid_out	= ionode_m2m_enum_fmt,
	.vidioc_enum_framesizes		= ionode_m2m_enum_framesizes,
	.vidioc_g_fmt_vid_cap		= ionode_m2m_g_fmt,
	.vidioc_g_fmt_vid_out		= ionode_m2m_g_fmt,
	.vidioc_try_fmt_vid_cap		= ionode_m2m_try_fmt_vid_cap,
	.vidioc_try_fmt_vid_out		= ionode_m2m_try_fmt_vid_out,
	.vidioc_s_fmt_vid_cap		= ionode_m2m_s_fmt_vid_cap,
	.vidioc_s_fmt_vid_out		= ionode_m2m_s_fmt_vid_out,
	.vidioc_reqbufs			= ionode_m2m_reqbufs,
	.vidioc_create_bufs		= ionode_m2m_create_bufs,
	.vidioc_querybuf		= ionode_m2m_querybuf,
	.vidioc_qbuf			= ionode_m2m_qbuf,
	.vidioc_dqbuf			= ionode_m2m_dqbuf,
	.vidioc_prepare_buf		= ionode_m2m_prepare_buf,
	.vidioc_expbuf			= ionode_m2m_expbuf,
	.vidioc_streamon		= ionode_m2m_streamon,
	.vidioc_streamoff		= ionode_m2m_streamoff,
};

/* ---- vb2 queue operations ------------------------------------------------- */

/* Bytes of MMAP buffers @q already has, as vb2 lays out their offsets. */
static u64 ionode_m2m_queue_mem(struct vb2_queue *q)
{
	u64 total = 0;
	unsigned int i, p;

	for (i = 0; i < q->num_buffers; i++)
		for (p = 0; p < q->bufs[i]->num_planes; p++)
			total += PAGE_ALIGN(q->bufs[i]->planes[p].length);
	return total;
}

/*
 * REQBUFS (*nplanes == 0) gets the format's frame size; CREATE_BUFS
 * (*nplanes set by vb2 from the format userspace passed) may ask for
 * larger planes, up to MAX_PLANE. MMAP buffers are limited to
 * QUEUE_MEM_LIMIT per queue, those the queue already has included:
 * fewer buffers than asked for, or ENOMEM when not even one fits. This
 * also keeps every OUTPUT mmap offset below IONODE_M2M_CAP_OFFSET.
 */
static int ionode_m2m_queue_setup(struct vb2_queue *q, unsigned int *nbuffers,
				  unsigned int *nplanes, unsigned int sizes[],
				  struct device *alloc_devs[])
{
	struct ionode_m2m_ctx *ctx = vb2_get_drv_priv(q);
	struct device *dev = ctx->mdev->dev;
	unsigned int size = ctx_q_data(ctx, q->type)->sizeimage;
	u64 used, plane, room;

	if (*nplanes) {
		if (*nplanes != 1 || sizes[0] < size) {
			dev_dbg(dev, "%u planes of %u bytes, the format needs 1 of %u\n",
				*nplanes, sizes[0], size);
			return -EINVAL;
		}
		size = sizes[0];
	}
	if (size > MAX_PLANE) {
		dev_dbg(dev, "planes of %u bytes, the largest frame takes %lu\n",
			size, (unsigned long)MAX_PLANE);
		return -EINVAL;
	}

	if (q->memory == VB2_MEMORY_MMAP) {
		used = ionode_m2m_queue_mem(q);
		plane = PAGE_ALIGN(size);
		room = used < QUEUE_MEM_LIMIT ? QUEUE_MEM_LIMIT - used : 0;
		if (room < plane) {
			dev_dbg(dev, "queue holds %llu bytes, no room for %llu more (limit %u)\n",
				used, plane, QUEUE_MEM_LIMIT);
			return -ENOMEM;
		}
		*nbuffers = min_t(u64, *nbuffers, div64_u64(room, plane));
	}

	*nplanes = 1;
	sizes[0] = size;
	return 0;
}

static int ionode_m2m_buf_out_validate(struct vb2_buffer *vb)
{
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);

	if (vbuf->field == V4L2_FIELD_ANY)
		vbuf->field = V4L2_FIELD_NONE;
	return vbuf->field == V4L2_FIELD_NONE ? 0 : -EINVAL;
}

static int ionode_m2m_buf_prepare(struct vb2_buffer *vb)
{
	struct ionode_m2m_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct ionode_m2m_q_data *qd = ctx_q_data(ctx, vb->vb2_queue->type);
	int ret;

	if (vb2_plane_size(vb, 0) < qd->sizeimage) {
		dev_dbg(ctx->mdev->dev, "plane of %lu bytes, the frame needs %u\n",
			vb2_plane_size(vb, 0), qd->sizeimage);
		return -EINVAL;
	}
	/* bytesused, length and data_offset within the plane really mapped. */
	ret = ionode_vb2_check_payload(vb);
	if (ret)
		return ret;
	if (!vb->vb2_queue->is_output)
		vb2_set_plane_payload(vb, 0, qd->sizeimage);
	return 0;
}

static void ionode_m2m_buf_queue(struct vb2_buffer *vb)
{
	ionode_m2m_job_queue(vb2_get_drv_priv(vb->vb2_queue),
			     to_vb2_v4l2_buffer(vb));
}

static int ionode_m2m_start_streaming(struct vb2_queue *q, unsigned int count)
{
	ionode_m2m_job_start(vb2_get_drv_priv(q), q);
	return 0;
}

static void ionode_m2m_stop_streaming(struct vb2_queue *q)
{
	ionode_m2m_job_stop(vb2_get_drv_priv(q), q);
}

static const struct vb2_ops ionode_m2m_qops = {
	.queue_setup		= ionode_m2m_queue_setup,
	.buf_out_validate	= ionode_m2m_buf_out_validate,
	.buf_prepare		= ionode_m2m_buf_prepare,
	.buf_queue		= ionode_m2m_buf_queue,
	.start_streaming	= ionode_m2m_start_streaming,
	.stop_streaming		= ionode_m2m_stop_streaming,
	.wait_prepare		= vb2_ops_wait_prepare,
	.wait_finish		= vb2_ops_wait_finish,
};

static int ionode_m2m_queue_init(struct ionode_m2m_ctx *ctx,
				 struct vb2_queue *q, u32 type)
{
	int ret;

	q->type = type;
	q->io_modes = VB2_MMAP | VB2_DMABUF;
	q->drv_priv = ctx;
	q->buf_struct_size = sizeof(struct ionode_m2m_buffer);
	q->ops = &ionode_m2m_qops;
	q->mem_ops = &ionode_vb2_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	q->lock = &ctx->mdev->lock;
	q->dev = ctx->mdev->dev;
	/*
	 * The device's engine is the CPU, which reads the OUTPUT buffer and
	 * writes the CAPTURE buffer through their kernel mappings while they
	 * are DMA-mapped. Mapped one way only, a bounced (swiotlb) CAPTURE
	 * buffer would be copied back over those writes at unmap, and the CPU
	 * access brackets could not sync the mappings in the direction they
	 * were made with: both queues map both ways.
	 */
	q->bidirectional = true;
	ret = vb2_queue_init(q);
	if (ret)
		return ret;
	/* MMAP buffers are the opener's, charged to the opener. */
	return ionode_vb2_queue_set_client(q, ctx->client);
}

/* Undoes ionode_m2m_open() once the queues are released or never were. */
static void ionode_m2m_ctx_free(struct ionode_m2m_ctx *ctx)
{
	ionode_vb2_queue_set_client(&ctx->out_q, NULL);
	ionode_vb2_queue_set_client(&ctx->cap_q, NULL);
	ionode_m2m_job_fini(ctx);
	ionode_client_close(ctx->client);
	v4l2_fh_exit(&ctx->fh);
	kfree(ctx);
}

/* ---- file operations ------------------------------------------------------ */

static int ionode_m2m_open(struct file *file)
{
	struct ionode_m2m_dev *mdev = video_drvdata(file);
	struct ionode_m2m_ctx *ctx;
	unsigned int i;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	/*
	 * The client stands for the task opening the node: MMAP buffers
	 * count against its limits, wherever the fd goes afterwards.
	 */
	ctx->client = ionode_client_open(mdev->name);
	if (IS_ERR(ctx->client)) {
		ret = PTR_ERR(ctx->client);
		kfree(ctx);
		return ret;
	}
	ctx->mdev = mdev;
	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;

	for (i = 0; i < ARRAY_SIZE(ctx->q_data); i++) {
		struct ionode_m2m_q_data *qd = &ctx->q_data[i];

		qd->fmt = &formats[0];
		qd->width = DEF_W;
		qd->height = DEF_H;
		qd->bytesperline = DEF_W * qd->fmt->depth / 8;
		qd->sizeimage = qd->bytesperline * DEF_H;
	}
	ctx->colorspace = V4L2_COLORSPACE_SRGB;
	ionode_m2m_job_init(ctx);

	ret = ionode_m2m_queue_init(ctx, &ctx->out_q, V4L2_BUF_TYPE_VIDEO_OUTPUT);
	if (!ret)
		ret = ionode_m2m_queue_init(ctx, &ctx->cap_q,
					    V4L2_BUF_TYPE_VIDEO_CAPTURE);
	if (ret) {
		/* No buffers yet: nothing for vb2 to release. */
		ionode_m2m_ctx_free(ctx);
		return ret;
	}
	v4l2_fh_add(&ctx->fh);
	return 0;
}

static int ionode_m2m_release(struct file *file)
{
	struct ionode_m2m_dev *mdev = video_drvdata(file);
	struct ionode_m2m_ctx *ctx = file2ctx(file);

	mutex_lock(&mdev->lock);
	vb2_queue_release(&ctx->out_q);
	vb2_queue_release(&ctx->cap_q);
	mutex_unlock(&mdev->lock);
	v4l2_fh_del(&ctx->fh);
	ionode_m2m_ctx_free(ctx);
	return 0;
}

/* As v4l2_m2m_poll(): OUTPUT buffers to dequeue are EPOLLOUT, CAPTURE EPOLLIN. */
static __poll_t ionode_m2m_poll(struct file *file, poll_table *wait)
{
	struct ionode_m2m_ctx *ctx = file2ctx(file);
	struct vb2_queue *src = &ctx->out_q, *dst = &ctx->cap_q;
	__poll_t req_events = poll_requested_events(wait);
	__poll_t rc = 0;
	unsigned long flags;

	poll_wait(file, &src->done_wq, wait);
	poll_wait(file, &dst->done_wq, wait);

	if (req_events & (EPOLLOUT | EPOLLWRNORM | EPOLLIN | EPOLLRDNORM)) {
		if ((!vb2_is_streaming(src) || src->error ||
		     list_empty(&src->queued_list)) &&
		    (!vb2_is_streaming(dst) || dst->error ||
		     list_empty(&dst->queued_list)))
			return EPOLLERR;

		mutex_lock(&ctx->done_lock);
		spin_lock_irqsave(&src->done_lock, flags);
		if (!list_empty(&src->done_list))
			rc |= EPOLLOUT | EPOLLWRNORM;
		spin_unlock_irqrestore(&src->done_lock, flags);

		spin_lock_irqsave(&dst->done_lock, flags);
		if (!list_empty(&dst->done_list))
			rc |= EPOLLIN | EPOLLRDNORM;
		spin_unlock_irqrestore(&dst->done_lock, flags);
		mutex_unlock(&ctx->done_lock);
	}

	poll_wait(file, &ctx->fh.wait, wait);
	if (v4l2_event_pending(&ctx->fh))
		rc |= EPOLLPRI;
	return rc;
}

static int ionode_m2m_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ionode_m2m_ctx *ctx = file2ctx(file);

	if (vma->vm_pgoff < (IONODE_M2M_CAP_OFFSET >> PAGE_SHIFT))
		return vb2_mmap(&ctx->out_q, vma);

	vma->vm_pgoff -= IONODE_M2M_CAP_OFFSET >> PAGE_SHIFT;
	return vb2_mmap(&ctx->cap_q, vma);
}

static const struct v4l2_file_operations ionode_m2m_fops = {
	.owner		= THIS_MODULE,
	.open		= ionode_m2m_open,
	.release	= ionode_m2m_release,
	.poll		= ionode_m2m_poll,
	.unlocked_ioctl	= video_ioctl2,
	.mmap		= ionode_m2m_mmap,
};

static void ionode_m2m_vdev_release(struct video_device *vdev)
{
	struct ionode_m2m_dev *mdev = container_of(vdev, struct ionode_m2m_dev,
						   vdev);

	v4l2_device_unregister(&mdev->v4l2_dev);
	destroy_workqueue(mdev->wq);
	mutex_destroy(&mdev->lock);
	kfree(mdev);
}

/**
 * ionode_m2m_dev_register - create the V4L2 device and video node of an
 *	instance
 * @mdev: the instance, allocated with kzalloc(); @mdev->dev and
 *	@mdev->name must be set. From here on @mdev belongs to the video
 *	node, which frees it when its last user goes, also on failure.
 *
 * Return: 0 or a negative errno.
 */
int ionode_m2m_dev_register(struct ionode_m2m_dev *mdev)
{
	struct video_device *vdev = &mdev->vdev;
	int ret;

	mutex_init(&mdev->lock);
	mdev->wq = alloc_ordered_workqueue("%s", 0, dev_name(mdev->dev));
	if (!mdev->wq) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = v4l2_device_register(mdev->dev, &mdev->v4l2_dev);
	if (ret)
		goto err_wq;

	strscpy(vdev->name, mdev->name, sizeof(vdev->name));
	vdev->vfl_dir = VFL_DIR_M2M;
	vdev->fops = &ionode_m2m_fops;
	vdev->ioctl_ops = &ionode_m2m_ioctl_ops;
	vdev->device_caps = V4L2_CAP_VIDEO_M2M | V4L2_CAP_STREAMING;
	vdev->lock = &mdev->lock;
	vdev->v4l2_dev = &mdev->v4l2_dev;
	vdev->release = ionode_m2m_vdev_release;
	video_set_drvdata(vdev, mdev);

	/* On failure, video_register_device() does not call ->release(). */
	ret = video_register_device(vdev, VFL_TYPE_VIDEO, -1);
	if (ret)
		goto err_v4l2;
	v4l2_info(&mdev->v4l2_dev, "%s registered as %s\n", mdev->name,
		  video_device_node_name(vdev));
	return 0;

err_v4l2:
	v4l2_device_unregister(&mdev->v4l2_dev);
err_wq:
	destroy_workqueue(mdev->wq);
err_free:
	mutex_destroy(&mdev->lock);
	kfree(mdev);
	return ret;
}

/**
 * ionode_m2m_dev_unregister - remove the video node of an instance
 * @mdev: the instance; freed once its last open file is closed
 */
void ionode_m2m_dev_unregister(struct ionode_m2m_dev *mdev)
{
	video_unregister_device(&mdev->vdev);
}
