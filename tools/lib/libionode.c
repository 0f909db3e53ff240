// SPDX-License-Identifier: MIT
/*
 * libionode.c - thin userspace wrapper around the ionode DRM uapi.
 * See libionode.h for the API contract.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <xf86drm.h>

#include "libionode.h"

/* libdrm's drmIoctl() restarts the call on EINTR and EAGAIN. */
int ionode_ioctl(int fd, unsigned long request, void *arg)
{
	int ret = drmIoctl(fd, request, arg);

	return ret == -1 ? -errno : ret;
}

/* 1 if the DRM node at @fd belongs to @driver, 0 if not, -errno on error. */
static int fd_is_driver(int fd, const char *driver)
{
	drmVersionPtr ver;
	int match;

	ver = drmGetVersion(fd);
	if (!ver)
		return errno ? -errno : -ENODEV;
	match = ver->name && strcmp(ver->name, driver) == 0;
	drmFreeVersion(ver);
	return match;
}

/*
 * 1 if the device of the DRM node at @path is bound to the kernel driver
 * @driver according to sysfs (/sys/dev/char/M:m/device/driver), else 0.
 * For nodes this process may not open: ionode's platform driver has the
 * DRM driver's name.
 */
static int sysfs_driver_is(const char *path, const char *driver)
{
	char link[64], target[256];
	const char *base;
	struct stat st;
	ssize_t n;

	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/device/driver",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, driver) == 0;
}

/*
 * 1 if the node at @path belongs to @driver, 0 if not. A node that cannot
 * be opened matches when sysfs says so; if it was for lack of permission,
 * *@denied is set.
 */
static int path_is_driver(const char *path, const char *driver, bool *denied)
{
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (sysfs_driver_is(path, driver))
			return 1;
		if (err == EACCES || err == EPERM)
			*denied = true;
		return 0;
	}
	ret = fd_is_driver(fd, driver);
	close(fd);
	return ret > 0;
}

static int copy_path(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -ENAMETOOLONG;
	strcpy(dst, src);
	return 0;
}

/* Fallback for devices libdrm cannot enumerate: scan /dev/dri by name. */
static int scan_dev_dri(const char *driver, int node_type, char *path,
			size_t len, bool *denied)
{
	const char *prefix = node_type == DRM_NODE_RENDER ? "renderD" : "card";
	char buf[300];
	struct dirent *de;
	DIR *dir;
	int ret = -ENODEV;

	dir = opendir("/dev/dri");
	if (!dir)
		return -ENODEV;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(buf, sizeof(buf), "/dev/dri/%s", de->d_name);
		if (path_is_driver(buf, driver, denied)) {
			ret = copy_path(path, len, buf);
			break;
		}
	}
	closedir(dir);
	return ret;
}

int ionode_find_node(const char *driver, int node_type, char *path, size_t len)
{
	drmDevicePtr *devs;
	int i, n, ret = -ENODEV;
	bool denied = false;

	if (node_type != DRM_NODE_RENDER && node_type != DRM_NODE_PRIMARY)
		return -EINVAL;

	n = drmGetDevices2(0, NULL, 0);
	if (n > 0) {
		devs = calloc(n, sizeof(*devs));
		if (!devs)
			return -ENOMEM;
		n = drmGetDevices2(0, devs, n);
		for (i = 0; i < n && ret == -ENODEV; i++) {
			const char *node;

			if (!(devs[i]->available_nodes & (1 << node_type)))
				continue;
			node = devs[i]->nodes[node_type];
			if (path_is_driver(node, driver, &denied))
				ret = copy_path(path, len, node);
		}
		if (n > 0)
			drmFreeDevices(devs, n);
		free(devs);
	}
	if (ret == -ENODEV)
		ret = scan_dev_dri(driver, node_type, path, len, &denied);
	return ret == -ENODEV && denied ? -EACCES : ret;
}

int ionode_open_driver(const char *driver, int node_type)
{
	char path[256];
	int fd, ret;

	ret = ionode_find_node(driver, node_type, path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ionode_open(void)
{
	return ionode_open_driver(IONODE_DRIVER_NAME, DRM_NODE_RENDER);
}

int ionode_open_card(void)
{
	return ionode_open_driver(IONODE_DRIVER_NAME, DRM_NODE_PRIMARY);
}

int ionode_is_ionode(int fd)
{
	return fd_is_driver(fd, IONODE_DRIVER_NAME);
}

int ionode_query_heaps(int fd, struct drm_ionode_heap_info **heaps,
		       uint32_t *count)
{
	struct drm_ionode_query_heaps q;
	struct drm_ionode_heap_info *arr;
	int ret, tries;

	/* Heaps could in principle appear between the two passes: retry. */
	for (tries = 0; tries < 8; tries++) {
		memset(&q, 0, sizeof(q));
		ret = ionode_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
		if (ret)
			return ret;
		if (q.count == 0) {
			*heaps = NULL;
			*count = 0;
			return 0;
		}

		arr = calloc(q.count, sizeof(*arr));
		if (!arr)
			return -ENOMEM;
		q.elem_size = sizeof(*arr);
		q.heaps = (uintptr_t)arr;
		ret = ionode_ioctl(fd, DRM_IOCTL_IONODE_QUERY_HEAPS, &q);
		if (ret == 0) {
			*heaps = arr;
			*count = q.count;
			return 0;
		}
		free(arr);
		if (ret != -ENOSPC)
			return ret;
	}
	return -EAGAIN;
}

const struct drm_ionode_heap_info *
ionode_find_heap(const struct drm_ionode_heap_info *heaps, uint32_t count,
		 const char *name)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		if (strncmp(heaps[i].name, name, IONODE_HEAP_NAME_LEN) == 0)
			return &heaps[i];
	return NULL;
}

uint64_t ionode_heap_mask(const struct drm_ionode_heap_info *heaps,
			  uint32_t count)
{
	uint64_t mask = 0;
	uint32_t i;

	for (i = 0; i < count; i++)
		if (heaps[i].id < IONODE_MAX_HEAPS)
			mask |= 1ull << heaps[i].id;
	return mask;
}

int ionode_heap_mask_by_name(int fd, const char *name, uint64_t *mask)
{
	const struct drm_ionode_heap_info *h;
	struct drm_ionode_heap_info *heaps;
	uint32_t count;
	int ret;

	ret = ionode_query_heaps(fd, &heaps, &count);
	if (ret)
		return ret;
	h = ionode_find_heap(heaps, count, name);
	if (h && h->id < IONODE_MAX_HEAPS)
		*mask = 1ull << h->id;
	else
		ret = -ENOENT;
	free(heaps);
	return ret;
}

const char *ionode_heap_type_name(uint32_t type)
{
	switch (type) {
	case IONODE_HEAP_TYPE_SYSTEM:
		return "system";
	case IONODE_HEAP_TYPE_SYSTEM_CONTIG:
		return "system-contig";
	case IONODE_HEAP_TYPE_CARVEOUT:
		return "carveout";
	case IONODE_HEAP_TYPE_CMA:
		return "cma";
	default:
		return "unknown";
	}
}

int ionode_create_ex(int fd, struct drm_ionode_create *req)
{
	return ionode_ioctl(fd, DRM_IOCTL_IONODE_CREATE, req);
}

int ionode_create(int fd, uint64_t size, uint64_t heap_mask, uint32_t flags,
		  uint32_t *handle)
{
	struct drm_ionode_create req = {
		.size = size,
		.heap_mask = heap_mask,
		.flags = flags,
	};
	int ret;

	ret = ionode_create_ex(fd, &req);
	if (ret == 0)
		*handle = req.handle;
	return ret;
}

int ionode_close(int fd, uint32_t handle)
{
	return drmCloseBufferHandle(fd, handle) ? -errno : 0;
}

int ionode_map_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_ionode_map_offset arg = { .handle = handle };
	int ret;

	ret = ionode_ioctl(fd, DRM_IOCTL_IONODE_MAP_OFFSET, &arg);
	if (ret == 0)
		*offset = arg.offset;
	return ret;
}

int ionode_mmap(int fd, uint32_t handle, size_t size, int prot, void **ptr)
{
	uint64_t offset;
	void *p;
	int ret;

	ret = ionode_map_offset(fd, handle, &offset);
	if (ret)
		return ret;
	p = mmap(NULL, size, prot, MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	*ptr = p;
	return 0;
}

int ionode_bo_info(int fd, uint32_t handle, struct drm_ionode_bo_info *info)
{
	struct drm_ionode_bo_info arg = { .handle = handle };
	int ret;

	ret = ionode_ioctl(fd, DRM_IOCTL_IONODE_BO_INFO, &arg);
	if (ret == 0)
		*info = arg;
	return ret;
}

int ionode_export(int fd, uint32_t handle, int *dmabuf_fd)
{
	int ret, out;

	ret = drmPrimeHandleToFD(fd, handle, DRM_CLOEXEC | DRM_RDWR, &out);
	if (ret)
		return errno ? -errno : -EINVAL;
	*dmabuf_fd = out;
	return 0;
}

int ionode_create_fd(int fd, uint64_t size, uint64_t heap_mask, uint32_t flags,
		     int *dmabuf_fd, uint32_t *heap_id)
{
	struct drm_ionode_alloc_fd req = {
		.size = size,
		.heap_mask = heap_mask,
		.flags = flags,
		.fd_flags = O_CLOEXEC | O_RDWR,
	};
	int ret;

	ret = ionode_ioctl(fd, DRM_IOCTL_IONODE_ALLOC_FD, &req);
	if (ret)
		return ret;
	*dmabuf_fd = req.fd;
	if (heap_id)
		*heap_id = req.heap_id;
	return 0;
}

int ionode_import(int fd, int dmabuf_fd, uint32_t *handle)
{
	uint32_t h;
	int ret;

	ret = drmPrimeFDToHandle(fd, dmabuf_fd, &h);
	if (ret)
		return errno ? -errno : -EINVAL;
	*handle = h;
	return 0;
}

int ionode_dmabuf_sync(int dmabuf_fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ionode_ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
}

int ionode_dmabuf_mmap(int dmabuf_fd, size_t size, int prot, void **ptr)
{
	void *p;

	p = mmap(NULL, size, prot, MAP_SHARED, dmabuf_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*ptr = p;
	return 0;
}
