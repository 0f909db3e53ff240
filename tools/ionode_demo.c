// SPDX-License-Identifier: MIT
/*
 * ionode_demo - a guided tour of ionode for newcomers, run by `make demo`
 * inside the test VM: allocate a buffer from a heap, map it, share it with
 * a second process over a Unix socket and with another DRM driver (vgem),
 * and watch the accounting follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libionode.h"

#define BUF_SIZE (1u << 20)

static int step_no;

static void step(const char *what)
{
	printf("\n[%d] %s\n", ++step_no, what);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("    ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "ionode_demo: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Prints the drm-memory-* lines of our DRM fd's fdinfo. */
static void show_fdinfo(int fd)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "drm-memory-", 11))
			printf("      %s", line);
	fclose(f);
}

static int send_fd(int sock, int fd)
{
	char dummy = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &dummy, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char dummy, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &dummy, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The second process: maps the dma-buf it was sent, reads, answers. */
static int child_main(int sock)
{
	int dmabuf = recv_fd(sock);
	char *p;

	if (dmabuf < 0 || ionode_dmabuf_mmap(dmabuf, BUF_SIZE,
					     PROT_READ | PROT_WRITE, (void **)&p))
		return 1;
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	say("child pid %d reads: \"%s\"", getpid(), p);
	strcpy(p + 4096, "hello back from the child process");
	ionode_dmabuf_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	munmap(p, BUF_SIZE);
	close(dmabuf);
	return 0;
}

static void share_with_process(int dmabuf, const char *map)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (!pid) {
		close(sv[0]);
		_exit(child_main(sv[1]));
	}
	close(sv[1]);
	if (send_fd(sv[0], dmabuf))
		die("sendmsg", errno);
	waitpid(pid, &status, 0);
	close(sv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("child process", EIO);
	say("parent reads what the child wrote: \"%s\"", map + 4096);
}

static void share_with_vgem(int dmabuf)
{
	uint32_t handle;
	int vgem, again;
	char *p;

	vgem = ionode_open_driver("vgem", DRM_NODE_PRIMARY);
	if (vgem < 0) {
		say("vgem is not loaded here; skipping this step");
		return;
	}
	if (drmPrimeFDToHandle(vgem, dmabuf, &handle))
		die("vgem import", errno);
	say("vgem imported the dma-buf as its GEM handle %u: it attached to", handle);
	say("ionode's buffer and mapped it for DMA, with no copy");
	if (drmPrimeHandleToFD(vgem, handle, DRM_CLOEXEC | DRM_RDWR, &again))
		die("vgem export", errno);
	if (ionode_dmabuf_mmap(again, BUF_SIZE, PROT_READ, (void **)&p))
		die("mmap of vgem's fd", errno);
	say("vgem hands back a dma-buf fd that reads: \"%s\"", p);
	munmap(p, BUF_SIZE);
	close(again);
	drmCloseBufferHandle(vgem, handle);
	close(vgem);
}

static void show_heaps(int fd, const char *when)
{
	struct drm_ionode_heap_info *heaps;
	uint32_t i, count;
	int ret;

	ret = ionode_query_heaps(fd, &heaps, &count);
	if (ret)
		die("query heaps", ret);
	say("heap usage %s:", when);
	for (i = 0; i < count; i++)
		printf("      %-14s %-14s used %8llu KiB%s\n", heaps[i].name,
		       ionode_heap_type_name(heaps[i].type),
		       (unsigned long long)heaps[i].used_bytes >> 10,
		       (heaps[i].flags & IONODE_HEAP_CONTIGUOUS) ?
		       "  (physically contiguous)" : "");
	free(heaps);
}

int main(void)
{
	struct drm_ionode_bo_info info;
	drmVersionPtr ver;
	uint64_t mask;
	uint32_t handle;
	int fd, dmabuf, ret;
	char *map;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ionode demo: ION-style heaps on a DRM render node\n");

	step("Open ionode's render node, the way any DRM client would");
	fd = ionode_open();
	if (fd < 0)
		die("no ionode render node (is ionode.ko loaded?)", fd);
	ver = drmGetVersion(fd);
	say("driver \"%s\" version %d.%d: \"%s\"", ver->name,
	    ver->version_major, ver->version_minor, ver->desc);
	drmFreeVersion(ver);
	show_heaps(fd, "before anything is allocated");

	step("Allocate 1 MiB, accepting the system or the system-contig heap");
	ret = ionode_heap_mask_by_name(fd, "system", &mask);
	if (ret)
		die("find system heap", ret);
	{
		uint64_t contig;

		if (!ionode_heap_mask_by_name(fd, "system-contig", &contig))
			mask |= contig;
	}
	ret = ionode_create(fd, BUF_SIZE, mask, 0, &handle);
	if (ret)
		die("create", ret);
	ret = ionode_bo_info(fd, handle, &info);
	if (ret)
		die("bo info", ret);
	say("got GEM handle %u from heap id %u (the first heap in priority order that could serve it)",
	    handle, info.heap_id);
	say("its pages are %s; CPU mappings are %s",
	    (info.attrs & IONODE_ATTR_CONTIGUOUS) ? "contiguous" : "scattered (not contiguous)",
	    (info.flags & IONODE_BO_CACHED) ? "cached" : "write-combined");
	show_heaps(fd, "with the buffer allocated");
	say("this client's fdinfo (the kernel's drm-usage-stats keys):");
	show_fdinfo(fd);

	step("Map it through the DRM fd and write a message");
	ret = ionode_mmap(fd, handle, BUF_SIZE, PROT_READ | PROT_WRITE, (void **)&map);
	if (ret)
		die("mmap", ret);
	say("a fresh buffer is zeroed: first byte is %d", map[0]);
	strcpy(map, "hello from ionode");
	say("wrote \"%s\"", map);

	step("Export it as a dma-buf fd (PRIME) and send it to another process");
	ret = ionode_export(fd, handle, &dmabuf);
	if (ret)
		die("export", ret);
	say("dma-buf fd %d; sending it over a Unix socket (SCM_RIGHTS)", dmabuf);
	share_with_process(dmabuf, map);

	step("Hand the same dma-buf to another DRM driver: vgem");
	share_with_vgem(dmabuf);

	step("Free it: close the handle, unmap, close the dma-buf fd");
	ionode_close(fd, handle);
	say("handle closed; the dma-buf fd still keeps the memory alive");
	show_heaps(fd, "after closing the handle");
	munmap(map, BUF_SIZE);
	close(dmabuf);
	show_heaps(fd, "after closing the last reference");

	close(fd);
	printf("\nionode demo: done\n");
	return 0;
}
