// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_v4l2 module: the ionode_vb2 glue (ionode_vb2.c) plus a virtual
 * mem2mem test device whose instances declare DMA constraints.
 *
 * Each instance is a platform device "ionode-m2m.N" (the struct device
 * whose DMA mask and constraints apply) with its own video node. Its
 * constraints come from the module parameters, one array entry per
 * instance:
 *
 *   instances=4 contiguous=0,1,0,0 dma_bits=64,64,32,64 align=0,0,0,1048576
 *
 * which is the default: an unconstrained device ("ionode-m2m"), a
 * contiguous-only one ("ionode-m2m-contig"), one with a 32-bit DMA mask
 * ("ionode-m2m-dma32") and one that wants 1 MiB aligned buffers
 * ("ionode-m2m-align1m"). The card name (VIDIOC_QUERYCAP, and the name in
 * /sys/class/video4linux/videoN/name) spells out the constraints so that
 * tests can find the instance they need.
 */
#include <linux/dma-mapping.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ionode.h"
#include "ionode_m2m.h"
#include "ionode_vb2.h"

#define MAX_INSTANCES	8

static unsigned int instances = 4;
module_param(instances, uint, 0444);
MODULE_PARM_DESC(instances, "Number of test devices (1-8, default 4)");

static unsigned int contiguous[MAX_INSTANCES] = { 0, 1, 0, 0 };
module_param_array(contiguous, uint, NULL, 0444);
MODULE_PARM_DESC(contiguous,
		 "Per instance: 1 if buffers must be contiguous in DMA space (default 0,1,0,0)");

static unsigned int dma_bits[MAX_INSTANCES] = { 64, 64, 32, 64, 64, 64, 64, 64 };
module_param_array(dma_bits, uint, NULL, 0444);
MODULE_PARM_DESC(dma_bits, "Per instance: DMA mask width, 32-64 (default 64,64,32,64)");

static ulong align[MAX_INSTANCES] = { 0, 0, 0, SZ_1M };
module_param_array(align, ulong, NULL, 0444);
MODULE_PARM_DESC(align,
		 "Per instance: required DMA start alignment in bytes, 0 or a power of two (default 0,0,0,1048576)");

static ulong min_size[MAX_INSTANCES];
module_param_array(min_size, ulong, NULL, 0444);
MODULE_PARM_DESC(min_size, "Per instance: smallest plane in bytes (default 0)");

static char *heap[MAX_INSTANCES];
module_param_array(heap, charp, NULL, 0444);
MODULE_PARM_DESC(heap,
		 "Per instance: ionode heaps for MMAP buffers, NAME[+NAME...] (default: any that meets the constraints)");

static struct platform_device *pdevs[MAX_INSTANCES];

/* "a+b+c" -> heap mask; unknown names are an error. */
static int heap_mask_of(struct device *dev, const char *names, u64 *mask)
{
	char *list, *cur, *name;
	int ret = 0, id;

	*mask = 0;
	if (!names || !*names)
		return 0;

	list = kstrdup(names, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((name = strsep(&cur, "+")) != NULL) {
		if (!*name)
			continue;
		id = ionode_heap_id(name);
		if (id < 0) {
			dev_err(dev, "ionode heap '%s': error %d\n", name, id);
			ret = id;
			break;
		}
		*mask |= BIT_ULL(id);
	}
	kfree(list);
	return ret;
}

/* "ionode-m2m" plus one suffix per constraint: -contig, -dma32, -align1m. */
static void instance_name(char *name, size_t len, unsigned int i)
{
	size_t n = strscpy(name, IONODE_M2M_DRIVER, len);

	if (contiguous[i])
		n += scnprintf(name + n, len - n, "-contig");
	if (dma_bits[i] < 64)
		n += scnprintf(name + n, len - n, "-dma%u", dma_bits[i]);
	if (align[i] > PAGE_SIZE) {
		if (IS_ALIGNED(align[i], SZ_1M))
			n += scnprintf(name + n, len - n, "-align%lum",
				       align[i] / SZ_1M);
		else
			n += scnprintf(name + n, len - n, "-align%luk",
				       align[i] / SZ_1K);
	}
	if (min_size[i])
		scnprintf(name + n, len - n, "-min%lu", min_size[i]);
}

static int ionode_m2m_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct ionode_vb2_constraints c = {};
	struct ionode_m2m_dev *mdev;
	unsigned int i = pdev->id;
	int ret;

	if (i >= MAX_INSTANCES)
		return -EINVAL;
	if (dma_bits[i] < 32 || dma_bits[i] > 64) {
		dev_err(dev, "dma_bits=%u is not in 32..64\n", dma_bits[i]);
		return -EINVAL;
	}

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(dma_bits[i]));
	if (ret) {
		dev_err(dev, "cannot set a %u-bit DMA mask: %d\n", dma_bits[i], ret);
		return ret;
	}
	/*
	 * Segments as long as the DMA API can map in one go: swiotlb limits
	 * them when it may have to bounce (a limited mask on a large
	 * machine). Exporters split their sg_tables accordingly.
	 */
	ret = dma_set_max_seg_size(dev, min_t(size_t, dma_max_mapping_size(dev),
					      UINT_MAX) & PAGE_MASK);
	if (ret)
		return ret;

	c.contiguous = contiguous[i];
	c.align = align[i];
	c.min_size = min_size[i];
	c.heap_flags = IONODE_BO_CACHED;
	ret = heap_mask_of(dev, heap[i], &c.heap_mask);
	if (ret)
		return ret;
	ret = ionode_vb2_set_constraints(dev, &c);
	if (ret) {
		dev_err(dev, "bad constraints (align=%lu): %d\n", align[i], ret);
		return ret;
	}

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return -ENOMEM;
	mdev->dev = dev;
	instance_name(mdev->name, sizeof(mdev->name), i);
	ret = ionode_m2m_dev_register(mdev);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, mdev);
	dev_info(dev, "%s: contiguous=%u dma_bits=%u align=%lu min_size=%lu heaps=%s\n",
		 mdev->name, contiguous[i], dma_bits[i], align[i], min_size[i],
		 heap[i] && *heap[i] ? heap[i] : "any");
	return 0;
}

static int ionode_m2m_remove(struct platform_device *pdev)
{
	ionode_m2m_dev_unregister(platform_get_drvdata(pdev));
	return 0;
}

static struct platform_driver ionode_m2m_driver = {
	.probe = ionode_m2m_probe,
	.remove = ionode_m2m_remove,
	.driver = {
		.name = IONODE_M2M_DRIVER,
	},
};

static void ionode_m2m_destroy_devices(void)
{
	unsigned int i;

	for (i = 0; i < MAX_INSTANCES; i++) {
		platform_device_unregister(pdevs[i]);
		pdevs[i] = NULL;
	}
}

static int __init ionode_v4l2_init(void)
{
	unsigned int i;
	int ret;

	if (!instances || instances > MAX_INSTANCES) {
		pr_err("instances=%u is not in 1..%u\n", instances, MAX_INSTANCES);
		return -EINVAL;
	}

	ret = platform_driver_register(&ionode_m2m_driver);
	if (ret)
		return ret;

	for (i = 0; i < instances; i++) {
		pdevs[i] = platform_device_register_simple(IONODE_M2M_DRIVER, i,
							   NULL, 0);
		if (IS_ERR(pdevs[i])) {
			ret = PTR_ERR(pdevs[i]);
			pdevs[i] = NULL;
			goto err;
		}
		/* A probe that failed leaves the device without a driver. */
		if (!platform_get_drvdata(pdevs[i])) {
			ret = -ENODEV;
			goto err;
		}
	}
	return 0;

err:
	ionode_m2m_destroy_devices();
	platform_driver_unregister(&ionode_m2m_driver);
	return ret;
}

static void __exit ionode_v4l2_exit(void)
{
	ionode_m2m_destroy_devices();
	platform_driver_unregister(&ionode_m2m_driver);
}

module_init(ionode_v4l2_init);
module_exit(ionode_v4l2_exit);

MODULE_DESCRIPTION("ionode V4L2 glue: vb2 memops with DMA constraint checks, and a test mem2mem device");
MODULE_LICENSE("GPL");
