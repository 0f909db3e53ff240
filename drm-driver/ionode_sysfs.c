// SPDX-License-Identifier: GPL-2.0
/*
 * ionode sysfs: per-heap totals for tools that cannot use debugfs, one
 * value per file, in /sys/devices/platform/ionode/heaps/<heap>/:
 * type, flags, total_bytes, free_bytes, used_bytes, peak_bytes, buffers,
 * limit_bytes. Limits themselves are set in /sys/module/ionode/parameters.
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "ionode_drv.h"

/*
 * The heap a per-heap directory stands for: its parent holds the device.
 * Under ionode_heaps_read_lock().
 */
static struct ionode_heap *kobj_to_heap(struct kobject *kobj)
{
	struct device *dev = kobj_to_dev(kobj->parent->parent);
	struct ionode_device *idev = dev_get_drvdata(dev);

	return ionode_heap_by_name(idev, kobject_name(kobj));
}

static ssize_t heap_attr_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	struct drm_ionode_heap_info info;
	struct ionode_heap *heap;
	u64 peak, buffers, limit;
	int idx;

	idx = ionode_heaps_read_lock();
	heap = kobj_to_heap(kobj);
	if (!heap) {
		ionode_heaps_read_unlock(idx);
		return -ENODEV;
	}
	ionode_heap_fill_info(heap, &info);
	mutex_lock(&heap->lock);
	peak = heap->peak_bytes;
	buffers = heap->buffers;
	mutex_unlock(&heap->lock);
	limit = ionode_policy_heap_limit(heap);
	ionode_heaps_read_unlock(idx);

	if (!strcmp(attr->attr.name, "type"))
		return sysfs_emit(buf, "%u\n", info.type);
	if (!strcmp(attr->attr.name, "flags"))
		return sysfs_emit(buf, "0x%x\n", info.flags);
	if (!strcmp(attr->attr.name, "total_bytes"))
		return sysfs_emit(buf, "%lld\n", (s64)info.total_bytes);
	if (!strcmp(attr->attr.name, "free_bytes"))
		return sysfs_emit(buf, "%lld\n", (s64)info.free_bytes);
	if (!strcmp(attr->attr.name, "used_bytes"))
		return sysfs_emit(buf, "%llu\n", info.used_bytes);
	if (!strcmp(attr->attr.name, "peak_bytes"))
		return sysfs_emit(buf, "%llu\n", peak);
	if (!strcmp(attr->attr.name, "buffers"))
		return sysfs_emit(buf, "%llu\n", buffers);
	return sysfs_emit(buf, "%llu\n", limit);
}

#define IONODE_HEAP_ATTR(_name) \
	static struct kobj_attribute heap_attr_##_name = __ATTR(_name, 0444, \
		heap_attr_show, NULL)

IONODE_HEAP_ATTR(type);
IONODE_HEAP_ATTR(flags);
IONODE_HEAP_ATTR(total_bytes);
IONODE_HEAP_ATTR(free_bytes);
IONODE_HEAP_ATTR(used_bytes);
IONODE_HEAP_ATTR(peak_bytes);
IONODE_HEAP_ATTR(buffers);
IONODE_HEAP_ATTR(limit_bytes);

static struct attribute *heap_attrs[] = {
	&heap_attr_type.attr,
	&heap_attr_flags.attr,
	&heap_attr_total_bytes.attr,
	&heap_attr_free_bytes.attr,
	&heap_attr_used_bytes.attr,
	&heap_attr_peak_bytes.attr,
	&heap_attr_buffers.attr,
	&heap_attr_limit_bytes.attr,
	NULL,
};

static const struct attribute_group heap_attr_group = {
	.attrs = heap_attrs,
};

/**
 * ionode_sysfs_add_heap - create a heap's directory
 * @idev: the ionode device
 * @heap: a heap of @idev
 *
 * Nothing is created when the device has no heaps directory (not yet
 * made, or already removed).
 *
 * Context: ionode_heaps_lock() held.
 * Return: 0 or a negative errno; nothing is left behind on failure.
 */
int ionode_sysfs_add_heap(struct ionode_device *idev, struct ionode_heap *heap)
{
	int ret;

	if (!idev->sysfs_heaps)
		return 0;
	heap->sysfs = kobject_create_and_add(heap->name, idev->sysfs_heaps);
	if (!heap->sysfs)
		return -ENOMEM;
	ret = sysfs_create_group(heap->sysfs, &heap_attr_group);
	if (ret)
		ionode_sysfs_remove_heap(heap);
	return ret;
}

/**
 * ionode_sysfs_remove_heap - remove a heap's directory, if it has one
 * @heap: the heap
 *
 * Context: ionode_heaps_lock() held.
 */
void ionode_sysfs_remove_heap(struct ionode_heap *heap)
{
	kobject_put(heap->sysfs);
	heap->sysfs = NULL;
}

/**
 * ionode_sysfs_init - create the heaps directory under the device
 * @idev: the ionode device, its heaps registered, drvdata of @parent set
 * @parent: the platform device
 *
 * Return: 0 or a negative errno; nothing is left behind on failure.
 */
int ionode_sysfs_init(struct ionode_device *idev, struct device *parent)
{
	struct ionode_heap *heap;
	int ret = 0;

	ionode_heaps_lock();
	idev->sysfs_heaps = kobject_create_and_add("heaps", &parent->kobj);
	if (!idev->sysfs_heaps)
		ret = -ENOMEM;
	else
		ionode_for_each_heap(idev, heap) {
			ret = ionode_sysfs_add_heap(idev, heap);
			if (ret)
				break;
		}
	ionode_heaps_unlock();
	if (ret)
		ionode_sysfs_fini(idev);
	return ret;
}

/**
 * ionode_sysfs_fini - remove what ionode_sysfs_init() created, and the
 *	directories of heaps registered since
 * @idev: the ionode device
 */
void ionode_sysfs_fini(struct ionode_device *idev)
{
	struct ionode_heap *heap;

	ionode_heaps_lock();
	ionode_for_each_heap(idev, heap)
		ionode_sysfs_remove_heap(heap);
	kobject_put(idev->sysfs_heaps);
	idev->sysfs_heaps = NULL;
	ionode_heaps_unlock();
}
