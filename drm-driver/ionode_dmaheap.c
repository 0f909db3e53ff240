// SPDX-License-Identifier: GPL-2.0
/*
 * ionode's heaps behind the kernel's dma-buf heap uapi: a second front door.
 *
 * Since Linux 5.6 userspace that wants a dma-buf without a GPU opens
 * /dev/dma_heap/<name> and calls DMA_HEAP_IOCTL_ALLOC (<linux/dma-heap.h>).
 * Debian 12's stock kernel is built without CONFIG_DMABUF_HEAPS, so there
 * is no such directory there. On such a kernel ionode registers one
 * character device per heap, class "dma_heap", node dma_heap/<name>, and
 * implements DMA_HEAP_IOCTL_ALLOC as drivers/dma-buf/dma-heap.c of Linux
 * 6.1 does (the extensible-struct rules included), allocating through
 * ionode_bo_create() like the render node: an open heap file is an ionode
 * client (client_limit, heap_limits, accounting in debugfs "clients" and
 * in the file's fdinfo), restricted heaps need the privilege they need on
 * the render node, and the buffers are ionode dma-bufs.
 *
 * Whether the kernel has dma-buf heaps of its own is a build-time fact:
 * CONFIG_DMABUF_HEAPS is a bool, so the kernel a module is built for
 * registers the "dma_heap" class at boot exactly when it is set. ionode
 * then leaves /dev/dma_heap alone and offers its heaps only under a
 * directory of another name, given with dmaheap_dir=.
 *
 * Names: upstream's where upstream has a counterpart ("system"; the cma
 * heap as "reserved", the name the kernel gives the default CMA area that
 * cma= sets up on x86, which upstream's CMA heap takes), ionode's own
 * otherwise. See Documentation/dma-heap.rst.
 */
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <uapi/linux/dma-heap.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_gem.h>
#include <drm/drm_print.h>

#include "ionode_drv.h"

#define DMAHEAP_DEFAULT_DIR	"dma_heap"

static char *dmaheap_dir = DMAHEAP_DEFAULT_DIR;
module_param(dmaheap_dir, charp, 0444);
MODULE_PARM_DESC(dmaheap_dir,
		 "Directory under /dev for ionode's dma-buf heap nodes (default dma_heap; empty = none; on a kernel with dma-buf heaps only a name other than dma_heap enables them)");

/**
 * struct ionode_dmaheap_node - one heap's character device
 * @heap: the ionode heap.
 * @name: the node's name under the directory.
 * @cdev: the character device; dynamically allocated, it lives on while a
 *	file opened through it is open.
 * @dev: the class device that makes the node; re-created when the heap's
 *	restriction changes, to change the node's mode and group.
 * @mode: permissions of the node.
 * @gid: group of the node.
 * @restricted: the heap was restricted when @dev was made.
 */
struct ionode_dmaheap_node {
	struct ionode_heap *heap;
	char name[IONODE_HEAP_NAME_LEN];
	struct cdev *cdev;
	struct device *dev;
	umode_t mode;
	kgid_t gid;
	bool restricted;
};

/**
 * struct ionode_dmaheap_file - an open heap file
 * @heap: the heap it allocates from; valid while @client holds the device.
 * @client: the ionode client the file is.
 */
struct ionode_dmaheap_file {
	struct ionode_heap *heap;
	struct ionode_client *client;
};

/* One ionode device at most has the nodes: the platform device. */
static DEFINE_MUTEX(dmaheap_lock);
static struct ionode_dmaheap_node *nodes[IONODE_MAX_HEAPS]; /* by minor */
static unsigned int num_nodes;
static struct ionode_device *dmaheap_idev;
static struct class *dmaheap_class;
static dev_t dmaheap_devt;

/* Upstream names for ionode heaps that have an upstream counterpart. */
static const char *ionode_dmaheap_name(const struct ionode_heap *heap)
{
	if (heap->type == IONODE_HEAP_TYPE_CMA)
		return "reserved";
	return heap->name;
}

static int ionode_dmaheap_open(struct inode *inode, struct file *file)
{
	struct ionode_dmaheap_file *hf;
	struct ionode_heap *heap = NULL;
	unsigned int minor = iminor(inode);
	int ret = 0;

	hf = kzalloc(sizeof(*hf), GFP_KERNEL_ACCOUNT);
	if (!hf)
		return -ENOMEM;

	mutex_lock(&dmaheap_lock);
	if (minor < num_nodes && nodes[minor])
		heap = nodes[minor]->heap;
	/* A heap module's heap stays while a file of it is open. */
	if (!heap || !try_module_get(heap->owner)) {
		heap = NULL;
		ret = -ENODEV;
	} else if (ionode_policy_heap_restricted(heap) &&
		   !ionode_policy_privileged()) {
		ret = -EPERM;
	} else {
		hf->client = ionode_client_create(heap->idev, NULL, "dma-heap",
						  false);
		if (!hf->client)
			ret = -ENOMEM;
	}
	if (ret && heap)
		module_put(heap->owner);
	mutex_unlock(&dmaheap_lock);
	if (ret) {
		kfree(hf);
		return ret;
	}

	hf->heap = heap;
	file->private_data = hf;
	return nonseekable_open(inode, file);
}

static int ionode_dmaheap_release(struct inode *inode, struct file *file)
{
	struct ionode_dmaheap_file *hf = file->private_data;

	ionode_client_mark_closed(hf->client);
	module_put(hf->heap->owner);
	kfree(hf);
	return 0;
}

/*
 * drivers/dma-buf/dma-heap.c's dma_heap_ioctl_allocate(), allocating an
 * ionode buffer: cached, as upstream's system and CMA heaps are, from the
 * file's heap only, charged to the file's client. The fd is reserved here
 * and installed by the caller once the reply is copied out.
 */
static struct dma_buf *
ionode_dmaheap_allocate(struct ionode_dmaheap_file *hf,
			struct dma_heap_allocation_data *data)
{
	struct ionode_heap *heap = hf->heap;
	struct dma_buf *dmabuf;
	struct ionode_bo *bo;
	size_t len;
	int fd;

	if (data->fd)
		return ERR_PTR(-EINVAL);
	if (data->fd_flags & ~DMA_HEAP_VALID_FD_FLAGS)
		return ERR_PTR(-EINVAL);
	if (data->heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return ERR_PTR(-EINVAL);
	len = PAGE_ALIGN(data->len);
	if (!len)
		return ERR_PTR(-EINVAL);

	bo = ionode_bo_create(heap->idev, hf->client, len, 0,
			      BIT_ULL(heap->id), IONODE_BO_CACHED);
	if (IS_ERR(bo))
		return ERR_CAST(bo);
	/* The dma-buf takes its own reference; ours goes either way. */
	dmabuf = ionode_gem_prime_export(&bo->base, data->fd_flags);
	drm_gem_object_put(&bo->base);
	if (IS_ERR(dmabuf))
		return dmabuf;

	fd = get_unused_fd_flags(data->fd_flags);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return ERR_PTR(fd);
	}
	data->fd = fd;
	return dmabuf;
}

/*
 * drivers/dma-buf/dma-heap.c's dma_heap_ioctl(): the ioctl number's size
 * is the caller's struct size. An older (smaller) struct is zero-extended,
 * a newer (larger) one is read whole and its unknown tail ignored and
 * written back as it came; only the direction bits the caller set are
 * honoured. One difference: a command of another ioctl type than
 * DMA_HEAP_IOC_MAGIC ('H') is not this driver's and gets -ENOTTY, where
 * upstream takes any command numbered 0 for DMA_HEAP_IOCTL_ALLOC.
 */
static long ionode_dmaheap_ioctl(struct file *file, unsigned int ucmd,
				 unsigned long arg)
{
	const unsigned int kcmd = DMA_HEAP_IOCTL_ALLOC;
	unsigned int in_size, out_size, ksize;
	void __user *uarg = (void __user *)arg;
	char stack_kdata[128];
	char *kdata = stack_kdata;
	struct dma_heap_allocation_data *data;
	struct dma_buf *dmabuf;
	int ret = 0;

	if (_IOC_TYPE(ucmd) != _IOC_TYPE(kcmd))
		return -ENOTTY;
	if (_IOC_NR(ucmd) != _IOC_NR(kcmd))
		return -EINVAL;

	out_size = _IOC_SIZE(ucmd);
	in_size = out_size;
	if ((ucmd & kcmd & IOC_IN) == 0)
		in_size = 0;
	if ((ucmd & kcmd & IOC_OUT) == 0)
		out_size = 0;
	ksize = max3(in_size, out_size, _IOC_SIZE(kcmd));

	if (ksize > sizeof(stack_kdata)) {
		kdata = kmalloc(ksize, GFP_KERNEL);
		if (!kdata)
			return -ENOMEM;
	}
	if (copy_from_user(kdata, uarg, in_size)) {
		ret = -EFAULT;
		goto out;
	}
	if (ksize > in_size)
		memset(kdata + in_size, 0, ksize - in_size);

	data = (struct dma_heap_allocation_data *)kdata;
	dmabuf = ionode_dmaheap_allocate(file->private_data, data);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out;
	}
	if (copy_to_user(uarg, kdata, out_size)) {
		put_unused_fd(data->fd);
		dma_buf_put(dmabuf);
		ret = -EFAULT;
	} else {
		dma_buf_fd_install(dmabuf, data->fd);
	}
out:
	if (kdata != stack_kdata)
		kfree(kdata);
	return ret;
}

/*
 * The open heap file is a client: the keys the DRM fd's fdinfo prints
 * (drm-usage-stats), and the heap the file allocates from.
 */
static void ionode_dmaheap_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ionode_dmaheap_file *hf = file->private_data;

	ionode_client_show_usage(m, hf->client);
	seq_printf(m, "ionode-heap:\t%s\n", hf->heap->name);
}

static const struct file_operations ionode_dmaheap_fops = {
	.owner = THIS_MODULE,
	.open = ionode_dmaheap_open,
	.release = ionode_dmaheap_release,
	.unlocked_ioctl = ionode_dmaheap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = ionode_dmaheap_show_fdinfo,
	.llseek = no_llseek,
};

/*
 * devtmpfs node: <dir>/<name>, with the mode and group the node was given
 * (also called with NULLs when the node is removed).
 */
static char *ionode_dmaheap_devnode(struct device *dev, umode_t *mode,
				    kuid_t *uid, kgid_t *gid)
{
	struct ionode_dmaheap_node *node = dev_get_drvdata(dev);

	if (mode)
		*mode = node->mode;
	if (gid)
		*gid = node->gid;
	return kasprintf(GFP_KERNEL, "%s/%s", dmaheap_dir, dev_name(dev));
}

/*
 * For udev rules (tools/udev/70-ionode.rules): whether the heap is
 * restricted (the node is re-created when that changes), and the ionode
 * name of the heap behind the node.
 */
static ssize_t restricted_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct ionode_dmaheap_node *node = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", node->restricted);
}
static DEVICE_ATTR_RO(restricted);

static ssize_t ionode_heap_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct ionode_dmaheap_node *node = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", node->heap->name);
}
static DEVICE_ATTR_RO(ionode_heap);

static struct attribute *ionode_dmaheap_attrs[] = {
	&dev_attr_restricted.attr,
	&dev_attr_ionode_heap.attr,
	NULL
};
ATTRIBUTE_GROUPS(ionode_dmaheap);

static const struct device_type ionode_dmaheap_type = {
	.name = "ionode_dma_heap",
	.groups = ionode_dmaheap_groups,
	.devnode = ionode_dmaheap_devnode,
};

static void ionode_dmaheap_dev_release(struct device *dev)
{
	kfree(dev);
}

/*
 * The node's permissions, returning whether the heap is restricted:
 * anyone may allocate from a heap that is not restricted, as anyone may
 * through the render node where no udev rule says otherwise (ionode's
 * gives both the render node's group and mode); a restricted heap's node
 * is root's, and restricted_gid's when set. The privilege check at open
 * and at allocation is the render node's either way.
 */
static bool ionode_dmaheap_perms(struct ionode_heap *heap, umode_t *mode,
				 kgid_t *gid)
{
	*gid = GLOBAL_ROOT_GID;
	if (!ionode_policy_heap_restricted(heap)) {
		*mode = 0666;
		return false;
	}
	*gid = ionode_policy_restricted_kgid();
	*mode = gid_valid(*gid) ? 0660 : 0600;
	if (!gid_valid(*gid))
		*gid = GLOBAL_ROOT_GID;
	return true;
}

/* Makes the class device (and so the node) of @node; dmaheap_lock held. */
static int ionode_dmaheap_dev_add(struct ionode_dmaheap_node *node,
				  unsigned int minor)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;

	node->restricted = ionode_dmaheap_perms(node->heap, &node->mode,
						&node->gid);
	device_initialize(dev);
	dev->devt = MKDEV(MAJOR(dmaheap_devt), minor);
	dev->class = dmaheap_class;
	dev->type = &ionode_dmaheap_type;
	dev->parent = dmaheap_idev->drm.dev;
	dev->release = ionode_dmaheap_dev_release;
	dev_set_drvdata(dev, node);
	ret = dev_set_name(dev, "%s", node->name);
	if (!ret)
		ret = device_add(dev);
	if (ret) {
		put_device(dev);
		return ret;
	}
	node->dev = dev;
	return 0;
}

static void ionode_dmaheap_node_del(struct ionode_dmaheap_node *node)
{
	if (node->dev)
		device_unregister(node->dev);
	if (node->cdev)
		cdev_del(node->cdev);
	kfree(node);
}

static int ionode_dmaheap_node_add(struct ionode_heap *heap,
				   unsigned int minor)
{
	struct ionode_dmaheap_node *node;
	int ret;

	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node)
		return -ENOMEM;
	node->heap = heap;
	strscpy(node->name, ionode_dmaheap_name(heap), sizeof(node->name));

	node->cdev = cdev_alloc();
	if (!node->cdev) {
		ret = -ENOMEM;
		goto err;
	}
	node->cdev->owner = THIS_MODULE;
	node->cdev->ops = &ionode_dmaheap_fops;
	ret = cdev_add(node->cdev, MKDEV(MAJOR(dmaheap_devt), minor), 1);
	if (ret) {
		/* Never added: cdev_del() would unmap someone else's. */
		kobject_put(&node->cdev->kobj);
		node->cdev = NULL;
		goto err;
	}
	ret = ionode_dmaheap_dev_add(node, minor);
	if (ret)
		goto err;
	nodes[minor] = node;
	return 0;

err:
	ionode_dmaheap_node_del(node);
	return ret;
}

/* Removes every node, the class and the region; dmaheap_lock held. */
static void ionode_dmaheap_teardown(void)
{
	while (num_nodes) {
		num_nodes--;
		if (nodes[num_nodes])
			ionode_dmaheap_node_del(nodes[num_nodes]);
		nodes[num_nodes] = NULL;
	}
	if (dmaheap_class)
		class_destroy(dmaheap_class);
	dmaheap_class = NULL;
	if (dmaheap_devt)
		unregister_chrdev_region(dmaheap_devt, IONODE_MAX_HEAPS);
	dmaheap_devt = 0;
	dmaheap_idev = NULL;
}

/**
 * ionode_dmaheap_register - offer a device's heaps under /dev/<dmaheap_dir>
 * @idev: the registered ionode device
 *
 * One node per heap, in the heaps' order. Nothing is offered when
 * dmaheap_dir is empty, nor under the default name when the kernel has
 * dma-buf heaps of its own; that is logged, once. A failure is logged and
 * leaves the render node working: the nodes are a second door.
 */
void ionode_dmaheap_register(struct ionode_device *idev)
{
	struct ionode_heap *heap;
	int ret = 0;

	if (!dmaheap_dir || !*dmaheap_dir)
		return;
	if (IS_ENABLED(CONFIG_DMABUF_HEAPS) &&
	    !strcmp(dmaheap_dir, DMAHEAP_DEFAULT_DIR)) {
		drm_info_once(&idev->drm,
			      "the kernel has dma-buf heaps of its own: /dev/%s left alone (dmaheap_dir=NAME offers ionode's heaps under /dev/NAME)\n",
			      DMAHEAP_DEFAULT_DIR);
		return;
	}
	if (strchr(dmaheap_dir, '/') || !strcmp(dmaheap_dir, ".") ||
	    !strcmp(dmaheap_dir, "..")) {
		drm_warn(&idev->drm, "dmaheap_dir=%s is not a directory name\n",
			 dmaheap_dir);
		return;
	}

	mutex_lock(&dmaheap_lock);
	if (WARN_ON(dmaheap_idev)) {
		mutex_unlock(&dmaheap_lock);
		return;
	}
	dmaheap_idev = idev;
	ret = alloc_chrdev_region(&dmaheap_devt, 0, IONODE_MAX_HEAPS,
				  dmaheap_dir);
	if (ret) {
		dmaheap_devt = 0;
		goto err;
	}
	dmaheap_class = class_create(THIS_MODULE, dmaheap_dir);
	if (IS_ERR(dmaheap_class)) {
		ret = PTR_ERR(dmaheap_class);
		dmaheap_class = NULL;
		goto err;
	}
	/*
	 * The heaps there are now, by id; heaps that heap modules register
	 * later come through ionode_dmaheap_heap_added().
	 */
	ionode_heaps_lock();
	ionode_for_each_heap(idev, heap) {
		ret = ionode_dmaheap_node_add(heap, heap->id);
		if (ret)
			break;
		num_nodes = heap->id + 1;
	}
	ionode_heaps_unlock();
	if (ret)
		goto err;
	mutex_unlock(&dmaheap_lock);
	drm_info(&idev->drm, "%u heap(s) under /dev/%s\n", num_nodes,
		 dmaheap_dir);
	return;

err:
	ionode_dmaheap_teardown();
	mutex_unlock(&dmaheap_lock);
	drm_warn(&idev->drm, "no heaps under /dev/%s: %d\n", dmaheap_dir, ret);
}

/**
 * ionode_dmaheap_unregister - remove the nodes (unbind)
 *
 * Files already open stay valid: their allocations fail with -ENODEV once
 * the device is unplugged, and the buffers they made live on.
 */
void ionode_dmaheap_unregister(void)
{
	mutex_lock(&dmaheap_lock);
	ionode_dmaheap_teardown();
	mutex_unlock(&dmaheap_lock);
}

/**
 * ionode_dmaheap_policy_changed - restricted_heaps or restricted_gid changed
 *
 * Re-creates the node of each heap whose permissions changed, so that the
 * node's mode and group follow the policy; open files are unaffected.
 */
void ionode_dmaheap_policy_changed(void)
{
	unsigned int i;

	mutex_lock(&dmaheap_lock);
	for (i = 0; i < num_nodes; i++) {
		struct ionode_dmaheap_node *node = nodes[i];
		umode_t mode;
		kgid_t gid;

		if (!node)
			continue;
		ionode_dmaheap_perms(node->heap, &mode, &gid);
		if (node->dev && mode == node->mode && gid_eq(gid, node->gid))
			continue;
		if (node->dev)
			device_unregister(node->dev);
		node->dev = NULL;
		if (ionode_dmaheap_dev_add(node, i))
			drm_warn(&dmaheap_idev->drm,
				 "/dev/%s/%s could not be re-created\n",
				 dmaheap_dir, node->name);
	}
	mutex_unlock(&dmaheap_lock);
}

/**
 * ionode_dmaheap_heap_added - offer a heap a heap module registered
 * @heap: the heap, just registered (ionode_heap_register())
 *
 * Its node pins the heap's module while a file of it is open, so the heap
 * cannot go away under an open file.
 */
void ionode_dmaheap_heap_added(struct ionode_heap *heap)
{
	mutex_lock(&dmaheap_lock);
	if (dmaheap_class && dmaheap_idev == heap->idev &&
	    heap->id < IONODE_MAX_HEAPS && !nodes[heap->id]) {
		if (ionode_dmaheap_node_add(heap, heap->id))
			drm_warn(&heap->idev->drm, "no /dev/%s node for heap %s\n",
				 dmaheap_dir, heap->name);
		else
			num_nodes = max(num_nodes, heap->id + 1);
	}
	mutex_unlock(&dmaheap_lock);
}

/**
 * ionode_dmaheap_heap_removed - withdraw a heap module's heap
 * @heap: the heap being removed (ionode_heap_remove())
 */
void ionode_dmaheap_heap_removed(struct ionode_heap *heap)
{
	mutex_lock(&dmaheap_lock);
	if (heap->id < num_nodes && nodes[heap->id] &&
	    nodes[heap->id]->heap == heap) {
		ionode_dmaheap_node_del(nodes[heap->id]);
		nodes[heap->id] = NULL;
	}
	mutex_unlock(&dmaheap_lock);
}
