// SPDX-License-Identifier: MIT
/*
 * igt_track.c - fds and mappings a test releases in one go (igt_track.h).
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"
#include "igt_track.h"

#define MAX_FDS		512
#define MAX_MAPS	512

static int fds[MAX_FDS];
static int n_fds;
static struct {
	void *ptr;
	size_t len;
} maps[MAX_MAPS];
static int n_maps;

int track_fd(int fd)
{
	igt_assert_f(fd >= 0, "open failed: %s\n", igt_errno_name(errno));
	igt_assert(n_fds < MAX_FDS);
	fds[n_fds++] = fd;
	return fd;
}

bool untrack_fd(int fd)
{
	int i;

	for (i = 0; i < n_fds; i++) {
		if (fds[i] == fd) {
			fds[i] = fds[--n_fds];
			return true;
		}
	}
	return false;
}

void close_fd(int fd)
{
	untrack_fd(fd);
	igt_assert_eq(close(fd), 0);
}

void *track_map(void *ptr, size_t len)
{
	igt_assert(n_maps < MAX_MAPS);
	maps[n_maps].ptr = ptr;
	maps[n_maps].len = len;
	n_maps++;
	return ptr;
}

void unmap(void *ptr)
{
	int i;

	for (i = 0; i < n_maps; i++) {
		if (maps[i].ptr == ptr) {
			igt_assert_eq(munmap(ptr, maps[i].len), 0);
			maps[i] = maps[--n_maps];
			return;
		}
	}
	igt_assert_f(0, "unmap of an untracked mapping\n");
}

void release_all(void)
{
	while (n_maps) {
		n_maps--;
		munmap(maps[n_maps].ptr, maps[n_maps].len);
	}
	while (n_fds)
		close(fds[--n_fds]);
}
