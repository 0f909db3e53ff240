/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ionode_m2m - internal declarations of the ionode test mem2mem device,
 * shared by ionode_m2m_main.c (module parameters, instances, probe),
 * ionode_m2m_dev.c (the V4L2 interface) and ionode_m2m_job.c (frame
 * scheduling and processing).
 */
#ifndef __IONODE_M2M_H__
#define __IONODE_M2M_H__

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <media/v4l2-device.h>
#include <media/v4l2-fh.h>
#include <media/videobuf2-v4l2.h>

#define IONODE_M2M_DRIVER	"ionode-m2m"
#define IONODE_M2M_NAME_LEN	32

struct ionode_client;
struct platform_device;

/**
 * struct ionode_m2m_dev - one instance of the test device
 * @v4l2_dev: the V4L2 device.
 * @vdev: its video node.
 * @lock: serializes ioctls (&video_device.lock) and is the lock of every
 *	vb2 queue of the instance.
 * @wq: ordered workqueue: the instance processes one frame at a time.
 * @dev: the platform device's struct device, the one buffers are mapped
 *	for and whose DMA constraints are declared.
 * @name: card name, "ionode-m2m" plus suffixes naming the constraints.
 */
struct ionode_m2m_dev {
	struct v4l2_device v4l2_dev;
	struct video_device vdev;
	struct mutex lock; /* ioctls and vb2 queues */
	struct workqueue_struct *wq;
	struct device *dev;
	char name[IONODE_M2M_NAME_LEN];
};

/**
 * struct ionode_m2m_fmt - a pixel format both queues accept
 * @fourcc: V4L2_PIX_FMT_*.
 * @depth: bits per pixel.
 */
struct ionode_m2m_fmt {
	u32 fourcc;
	u8 depth;
};

/**
 * struct ionode_m2m_q_data - per-queue state of a context
 * @fmt: current pixel format.
 * @width: frame width in pixels.
 * @height: frame height in lines.
 * @bytesperline: line stride in bytes.
 * @sizeimage: bytes per frame.
 * @sequence: sequence number of the next frame.
 * @streaming: start_streaming() was called; protected by
 *	&ionode_m2m_ctx.job_lock.
 * @ready: buffers given to the driver and not yet processed; protected by
 *	&ionode_m2m_ctx.job_lock.
 */
struct ionode_m2m_q_data {
	const struct ionode_m2m_fmt *fmt;
	unsigned int width;
	unsigned int height;
	unsigned int bytesperline;
	unsigned int sizeimage;
	u32 sequence;
	bool streaming;
	struct list_head ready;
};

enum { IONODE_M2M_OUT, IONODE_M2M_CAP };

/**
 * struct ionode_m2m_ctx - one open file: a pair of queues and their formats
 * @fh: V4L2 file handle.
 * @mdev: the instance.
 * @client: the ionode client standing for the opener, which both queues'
 *	MMAP buffers are charged to.
 * @out_q: OUTPUT queue (frames to process).
 * @cap_q: CAPTURE queue (processed frames).
 * @q_data: per-queue state, indexed by IONODE_M2M_OUT / IONODE_M2M_CAP.
 * @colorspace: colorimetry set on the OUTPUT queue, reported on both.
 * @xfer_func: see @colorspace.
 * @ycbcr_enc: see @colorspace.
 * @quant: see @colorspace.
 * @job_lock: protects the ready lists and streaming flags.
 * @done_lock: held while a frame's two buffers are returned to vb2, and
 *	by poll() while it looks at the queues' done lists, so that both
 *	buffers of a frame become visible at once.
 * @work: processes one frame on &ionode_m2m_dev.wq.
 */
struct ionode_m2m_ctx {
	struct v4l2_fh fh;
	struct ionode_m2m_dev *mdev;
	struct ionode_client *client;
	struct vb2_queue out_q;
	struct vb2_queue cap_q;
	struct ionode_m2m_q_data q_data[2];
	u32 colorspace;
	u32 xfer_func;
	u32 ycbcr_enc;
	u32 quant;
	spinlock_t job_lock; /* ready lists, streaming flags */
	struct mutex done_lock; /* completing a frame vs poll() */
	struct work_struct work;
};

/**
 * struct ionode_m2m_buffer - a vb2 buffer of the test device
 * @vb: the V4L2 buffer.
 * @list: entry in &ionode_m2m_q_data.ready.
 */
struct ionode_m2m_buffer {
	struct vb2_v4l2_buffer vb;
	struct list_head list;
};

/* ionode_m2m_dev.c */
int ionode_m2m_dev_register(struct ionode_m2m_dev *mdev);
void ionode_m2m_dev_unregister(struct ionode_m2m_dev *mdev);

/* ionode_m2m_job.c */
void ionode_m2m_job_init(struct ionode_m2m_ctx *ctx);
void ionode_m2m_job_fini(struct ionode_m2m_ctx *ctx);
void ionode_m2m_job_queue(struct ionode_m2m_ctx *ctx,
			  struct vb2_v4l2_buffer *vbuf);
void ionode_m2m_job_start(struct ionode_m2m_ctx *ctx, struct vb2_queue *q);
void ionode_m2m_job_stop(struct ionode_m2m_ctx *ctx, struct vb2_queue *q);

#endif /* __IONODE_M2M_H__ */
