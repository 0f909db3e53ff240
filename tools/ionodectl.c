// SPDX-License-Identifier: MIT
/*
 * ionodectl - inspect and exercise the ionode DRM allocator from a shell.
 *
 *   ionodectl [-d NODE] info
 *   ionodectl [-d NODE] heaps [--bytes]
 *   ionodectl [-d NODE] alloc SIZE [--heap NAME]... [--cached] [--contig]
 *                              [--align N] [--check]
 *   ionodectl --help
 *
 * SIZE and N accept a K, M or G suffix (powers of 1024). Options are parsed
 * with getopt_long(): the global ones before the command, the command's
 * own after it, in any order with its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xf86drm.h>

#include "libionode.h"

static const char *prog = "ionodectl";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-d NODE] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  info                      device, driver version, uapi and heap summary\n"
		"  heaps [--bytes]           table of heaps (sizes human-readable unless --bytes)\n"
		"  alloc SIZE [--heap NAME]... [--cached] [--contig] [--align N] [--check]\n"
		"                            allocate one buffer, print what was allocated, free it;\n"
		"                            --heap may repeat (tried in driver order, default: all\n"
		"                            heaps); --check maps it, verifies it reads as zero and\n"
		"                            that a written pattern reads back\n"
		"\n"
		"options:\n"
		"  -d, --device NODE         use this DRM node instead of looking up the\n"
		"                            render node whose driver is \"ionode\"\n"
		"  -h, --help                this text (also after a command)\n"
		"\n"
		"SIZE and N take an optional K, M or G suffix (powers of 1024).\n",
		prog);
}

/*
 * Parse the options of a command with getopt_long(): @argv[0] is the
 * command's name. Returns the option, -1 at the end, or '?' after printing
 * what was wrong with an unknown option or a missing value.
 */
static int next_opt(int argc, char **argv, const struct option *opts)
{
	int c = getopt_long(argc, argv, ":h", opts, NULL);

	if (c == '?')
		fprintf(stderr, "%s %s: unknown argument '%s'\n", prog, argv[0],
			argv[optind - 1]);
	else if (c == ':')
		fprintf(stderr, "%s %s: %s needs a value\n", prog, argv[0],
			argv[optind - 1]);
	return c == ':' ? '?' : c;
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "?";
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10; end++;
		break;
	case 'm': case 'M':
		v <<= 20; end++;
		break;
	case 'g': case 'G':
		v <<= 30; end++;
		break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Human-readable size into @buf: "4096 B", "1.0 MiB", "unknown". */
static const char *fmt_size(char *buf, size_t len, uint64_t v, bool bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	unsigned int u = 0;

	if (v == IONODE_SIZE_UNKNOWN) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	if (bytes || v < 1024) {
		snprintf(buf, len, "%" PRIu64 "%s", v, bytes ? "" : " B");
		return buf;
	}
	while (d >= 1024.0 && u < 4) {
		d /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

static const char *fmt_heap_flags(char *buf, size_t len, uint32_t flags)
{
	buf[0] = '\0';
	if (flags & IONODE_HEAP_CONTIGUOUS)
		snprintf(buf + strlen(buf), len - strlen(buf), "contig");
	if (flags & IONODE_HEAP_RESTRICTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%srestricted",
			 buf[0] ? "," : "");
	if (flags & ~(IONODE_HEAP_CONTIGUOUS | IONODE_HEAP_RESTRICTED))
		snprintf(buf + strlen(buf), len - strlen(buf), "%s0x%x",
			 buf[0] ? "," : "", (unsigned int)(flags &
			 ~(IONODE_HEAP_CONTIGUOUS | IONODE_HEAP_RESTRICTED)));
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static const char *fmt_bo_flags(char *buf, size_t len, uint32_t flags)
{
	snprintf(buf, len, "%s%s", flags & IONODE_BO_CACHED ? "cached" :
		 "write-combined", flags & IONODE_BO_CONTIGUOUS ? ",contig" : "");
	if (flags & ~IONODE_BO_FLAGS)
		snprintf(buf + strlen(buf), len - strlen(buf), ",0x%x",
			 (unsigned int)(flags & ~IONODE_BO_FLAGS));
	return buf;
}

static const char *fmt_attrs(char *buf, size_t len, uint32_t attrs)
{
	buf[0] = '\0';
	if (attrs & IONODE_ATTR_CONTIGUOUS)
		snprintf(buf + strlen(buf), len - strlen(buf), "contig");
	if (attrs & IONODE_ATTR_IMPORTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%simported",
			 buf[0] ? "," : "");
	if (attrs & IONODE_ATTR_EXPORTED)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sexported",
			 buf[0] ? "," : "");
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static int open_device(const char *node)
{
	int fd;

	if (node) {
		fd = open(node, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, node,
				strerror(errno));
			return -1;
		}
		if (ionode_is_ionode(fd) != 1) {
			fprintf(stderr, "%s: %s is not an ionode device\n",
				prog, node);
			close(fd);
			return -1;
		}
		return fd;
	}

	fd = ionode_open();
	if (fd < 0) {
		if (fd == -ENODEV)
			fprintf(stderr, "%s: no ionode device found "
				"(is the ionode module loaded?)\n", prog);
		else
			fprintf(stderr, "%s: cannot open the ionode device: %s\n",
				prog, strerror(-fd));
		return -1;
	}
	return fd;
}

static int get_heaps(int fd, struct drm_ionode_heap_info **heaps,
		     uint32_t *count)
{
	int ret = ionode_query_heaps(fd, heaps, count);

	if (ret)
		fprintf(stderr, "%s: heap query failed: %s\n", prog,
			strerror(-ret));
	return ret;
}

static int cmd_heaps(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct drm_ionode_heap_info *heaps;
	bool bytes = false;
	uint32_t count, i;
	char b[6][40];
	int c;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'b':
			bytes = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s heaps: unknown argument '%s'\n", prog,
			argv[optind]);
		return 2;
	}

	if (get_heaps(fd, &heaps, &count))
		return 1;

	printf("%-3s %-20s %-14s %-16s %12s %12s %12s %12s %12s\n", "ID",
	       "NAME", "TYPE", "FLAGS", "TOTAL", "USED", "FREE", "MAX_ALLOC",
	       "POOLED");
	for (i = 0; i < count; i++) {
		const struct drm_ionode_heap_info *h = &heaps[i];

		printf("%-3u %-20.*s %-14s %-16s %12s %12s %12s %12s %12s\n",
		       h->id,
		       IONODE_HEAP_NAME_LEN, h->name,
		       ionode_heap_type_name(h->type),
		       fmt_heap_flags(b[0], sizeof(b[0]), h->flags),
		       fmt_size(b[1], sizeof(b[1]), h->total_bytes, bytes),
		       fmt_size(b[2], sizeof(b[2]), h->used_bytes, bytes),
		       fmt_size(b[3], sizeof(b[3]), h->free_bytes, bytes),
		       fmt_size(b[4], sizeof(b[4]), h->max_alloc, bytes),
		       fmt_size(b[5], sizeof(b[5]), h->pool_bytes, bytes));
	}
	if (count == 0)
		printf("(no heaps)\n");
	printf("%u heap(s); heaps are tried top to bottom when a mask names several\n",
	       count);

	free(heaps);
	return 0;
}

static int cmd_info(int fd, const char *node)
{
	struct drm_ionode_heap_info *heaps;
	char render[256], card[256];
	drmVersionPtr ver;
	uint64_t cap = 0;
	uint32_t count, i;
	char *name;

	ver = drmGetVersion(fd);
	if (!ver) {
		fprintf(stderr, "%s: DRM_IOCTL_VERSION failed: %s\n", prog,
			strerror(errno));
		return 1;
	}

	name = drmGetDeviceNameFromFd2(fd);
	printf("device node:    %s\n", node ? node : (name ? name : "?"));
	free(name);
	if (ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_RENDER, render,
			     sizeof(render)) == 0)
		printf("render node:    %s\n", render);
	if (ionode_find_node(IONODE_DRIVER_NAME, DRM_NODE_PRIMARY, card,
			     sizeof(card)) == 0)
		printf("primary node:   %s\n", card);
	printf("driver:         %s (%s, %s)\n", ver->name, ver->desc, ver->date);
	printf("driver uapi:    %d.%d.%d\n", ver->version_major,
	       ver->version_minor, ver->version_patchlevel);
	printf("built for uapi: %d.%d (%s)\n", IONODE_UAPI_MAJOR,
	       IONODE_UAPI_MINOR,
	       ver->version_major == IONODE_UAPI_MAJOR &&
	       ver->version_minor >= IONODE_UAPI_MINOR ? "compatible" :
	       "INCOMPATIBLE");
	drmFreeVersion(ver);

	if (drmGetCap(fd, DRM_CAP_PRIME, &cap) == 0)
		printf("prime:          %s%s%s\n",
		       cap & DRM_PRIME_CAP_IMPORT ? "import " : "",
		       cap & DRM_PRIME_CAP_EXPORT ? "export" : "",
		       cap ? "" : "none");

	if (get_heaps(fd, &heaps, &count))
		return 1;
	printf("heaps:          %u\n", count);
	for (i = 0; i < count; i++) {
		char used[40], total[40];

		printf("  [%u] %-20.*s %-14s used %s of %s\n", heaps[i].id,
		       IONODE_HEAP_NAME_LEN, heaps[i].name,
		       ionode_heap_type_name(heaps[i].type),
		       fmt_size(used, sizeof(used), heaps[i].used_bytes, false),
		       fmt_size(total, sizeof(total), heaps[i].total_bytes,
				false));
	}
	free(heaps);
	return 0;
}

/* Map the buffer, check it reads as zero and that a pattern reads back. */
static int check_buffer(int fd, uint32_t handle, uint64_t size)
{
	uint32_t *p;
	size_t i, n = size / sizeof(uint32_t);
	void *ptr;
	int ret;

	ret = ionode_mmap(fd, handle, size, PROT_READ | PROT_WRITE, &ptr);
	if (ret) {
		fprintf(stderr, "%s: mmap failed: %s\n", prog, strerror(-ret));
		return 1;
	}
	p = ptr;
	for (i = 0; i < n; i++) {
		if (p[i]) {
			fprintf(stderr, "%s: byte offset %zu is 0x%08x, not zero\n",
				prog, i * 4, p[i]);
			munmap(ptr, size);
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		p[i] = (uint32_t)i * 2654435761u;
	for (i = 0; i < n; i++) {
		if (p[i] != (uint32_t)i * 2654435761u) {
			fprintf(stderr, "%s: readback mismatch at offset %zu\n",
				prog, i * 4);
			munmap(ptr, size);
			return 1;
		}
	}
	munmap(ptr, size);
	printf("check:     zero on allocation, pattern reads back (%" PRIu64
	       " bytes)\n", size);
	return 0;
}

static int cmd_alloc(int fd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "cached", no_argument, NULL, 'c' },
		{ "contig", no_argument, NULL, 'C' },
		{ "align", required_argument, NULL, 'a' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct drm_ionode_heap_info *heaps;
	struct drm_ionode_create req = { 0 };
	struct drm_ionode_bo_info info;
	const struct drm_ionode_heap_info *h;
	bool have_size = false, check = false;
	uint32_t count, flags = 0;
	uint64_t mask = 0, size = 0, align = 0;
	char b[4][64];
	int c, i, ret, status = 0;

	if (get_heaps(fd, &heaps, &count))
		return 1;

	while ((c = next_opt(argc, argv, opts)) != -1) {
		switch (c) {
		case 'c':
			flags |= IONODE_BO_CACHED;
			break;
		case 'C':
			flags |= IONODE_BO_CONTIGUOUS;
			break;
		case 'k':
			check = true;
			break;
		case 'H':
			h = ionode_find_heap(heaps, count, optarg);
			if (!h || h->id >= IONODE_MAX_HEAPS) {
				uint32_t j;

				fprintf(stderr, "%s alloc: no heap named '%s'; heaps:",
					prog, optarg);
				for (j = 0; j < count; j++)
					fprintf(stderr, " %.*s", IONODE_HEAP_NAME_LEN,
						heaps[j].name);
				fprintf(stderr, "\n");
				status = 1;
				goto out;
			}
			mask |= 1ull << h->id;
			break;
		case 'a':
			if (parse_size(optarg, &align)) {
				fprintf(stderr, "%s alloc: bad --align value\n", prog);
				goto usage;
			}
			break;
		case 'h':
			free(heaps);
			usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	for (i = optind; i < argc; i++) {
		if (have_size) {
			fprintf(stderr, "%s alloc: unknown argument '%s'\n", prog,
				argv[i]);
			goto usage;
		}
		if (parse_size(argv[i], &size)) {
			fprintf(stderr, "%s alloc: bad size '%s'\n", prog, argv[i]);
			goto usage;
		}
		have_size = true;
	}
	if (!have_size) {
		fprintf(stderr, "%s alloc: missing SIZE\n", prog);
		goto usage;
	}
	if (!mask)
		mask = ionode_heap_mask(heaps, count);

	req.size = size;
	req.align = align;
	req.heap_mask = mask;
	req.flags = flags;
	ret = ionode_create_ex(fd, &req);
	if (ret) {
		fprintf(stderr, "%s: allocation of %" PRIu64 " bytes (mask 0x%"
			PRIx64 ", flags %s, align %" PRIu64 ") failed: %s (%s)%s\n",
			prog, size, mask, fmt_bo_flags(b[0], sizeof(b[0]), flags),
			align, strerror(-ret), errname(-ret),
			ret == -E2BIG ? " (larger than max_alloc of every heap)" :
			ret == -ENOMEM ? " (heaps exhausted)" : "");
		status = 1;
		goto out;
	}

	h = NULL;
	for (i = 0; i < (int)count; i++)
		if (heaps[i].id == req.heap_id)
			h = &heaps[i];
	printf("handle:    %u\n", req.handle);
	printf("size:      %s (%" PRIu64 " bytes, requested %" PRIu64 ")\n",
	       fmt_size(b[0], sizeof(b[0]), req.size, false),
	       (uint64_t)req.size, size);
	printf("heap:      %u (%.*s)\n", req.heap_id, IONODE_HEAP_NAME_LEN,
	       h ? h->name : "?");

	ret = ionode_bo_info(fd, req.handle, &info);
	if (ret) {
		fprintf(stderr, "%s: bo_info failed: %s\n", prog, strerror(-ret));
		status = 1;
	} else {
		printf("info:      size %" PRIu64 ", heap %u, flags %s, attrs %s\n",
		       (uint64_t)info.size, info.heap_id,
		       fmt_bo_flags(b[1], sizeof(b[1]), info.flags),
		       fmt_attrs(b[2], sizeof(b[2]), info.attrs));
	}

	if (check && check_buffer(fd, req.handle, req.size))
		status = 1;

	ret = ionode_close(fd, req.handle);
	if (ret) {
		fprintf(stderr, "%s: GEM_CLOSE failed: %s\n", prog, strerror(-ret));
		status = 1;
	} else {
		printf("freed:     handle %u closed\n", req.handle);
	}
out:
	free(heaps);
	return status;
usage:
	free(heaps);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *node = NULL;
	const char *cmd;
	int c, fd, i, ret;

	if (argc > 0 && argv[0]) {
		const char *slash = strrchr(argv[0], '/');

		prog = slash ? slash + 1 : argv[0];
	}

	/* "+": the global options end at the command. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			node = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "%s: %s '%s'\n", prog,
				c == ':' ? "missing value for option" :
				"unknown option", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	i = optind;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "heaps") != 0 && strcmp(cmd, "alloc") != 0 &&
	    strcmp(cmd, "info") != 0) {
		fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
		usage(stderr);
		return 2;
	}

	fd = open_device(node);
	if (fd < 0)
		return 1;

	/* The command's own options: argv[0] is the command, getopt restarts. */
	optind = 0;
	if (strcmp(cmd, "heaps") == 0)
		ret = cmd_heaps(fd, argc - i + 1, argv + i - 1);
	else if (strcmp(cmd, "alloc") == 0)
		ret = cmd_alloc(fd, argc - i + 1, argv + i - 1);
	else if (i < argc) {
		fprintf(stderr, "%s info: takes no arguments\n", prog);
		ret = 2;
	} else {
		ret = cmd_info(fd, node);
	}

	close(fd);
	return ret;
}
