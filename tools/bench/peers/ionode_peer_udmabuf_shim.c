// SPDX-License-Identifier: GPL-2.0
/*
 * ionode_peer_udmabuf_shim - what Linux 6.1's drivers/dma-buf/udmabuf.c
 * needs from the kernel that Debian's stock kernel (CONFIG_UDMABUF not set)
 * does not export, for the test-only module ionode_peer_udmabuf.ko that
 * `make bench` builds from the unmodified upstream file. The Kbuild file
 * renames the three symbols in udmabuf.o to these stand-ins:
 *
 * memfd_fcntl(file, F_GET_SEALS, 0)
 *	the seals of a shmem memfd, read as mm/memfd.c's memfd_get_seals()
 *	reads them (shmem_inode_info.seals); anything else is -EINVAL, which
 *	udmabuf treats as "not a memfd".
 * hugetlbfs_file_operations, is_file_shm_hugepages()
 *	used by is_file_hugepages(): a file_operations no file has and a
 *	function that says no, so that hugetlbfs memfds are refused (-EBADFD,
 *	as any file that is neither shmem nor hugetlbfs). The benchmark uses
 *	shmem memfds only.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/shmem_fs.h>

long ionode_peer_memfd_fcntl(struct file *file, unsigned int cmd,
			     unsigned long arg);
bool ionode_peer_is_file_shm_hugepages(struct file *file);

long ionode_peer_memfd_fcntl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	if (cmd != F_GET_SEALS || !shmem_file(file))
		return -EINVAL;
	return READ_ONCE(SHMEM_I(file_inode(file))->seals);
}

const struct file_operations ionode_peer_hugetlbfs_fops;

bool ionode_peer_is_file_shm_hugepages(struct file *file)
{
	return false;
}

/* Built in, udmabuf.c needs no import; as a module it does. */
MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("Linux 6.1 udmabuf, test-only, for ionode's benchmark");
