// SPDX-License-Identifier: GPL-2.0
/*
 * ionode debugfs, the successor of ION's /sys/kernel/debug/ion:
 * /sys/kernel/debug/dri/<minor>/ionode_heaps   per-heap usage and limits
 * /sys/kernel/debug/dri/<minor>/ionode_clients who holds what, per heap
 * /sys/kernel/debug/dri/<minor>/ionode_pools   the system heap's pools
 * /sys/kernel/debug/dri/<minor>/ionode_buffers every buffer: owner, task,
 *                                              heap, size, devices, name
 */
#include <linux/seq_file.h>

#include <drm/drm_debugfs.h>
#include <drm/drm_file.h>

#include "ionode_drv.h"
#include "ionode_pool.h"

static int ionode_debugfs_heaps(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;

	ionode_heaps_show(m, to_ionode_dev(node->minor->dev));
	return 0;
}

static int ionode_debugfs_clients(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;

	ionode_clients_show(m, to_ionode_dev(node->minor->dev));
	return 0;
}

static int ionode_debugfs_buffers(struct seq_file *m, void *data)
{
	struct drm_info_node *node = m->private;

	ionode_buffers_show(m, to_ionode_dev(node->minor->dev));
	return 0;
}

static int ionode_debugfs_pools(struct seq_file *m, void *data)
{
	ionode_pool_show(m);
	return 0;
}

static const struct drm_info_list ionode_debugfs_list[] = {
	{ "ionode_heaps", ionode_debugfs_heaps, 0 },
	{ "ionode_pools", ionode_debugfs_pools, 0 },
	{ "ionode_clients", ionode_debugfs_clients, 0 },
	{ "ionode_buffers", ionode_debugfs_buffers, 0 },
};

/**
 * ionode_debugfs_init - &drm_driver.debugfs_init
 * @minor: the DRM minor (card or render node) whose directory to fill
 */
void ionode_debugfs_init(struct drm_minor *minor)
{
	drm_debugfs_create_files(ionode_debugfs_list,
				 ARRAY_SIZE(ionode_debugfs_list),
				 minor->debugfs_root, minor);
}
