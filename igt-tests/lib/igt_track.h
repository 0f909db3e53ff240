/* SPDX-License-Identifier: MIT */
/*
 * igt_track.h - fds and mappings a test releases in one go.
 *
 * A subtest that fails leaves through a long jump, past its own cleanup:
 * tests track what they open and map, and release_all() at the start of the
 * next subtest closes and unmaps whatever is left.
 */
#ifndef IGT_TRACK_H
#define IGT_TRACK_H

#include <stdbool.h>
#include <stddef.h>

/** track_fd - remember @fd (asserts it is >= 0, reporting errno); returns it */
int track_fd(int fd);

/** untrack_fd - forget @fd without closing it; returns whether it was tracked */
bool untrack_fd(int fd);

/** close_fd - close a tracked fd (asserts) and forget it */
void close_fd(int fd);

/** track_map - remember the mapping @ptr of @len bytes; returns @ptr */
void *track_map(void *ptr, size_t len);

/** unmap - munmap a tracked mapping (asserts) and forget it */
void unmap(void *ptr);

/** release_all - unmap every tracked mapping, then close every tracked fd */
void release_all(void);

#endif /* IGT_TRACK_H */
