# SPDX-License-Identifier: GPL-2.0
#
# kver.mk: the one place that decides which kernel the modules build
# against, included by the top Makefile, drm-driver/Makefile and
# v4l2-glue/Makefile, so that `make` and `make -C drm-driver` agree. It asks
# tools/vm/common.sh's detect_kver, as the test VM does: the newest
# /boot/vmlinuz-<ver> with /lib/modules/<ver>/build (Debian's stock kernel,
# never the host's running one). KVER=... or KDIR=... override it.

IONODE_TOOLS := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KVER ?= $(shell bash -c '. "$(IONODE_TOOLS)/vm/common.sh" && detect_kver' 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
