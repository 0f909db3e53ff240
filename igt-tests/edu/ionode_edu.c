// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_edu: a test-only dma-buf importer for QEMU's "edu" PCI device.
 *
 * QEMU's edu device (hw/misc/edu.c, PCI 1234:11e8) has a DMA engine that
 * moves up to 4 KiB per command between RAM and a 4 KiB internal buffer
 * (4095 bytes: QEMU 7.2 aborts on a transfer reaching its last byte),
 * and a 28-bit DMA mask: without an IOMMU it reaches the first 256 MiB of
 * RAM only (QEMU masks the higher bits off), behind QEMU's intel-iommu it
 * reaches IOVAs below 256 MiB. ionode's tests use it as a real device
 * whose DMA limits differ from the CPU's (igt-tests/ionode_edu).
 *
 * It is a generic dma-buf importer, not part of ionode: it attaches any
 * dma-buf, maps the attachment in a separate step (so that a test can
 * attach it and other devices before a deferred buffer's first use), and
 * copies through the engine page piece by page piece, following the
 * DMA segments of the mapping. Interface: ionode_edu.h, /dev/ionode-edu.
 *
 * The engine is polled (no interrupt): a command takes QEMU 100 ms of
 * virtual time, whatever its size.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iopoll.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ionode_edu.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

#define EDU_REG_IDENT	0x00
#define EDU_REG_SRC	0x80
#define EDU_REG_DST	0x88
#define EDU_REG_COUNT	0x90
#define EDU_REG_CMD	0x98

#define EDU_CMD_RUN	BIT(0)
#define EDU_CMD_TO_RAM	BIT(1)	/* internal buffer -> RAM */

/* The internal buffer's address on the device's side of the engine. */
#define EDU_BUF_ADDR	0x40000

#define EDU_DMA_BITS	28
#define EDU_TIMEOUT_US	(10 * USEC_PER_SEC)

/**
 * struct edu_device - the bound edu device (one at a time)
 * @lock: serialises the engine, guards @pdev, @regs and @bounce
 * @pdev: the PCI device, NULL once unbound
 * @regs: BAR0
 * @bounce: coherent buffer for READ and WRITE
 * @bounce_dma: its DMA address
 * @misc: /dev/ionode-edu
 */
struct edu_device {
	struct mutex lock; /* the engine, @pdev, @regs, @bounce */
	struct pci_dev *pdev;
	void __iomem *regs;
	void *bounce;
	dma_addr_t bounce_dma;
	struct miscdevice misc;
};

static struct edu_device edu = {
	.lock = __MUTEX_INITIALIZER(edu.lock),
};

/**
 * struct edu_file - an open /dev/ionode-edu: at most one imported dma-buf
 * @lock: guards the fields below
 * @dev: the device the attachment was made for (a reference)
 * @dmabuf: the imported dma-buf, NULL when none
 * @attach: its attachment
 * @sgt: the mapping, NULL when not mapped
 */
struct edu_file {
	struct mutex lock; /* the fields below */
	struct device *dev;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
};

/* One engine command; edu.lock held. */
static int edu_engine(dma_addr_t ram, u32 dev_offset, u32 len, bool to_ram)
{
	u64 mask = DMA_BIT_MASK(EDU_DMA_BITS);
	u32 cmd;

	lockdep_assert_held(&edu.lock);
	if (!edu.regs)
		return -ENODEV;
	/* QEMU aborts on a device range outside its buffer: never send one. */
	if (!len || len > IONODE_EDU_BUF_SIZE ||
	    dev_offset > IONODE_EDU_BUF_SIZE - len)
		return -EINVAL;
	/* QEMU would mask the address: refuse what the device cannot reach. */
	if (ram > mask || len - 1 > mask - ram)
		return -ERANGE;
	if (to_ram) {
		writeq(EDU_BUF_ADDR + dev_offset, edu.regs + EDU_REG_SRC);
		writeq(ram, edu.regs + EDU_REG_DST);
	} else {
		writeq(ram, edu.regs + EDU_REG_SRC);
		writeq(EDU_BUF_ADDR + dev_offset, edu.regs + EDU_REG_DST);
	}
	writeq(len, edu.regs + EDU_REG_COUNT);
	writeq(EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0),
	       edu.regs + EDU_REG_CMD);
	return readl_poll_timeout(edu.regs + EDU_REG_CMD, cmd,
				  !(cmd & EDU_CMD_RUN), 1000, EDU_TIMEOUT_US);
}

static bool edu_translated(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && (domain->type & __IOMMU_DOMAIN_PAGING);
}

static int edu_info(void __user *arg)
{
	struct ionode_edu_info info = {
		.dma_mask = DMA_BIT_MASK(EDU_DMA_BITS),
		.buf_size = IONODE_EDU_BUF_SIZE,
	};

	mutex_lock(&edu.lock);
	if (!edu.pdev) {
		mutex_unlock(&edu.lock);
		return -ENODEV;
	}
	info.ident = readl(edu.regs + EDU_REG_IDENT);
	info.translated = edu_translated(&edu.pdev->dev);
	mutex_unlock(&edu.lock);
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static void edu_unmap(struct edu_file *f)
{
	if (!f->sgt)
		return;
	dma_buf_unmap_attachment_unlocked(f->attach, f->sgt,
					  DMA_BIDIRECTIONAL);
	f->sgt = NULL;
}

static void edu_detach(struct edu_file *f)
{
	if (!f->dmabuf)
		return;
	edu_unmap(f);
	dma_buf_detach(f->dmabuf, f->attach);
	dma_buf_put(f->dmabuf);
	put_device(f->dev);
	f->dmabuf = NULL;
	f->attach = NULL;
	f->dev = NULL;
}

static int edu_import(struct edu_file *f, void __user *arg)
{
	struct ionode_edu_import req;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct device *dev;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.pad)
		return -EINVAL;
	if (f->dmabuf)
		return -EBUSY;
	mutex_lock(&edu.lock);
	dev = edu.pdev ? get_device(&edu.pdev->dev) : NULL;
	mutex_unlock(&edu.lock);
	if (!dev)
		return -ENODEV;
	dmabuf = dma_buf_get(req.fd);
	if (IS_ERR(dmabuf)) {
		put_device(dev);
		return PTR_ERR(dmabuf);
	}
	attach = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(attach)) {
		dma_buf_put(dmabuf);
		put_device(dev);
		return PTR_ERR(attach);
	}
	f->dev = dev;
	f->dmabuf = dmabuf;
	f->attach = attach;
	req.size = dmabuf->size;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

static int edu_map(struct edu_file *f, void __user *arg)
{
	u64 mask = DMA_BIT_MASK(EDU_DMA_BITS);
	struct ionode_edu_map out = { 0 };
	struct scatterlist *sg;
	struct sg_table *sgt;
	size_t bytes = 0;
	int i;

	if (!f->dmabuf)
		return -ENOENT;
	if (f->sgt)
		return -EBUSY;
	sgt = dma_buf_map_attachment_unlocked(f->attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	f->sgt = sgt;
	out.reachable = 1;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t last = sg_dma_address(sg) + sg_dma_len(sg) - 1;

		if (!i)
			out.dma_start = sg_dma_address(sg);
		out.dma_max = max_t(u64, out.dma_max, last);
		if (last > mask || sg_dma_address(sg) > mask)
			out.reachable = 0;
		out.nents++;
	}
	for_each_sgtable_sg(sgt, sg, i)
		bytes += sg->length;
	out.pages = bytes >> PAGE_SHIFT;
	out.sg_entries = sgt->orig_nents;
	return copy_to_user(arg, &out, sizeof(out)) ? -EFAULT : 0;
}

/* Copy @req's range through the engine, one command per DMA piece. */
static int edu_dma(struct edu_file *f, void __user *arg)
{
	struct ionode_edu_dma req;
	struct scatterlist *sg;
	u64 pos = 0, off;
	u32 done = 0;
	int i, ret = 0;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.pad || req.commands ||
	    (req.dir != IONODE_EDU_TO_DEVICE &&
	     req.dir != IONODE_EDU_FROM_DEVICE))
		return -EINVAL;
	if (!req.len || req.len > IONODE_EDU_BUF_SIZE ||
	    req.dev_offset > IONODE_EDU_BUF_SIZE - req.len)
		return -EINVAL;
	if (!f->sgt)
		return -ENOENT;
	if (req.offset > f->dmabuf->size ||
	    req.len > f->dmabuf->size - req.offset)
		return -EINVAL;

	mutex_lock(&edu.lock);
	off = req.offset;
	for_each_sgtable_dma_sg(f->sgt, sg, i) {
		u64 seg = sg_dma_len(sg), skip, n;

		if (done == req.len)
			break;
		if (off >= pos + seg) {
			pos += seg;
			continue;
		}
		skip = off - pos;
		n = min_t(u64, seg - skip, req.len - done);
		ret = edu_engine(sg_dma_address(sg) + skip,
				 req.dev_offset + done, n,
				 req.dir == IONODE_EDU_FROM_DEVICE);
		if (ret)
			break;
		req.commands++;
		done += n;
		off += n;
		pos += seg;
	}
	mutex_unlock(&edu.lock);
	if (!ret && done != req.len)
		ret = -EINVAL;	/* the mapping is shorter than the dma-buf */
	if (ret)
		return ret;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

/* The internal buffer through the engine and the coherent buffer. */
static int edu_rw(void __user *arg, bool write)
{
	struct ionode_edu_rw req;
	void __user *data;
	int ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.len || req.len > IONODE_EDU_BUF_SIZE ||
	    req.offset > IONODE_EDU_BUF_SIZE - req.len)
		return -EINVAL;
	data = u64_to_user_ptr(req.data);
	mutex_lock(&edu.lock);
	if (!edu.bounce) {
		ret = -ENODEV;
	} else if (write) {
		ret = copy_from_user(edu.bounce, data, req.len) ? -EFAULT : 0;
		if (!ret)
			ret = edu_engine(edu.bounce_dma, req.offset, req.len,
					 false);
	} else {
		ret = edu_engine(edu.bounce_dma, req.offset, req.len, true);
		if (!ret && copy_to_user(data, edu.bounce, req.len))
			ret = -EFAULT;
	}
	mutex_unlock(&edu.lock);
	return ret;
}

static long edu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct edu_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case IONODE_EDU_IOC_INFO:
		return edu_info(uarg);
	case IONODE_EDU_IOC_READ:
		return edu_rw(uarg, false);
	case IONODE_EDU_IOC_WRITE:
		return edu_rw(uarg, true);
	}

	mutex_lock(&f->lock);
	switch (cmd) {
	case IONODE_EDU_IOC_IMPORT:
		ret = edu_import(f, uarg);
		break;
	case IONODE_EDU_IOC_MAP:
		ret = edu_map(f, uarg);
		break;
	case IONODE_EDU_IOC_DMA:
		ret = edu_dma(f, uarg);
		break;
	case IONODE_EDU_IOC_UNMAP:
		ret = f->sgt ? 0 : -ENOENT;
		edu_unmap(f);
		break;
	case IONODE_EDU_IOC_DETACH:
		ret = f->dmabuf ? 0 : -ENOENT;
		edu_detach(f);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int edu_open(struct inode *inode, struct file *file)
{
	struct edu_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int edu_release(struct inode *inode, struct file *file)
{
	struct edu_file *f = file->private_data;

	edu_detach(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static const struct file_operations edu_fops = {
	.owner = THIS_MODULE,
	.open = edu_open,
	.release = edu_release,
	.unlocked_ioctl = edu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	void __iomem *regs;
	dma_addr_t bounce_dma;
	void *bounce;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev,
					DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "ionode_edu");
	if (ret)
		return ret;
	regs = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);
	bounce = dmam_alloc_coherent(&pdev->dev, IONODE_EDU_BUF_SIZE,
				     &bounce_dma, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;

	mutex_lock(&edu.lock);
	if (edu.pdev) {
		mutex_unlock(&edu.lock);
		dev_info(&pdev->dev, "another edu device is bound already\n");
		return -EBUSY;
	}
	edu.pdev = pdev;
	edu.regs = regs;
	edu.bounce = bounce;
	edu.bounce_dma = bounce_dma;
	mutex_unlock(&edu.lock);

	edu.misc.minor = MISC_DYNAMIC_MINOR;
	edu.misc.name = "ionode-edu";
	edu.misc.fops = &edu_fops;
	edu.misc.parent = &pdev->dev;
	ret = misc_register(&edu.misc);
	if (ret) {
		mutex_lock(&edu.lock);
		edu.pdev = NULL;
		edu.regs = NULL;
		edu.bounce = NULL;
		mutex_unlock(&edu.lock);
		return ret;
	}
	pci_set_drvdata(pdev, &edu);
	dev_info(&pdev->dev, "edu device %#x, DMA mask %d bits%s\n",
		 readl(regs + EDU_REG_IDENT), EDU_DMA_BITS,
		 edu_translated(&pdev->dev) ? ", behind an IOMMU" : "");
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	if (!pci_get_drvdata(pdev))
		return;
	misc_deregister(&edu.misc);
	/* Open files keep their attachments; the engine is gone for them. */
	mutex_lock(&edu.lock);
	edu.pdev = NULL;
	edu.regs = NULL;
	edu.bounce = NULL;
	mutex_unlock(&edu.lock);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = "ionode_edu",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_DESCRIPTION("Test-only dma-buf importer for QEMU's edu device (ionode tests)");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
