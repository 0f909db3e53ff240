// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_m2m job scheduling and frame processing.
 *
 * The stock Debian kernel has no v4l2-mem2mem module, so the test device
 * schedules its own jobs: a context is ready when both of its queues are
 * streaming and each has a buffer; its work item then takes one buffer
 * from each, processes the frame and returns both, and queues itself again
 * while more are ready. The instance's workqueue is ordered, so contexts
 * take turns, one frame at a time.
 *
 * The transform: byte i of the CAPTURE payload is 255 minus byte i of the
 * OUTPUT payload (a photographic negative, whatever the pixel format);
 * OUTPUT bytes past its payload count as zero. The device has no DMA
 * engine: the CPU does the work through the planes' kernel mappings,
 * bracketed by ionode_vb2_begin_cpu_access()/ionode_vb2_end_cpu_access()
 * as any driver touching a dma-buf with the CPU must.
 */
#include <linux/dma-direction.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "ionode_m2m.h"
#include "ionode_vb2.h"

static struct ionode_m2m_buffer *to_m2m_buf(struct vb2_v4l2_buffer *vbuf)
{
	return container_of(vbuf, struct ionode_m2m_buffer, vb);
}

static struct ionode_m2m_q_data *job_q_data(struct ionode_m2m_ctx *ctx,
					    struct vb2_queue *q)
{
	return &ctx->q_data[q == &ctx->out_q ? IONODE_M2M_OUT : IONODE_M2M_CAP];
}

/* Caller holds job_lock. */
static bool job_ready(struct ionode_m2m_ctx *ctx)
{
	struct ionode_m2m_q_data *out = &ctx->q_data[IONODE_M2M_OUT];
	struct ionode_m2m_q_data *cap = &ctx->q_data[IONODE_M2M_CAP];

	return out->streaming && cap->streaming &&
	       !list_empty(&out->ready) && !list_empty(&cap->ready);
}

static void job_try_schedule(struct ionode_m2m_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->job_lock, flags);
	if (job_ready(ctx))
		queue_work(ctx->mdev->wq, &ctx->work);
	spin_unlock_irqrestore(&ctx->job_lock, flags);
}

/* out[i] = 255 - in[i]: a word at a time where both allow it. */
static void invert(u8 *out, const u8 *in, size_t len)
{
	size_t i = 0;

	if (IS_ALIGNED((unsigned long)out | (unsigned long)in, sizeof(long)))
		for (; i + sizeof(long) <= len; i += sizeof(long))
			*(unsigned long *)(out + i) = ~*(const unsigned long *)(in + i);
	for (; i < len; i++)
		out[i] = ~in[i];
}

/* Process one frame; returns false if the buffers could not be accessed. */
static bool job_process(struct ionode_m2m_ctx *ctx,
			struct vb2_v4l2_buffer *src, struct vb2_v4l2_buffer *dst)
{
	struct vb2_buffer *in_vb = &src->vb2_buf, *out_vb = &dst->vb2_buf;
	size_t out_len = ctx->q_data[IONODE_M2M_CAP].sizeimage;
	size_t in_len;
	const u8 *in;
	bool ok = false;
	u8 *out;

	/*
	 * buf_prepare() refused payloads and planes that do not fit what is
	 * mapped; clamp anyway, to the OUTPUT plane as well as to the frame:
	 * a plane's length is what was checked against its dma-buf, the
	 * payload is whatever userspace said.
	 */
	if (out_len > vb2_plane_size(out_vb, 0))
		return false;
	in_len = min3(vb2_get_plane_payload(in_vb, 0),
		      vb2_plane_size(in_vb, 0), out_len);

	in = vb2_plane_vaddr(in_vb, 0);
	out = vb2_plane_vaddr(out_vb, 0);
	if (!in || !out)
		return false;

	if (ionode_vb2_begin_cpu_access(in_vb, 0, DMA_FROM_DEVICE))
		return false;
	if (ionode_vb2_begin_cpu_access(out_vb, 0, DMA_TO_DEVICE))
		goto end_in;

	invert(out, in, in_len);
	memset(out + in_len, 0xff, out_len - in_len);
	vb2_set_plane_payload(out_vb, 0, out_len);
	ok = true;

	if (ionode_vb2_end_cpu_access(out_vb, 0, DMA_TO_DEVICE))
		ok = false;
end_in:
	ionode_vb2_end_cpu_access(in_vb, 0, DMA_FROM_DEVICE);
	return ok;
}

/* What a mem2mem device passes from an OUTPUT to its CAPTURE buffer. */
static void job_copy_metadata(const struct vb2_v4l2_buffer *src,
			      struct vb2_v4l2_buffer *dst)
{
	u32 mask = V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK |
		   V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
		   V4L2_BUF_FLAG_BFRAME;

	dst->vb2_buf.timestamp = src->vb2_buf.timestamp;
	if (src->flags & V4L2_BUF_FLAG_TIMECODE)
		dst->timecode = src->timecode;
	dst->field = src->field;
	dst->flags = (dst->flags & ~mask) | (src->flags & mask);
}

static void job_work(struct work_struct *work)
{
	struct ionode_m2m_ctx *ctx = container_of(work, struct ionode_m2m_ctx,
						  work);
	struct ionode_m2m_q_data *out = &ctx->q_data[IONODE_M2M_OUT];
	struct ionode_m2m_q_data *cap = &ctx->q_data[IONODE_M2M_CAP];
	struct ionode_m2m_buffer *src, *dst;
	enum vb2_buffer_state state;
	unsigned long flags;

	spin_lock_irqsave(&ctx->job_lock, flags);
	if (!job_ready(ctx)) {
		spin_unlock_irqrestore(&ctx->job_lock, flags);
		return;
	}
	src = list_first_entry(&out->ready, struct ionode_m2m_buffer, list);
	dst = list_first_entry(&cap->ready, struct ionode_m2m_buffer, list);
	list_del(&src->list);
	list_del(&dst->list);
	spin_unlock_irqrestore(&ctx->job_lock, flags);

	state = job_process(ctx, &src->vb, &dst->vb) ? VB2_BUF_STATE_DONE :
						       VB2_BUF_STATE_ERROR;
	if (state == VB2_BUF_STATE_ERROR)
		v4l2_err(&ctx->mdev->v4l2_dev, "cannot access the buffers of frame %u\n",
			 out->sequence);

	src->vb.sequence = out->sequence++;
	dst->vb.sequence = cap->sequence++;
	job_copy_metadata(&src->vb, &dst->vb);
	/*
	 * Both at once as poll() sees it: a poller never finds the OUTPUT
	 * buffer done without the frame made from it (v4l2-compliance
	 * relies on it), nor the other way round.
	 */
	mutex_lock(&ctx->done_lock);
	vb2_buffer_done(&dst->vb.vb2_buf, state);
	vb2_buffer_done(&src->vb.vb2_buf, state);
	mutex_unlock(&ctx->done_lock);

	job_try_schedule(ctx);
}

/**
 * ionode_m2m_job_init - set up the job state of a new context
 * @ctx: the context
 *
 * Undone by ionode_m2m_job_fini().
 */
void ionode_m2m_job_init(struct ionode_m2m_ctx *ctx)
{
	spin_lock_init(&ctx->job_lock);
	mutex_init(&ctx->done_lock);
	INIT_LIST_HEAD(&ctx->q_data[IONODE_M2M_OUT].ready);
	INIT_LIST_HEAD(&ctx->q_data[IONODE_M2M_CAP].ready);
	INIT_WORK(&ctx->work, job_work);
}

/**
 * ionode_m2m_job_fini - tear down the job state of a context
 * @ctx: the context, whose queues are released
 */
void ionode_m2m_job_fini(struct ionode_m2m_ctx *ctx)
{
	cancel_work_sync(&ctx->work);
	mutex_destroy(&ctx->done_lock);
}

/**
 * ionode_m2m_job_queue - &vb2_ops.buf_queue: a buffer is ready to process
 * @ctx: the context
 * @vbuf: the buffer, of one of @ctx's queues
 */
void ionode_m2m_job_queue(struct ionode_m2m_ctx *ctx,
			  struct vb2_v4l2_buffer *vbuf)
{
	struct ionode_m2m_q_data *qd = job_q_data(ctx, vbuf->vb2_buf.vb2_queue);
	unsigned long flags;

	spin_lock_irqsave(&ctx->job_lock, flags);
	list_add_tail(&to_m2m_buf(vbuf)->list, &qd->ready);
	spin_unlock_irqrestore(&ctx->job_lock, flags);
	job_try_schedule(ctx);
}

/**
 * ionode_m2m_job_start - &vb2_ops.start_streaming: jobs may run
 * @ctx: the context
 * @q: the queue that starts streaming
 */
void ionode_m2m_job_start(struct ionode_m2m_ctx *ctx, struct vb2_queue *q)
{
	struct ionode_m2m_q_data *qd = job_q_data(ctx, q);
	unsigned long flags;

	spin_lock_irqsave(&ctx->job_lock, flags);
	qd->sequence = 0;
	qd->streaming = true;
	spin_unlock_irqrestore(&ctx->job_lock, flags);
	job_try_schedule(ctx);
}

/**
 * ionode_m2m_job_stop - &vb2_ops.stop_streaming: no more jobs
 * @ctx: the context
 * @q: the queue that stops streaming
 *
 * Waits for the frame in progress, then gives the queue's unprocessed
 * buffers back with VB2_BUF_STATE_ERROR.
 */
void ionode_m2m_job_stop(struct ionode_m2m_ctx *ctx, struct vb2_queue *q)
{
	struct ionode_m2m_q_data *qd = job_q_data(ctx, q);
	struct ionode_m2m_buffer *buf, *tmp;
	unsigned long flags;
	LIST_HEAD(ready);

	spin_lock_irqsave(&ctx->job_lock, flags);
	qd->streaming = false;
	spin_unlock_irqrestore(&ctx->job_lock, flags);

	/* The work item sees streaming off and does not queue itself again. */
	cancel_work_sync(&ctx->work);

	spin_lock_irqsave(&ctx->job_lock, flags);
	list_splice_init(&qd->ready, &ready);
	spin_unlock_irqrestore(&ctx->job_lock, flags);

	list_for_each_entry_safe(buf, tmp, &ready, list) {
		list_del(&buf->list);
		vb2_buffer_done(&buf->vb.vb2_buf, VB2_BUF_STATE_ERROR);
	}
}
