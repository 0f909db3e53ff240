// SPDX-License-Identifier: GPL-2.0
/*
 * ionode clients: who holds what.
 *
 * Each DRM file is a client, and so is each open dma-heap file
 * (ionode_dmaheap.c). A buffer is charged to the client that
 * created it for the buffer's whole life, even after that client closed
 * its handle or its file while a dma-buf fd keeps the buffer alive, so a
 * process cannot slip past its limit by exporting and closing. Foreign
 * buffers imported into a file are counted apart, per handle. Buffers
 * that other kernel drivers allocate through ionode.h are charged to the
 * "kernel" client.
 */
#include <linux/dma-buf.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>

#include "ionode_backing.h"
#include "ionode_drv.h"

static void ionode_client_release(struct kref *ref)
{
	struct ionode_client *client = container_of(ref, struct ionode_client,
						    ref);
	struct ionode_device *idev = client->idev;

	mutex_lock(&idev->clients_lock);
	list_del(&client->node);
	mutex_unlock(&idev->clients_lock);

	mutex_destroy(&client->lock);
	kfree(client);
	drm_dev_put(&idev->drm);
}

/**
 * ionode_client_put - drop a reference to a client
 * @client: the client
 */
void ionode_client_put(struct ionode_client *client)
{
	kref_put(&client->ref, ionode_client_release);
}

/**
 * ionode_client_create - make a client and list it in the device
 * @idev: the ionode device
 * @comm: name to show; NULL for the current task's
 * @via: how the client reaches ionode ("drm", "kernel", a driver's label)
 * @kernel: the client stands for in-kernel users (no client limit, may use
 *	restricted heaps)
 *
 * A client that is not @kernel stands for the current task: its thread
 * group id and command name are recorded.
 *
 * Return: the client with one reference, or NULL when out of memory.
 */
struct ionode_client *ionode_client_create(struct ionode_device *idev,
					   const char *comm, const char *via,
					   bool kernel)
{
	struct ionode_client *client;

	client = kzalloc(sizeof(*client), GFP_KERNEL_ACCOUNT);
	if (!client)
		return NULL;

	kref_init(&client->ref);
	mutex_init(&client->lock);
	client->idev = idev;
	client->kernel = kernel;
	client->pid = kernel ? 0 : task_tgid_nr(current);
	if (comm)
		strscpy(client->comm, comm, sizeof(client->comm));
	else
		get_task_comm(client->comm, current);
	strscpy(client->via, via, sizeof(client->via));

	drm_dev_get(&idev->drm);
	mutex_lock(&idev->clients_lock);
	client->id = ++idev->last_client_id;
	list_add_tail(&client->node, &idev->clients);
	mutex_unlock(&idev->clients_lock);
	return client;
}

/**
 * ionode_client_mark_closed - the file (or driver) that made the client is
 *	gone; the client stays listed while buffers it created are alive
 * @client: the client; the caller's reference is dropped
 */
void ionode_client_mark_closed(struct ionode_client *client)
{
	mutex_lock(&client->lock);
	client->closed = true;
	mutex_unlock(&client->lock);
	ionode_client_put(client);
}

/**
 * ionode_client_drm_open - &drm_driver.open: give the new file a client
 * @dev: the DRM device
 * @file: the new DRM file
 *
 * Return: 0 or -ENOMEM.
 */
int ionode_client_drm_open(struct drm_device *dev, struct drm_file *file)
{
	struct ionode_client *client;

	client = ionode_client_create(to_ionode_dev(dev), NULL, "drm", false);
	if (!client)
		return -ENOMEM;
	file->driver_priv = client;
	return 0;
}

/**
 * ionode_client_drm_postclose - &drm_driver.postclose: the file is gone
 * @dev: the DRM device
 * @file: the closed DRM file; its handles are already released
 *
 * The client stays listed while buffers it created are alive.
 */
void ionode_client_drm_postclose(struct drm_device *dev, struct drm_file *file)
{
	ionode_client_mark_closed(file->driver_priv);
}

/**
 * ionode_client_reserve - charge bytes against the client limit
 * @client: the creating client
 * @size: bytes about to be allocated
 *
 * Return: 0, or -EDQUOT when the client limit would be exceeded.
 */
int ionode_client_reserve(struct ionode_client *client, u64 size)
{
	u64 limit = client->kernel ? 0 : ionode_policy_client_limit();
	int ret = 0;

	mutex_lock(&client->lock);
	if (limit && (size > limit || client->total_bytes > limit - size))
		ret = -EDQUOT;
	else
		client->total_bytes += size;
	mutex_unlock(&client->lock);
	return ret;
}

/**
 * ionode_client_unreserve - undo ionode_client_reserve() after a failure
 * @client: the client
 * @size: bytes reserved
 */
void ionode_client_unreserve(struct ionode_client *client, u64 size)
{
	mutex_lock(&client->lock);
	client->total_bytes -= size;
	mutex_unlock(&client->lock);
}

/**
 * ionode_client_charge_bo - count a buffer's memory in its owner's usage
 * @bo: a buffer of ionode_client_attach_bo()'s, with its memory, whose
 *	bytes were reserved with ionode_client_reserve()
 */
void ionode_client_charge_bo(struct ionode_bo *bo)
{
	struct ionode_client *client = bo->owner;
	struct ionode_usage *usage = &client->heap[ionode_bo_heap_id(bo)];

	mutex_lock(&client->lock);
	usage->bytes += bo->base.size;
	usage->buffers++;
	mutex_unlock(&client->lock);
}

/**
 * ionode_client_attach_bo - make a new buffer the client's
 * @client: the creating client
 * @bo: the buffer: with its memory, whose bytes were reserved with
 *	ionode_client_reserve(), or a deferred one without (charged when its
 *	memory comes, with ionode_client_charge_bo())
 */
void ionode_client_attach_bo(struct ionode_client *client, struct ionode_bo *bo)
{
	struct ionode_device *idev = client->idev;

	kref_get(&client->ref);
	bo->owner = client;
	if (bo->backing)
		ionode_client_charge_bo(bo);
	/* Who asked for it: the task, whichever client pays. */
	bo->pid = task_tgid_nr(current);
	get_task_comm(bo->comm, current);
	mutex_lock(&idev->bos_lock);
	list_add_tail(&bo->node, &idev->bos);
	mutex_unlock(&idev->bos_lock);
}

/**
 * ionode_client_detach_bo - the buffer is being freed
 * @bo: a buffer given to its owner with ionode_client_attach_bo()
 */
void ionode_client_detach_bo(struct ionode_bo *bo)
{
	struct ionode_client *client = bo->owner;
	struct ionode_device *idev = client->idev;

	mutex_lock(&idev->bos_lock);
	list_del(&bo->node);
	mutex_unlock(&idev->bos_lock);
	if (bo->backing) {
		struct ionode_usage *usage = &client->heap[ionode_bo_heap_id(bo)];

		mutex_lock(&client->lock);
		usage->bytes -= bo->base.size;
		usage->buffers--;
		client->total_bytes -= bo->base.size;
		mutex_unlock(&client->lock);
	}
	bo->owner = NULL;
	ionode_client_put(client);
}

/**
 * ionode_client_count_import - count a handle to a foreign buffer
 * @file: the DRM file that gained or lost the handle
 * @obj: an imported GEM object
 * @add: true when the handle was created, false when it went away
 */
void ionode_client_count_import(struct drm_file *file,
				struct drm_gem_object *obj, bool add)
{
	struct ionode_client *client = file->driver_priv;

	mutex_lock(&client->lock);
	if (add) {
		client->imported.bytes += obj->size;
		client->imported.buffers++;
	} else {
		client->imported.bytes -= obj->size;
		client->imported.buffers--;
	}
	mutex_unlock(&client->lock);
}

/**
 * ionode_client_show_usage - print a client's usage as fdinfo keys
 * @m: the fdinfo file
 * @client: the client the file is
 *
 * Prints the keys of the kernel's drm-usage-stats convention: one
 * drm-memory-<heap> line per heap for the buffers this client created and
 * drm-memory-imported for the foreign buffers it holds. The DRM fd and an
 * open dma-heap file (ionode_dmaheap.c) print the same.
 */
void ionode_client_show_usage(struct seq_file *m, struct ionode_client *client)
{
	struct ionode_device *idev = client->idev;
	struct ionode_heap *heap;
	int idx;

	seq_printf(m, "drm-driver:\t%s\n", DRIVER_NAME);
	seq_printf(m, "drm-client-id:\t%llu\n", client->id);

	idx = ionode_heaps_read_lock();
	mutex_lock(&client->lock);
	ionode_for_each_heap(idev, heap)
		seq_printf(m, "drm-memory-%s:\t%llu KiB\n", heap->name,
			   client->heap[heap->id].bytes >> 10);
	seq_printf(m, "drm-memory-imported:\t%llu KiB\n",
		   client->imported.bytes >> 10);
	mutex_unlock(&client->lock);
	ionode_heaps_read_unlock(idx);
}

/**
 * ionode_client_show_fdinfo - &file_operations.show_fdinfo of the DRM fd
 * @m: the fdinfo file
 * @f: the DRM file
 */
void ionode_client_show_fdinfo(struct seq_file *m, struct file *f)
{
	struct drm_file *file = f->private_data;

	ionode_client_show_usage(m, file->driver_priv);
}

/**
 * ionode_clients_show - print every client's usage, for debugfs
 * @m: the seq_file
 * @idev: the ionode device
 */
void ionode_clients_show(struct seq_file *m, struct ionode_device *idev)
{
	struct ionode_client *client;
	struct ionode_heap *heap;
	int idx;

	seq_printf(m, "%-6s %-8s %-16s %-7s %-16s %14s %8s %s\n", "client",
		   "pid", "comm", "state", "heap", "bytes", "buffers", "via");

	idx = ionode_heaps_read_lock();
	mutex_lock(&idev->clients_lock);
	list_for_each_entry(client, &idev->clients, node) {
		const char *state = client->kernel ? "kernel" :
				    client->closed ? "closed" : "open";

		mutex_lock(&client->lock);
		ionode_for_each_heap(idev, heap) {
			if (!client->heap[heap->id].buffers)
				continue;
			seq_printf(m, "%-6llu %-8d %-16s %-7s %-16s %14llu %8llu %s\n",
				   client->id, client->pid, client->comm, state,
				   heap->name, client->heap[heap->id].bytes,
				   client->heap[heap->id].buffers, client->via);
		}
		if (client->imported.buffers)
			seq_printf(m, "%-6llu %-8d %-16s %-7s %-16s %14llu %8llu %s\n",
				   client->id, client->pid, client->comm, state,
				   "(imported)", client->imported.bytes,
				   client->imported.buffers, client->via);
		mutex_unlock(&client->lock);
	}
	mutex_unlock(&idev->clients_lock);
	ionode_heaps_read_unlock(idx);
}

/* "vgem,ionode-m2m.1": the devices attached to @bo; its lock held. */
static void ionode_buffer_show_devices(struct seq_file *m, struct ionode_bo *bo)
{
	struct ionode_attachment *a;
	const char *sep = "";

	list_for_each_entry(a, &bo->attachments, node) {
		seq_printf(m, "%s%s", sep, dev_name(a->dev));
		sep = ",";
	}
	if (!*sep)
		seq_puts(m, "-");
}

/**
 * ionode_buffers_show - print every ionode buffer, for debugfs
 * @m: the seq_file
 * @idev: the ionode device
 *
 * One line per buffer: the client it is charged to, the task that created
 * it (pid and command), its heap ("-" while a deferred buffer has no
 * memory), its size, the devices attached to it and, last, the name given
 * to its dma-buf with DMA_BUF_SET_NAME (the rest of the line, empty for
 * none; tabs, newlines and backslashes escaped as octal).
 */
void ionode_buffers_show(struct seq_file *m, struct ionode_device *idev)
{
	struct ionode_bo *bo;

	seq_printf(m, "%-6s %-8s %-16s %-16s %14s %-24s %s\n", "client",
		   "pid", "task", "heap", "bytes", "devices", "name");

	mutex_lock(&idev->bos_lock);
	list_for_each_entry(bo, &idev->bos, node) {
		struct ionode_backing *b;

		mutex_lock(&bo->lock);
		b = bo->backing;
		seq_printf(m, "%-6llu %-8d %-16s %-16s %14zu ", bo->owner->id,
			   bo->pid, bo->comm, b ? b->heap->name : "-",
			   bo->base.size);
		ionode_buffer_show_devices(m, bo);
		seq_putc(m, ' ');
		if (bo->dmabuf) {
			spin_lock(&bo->dmabuf->name_lock);
			if (bo->dmabuf->name)
				seq_escape(m, bo->dmabuf->name, "\t\n\\");
			spin_unlock(&bo->dmabuf->name_lock);
		}
		seq_putc(m, '\n');
		mutex_unlock(&bo->lock);
	}
	mutex_unlock(&idev->bos_lock);
}
