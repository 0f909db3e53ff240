/* SPDX-License-Identifier: MIT */
/*
 * tool_util.h - helpers the tools' programs share (not libionode's API).
 *
 * Header-only, so that a program stays one .c file linked with libionode
 * (tools/bench.sh compiles some on the fly that way).
 */
#ifndef IONODE_TOOL_UTIL_H
#define IONODE_TOOL_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/**
 * die() - print "PROGRAM: " and the message on stderr, exit with status 1
 * @fmt: printf format; the message ends with its own newline.
 */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(1);
}

#endif /* IONODE_TOOL_UTIL_H */
