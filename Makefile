# SPDX-License-Identifier: GPL-2.0
#
# ionode: the one entry point.
#
#   make          build ionode.ko (and ionode_v4l2.ko), the tools and tests
#   make check    install what is missing, build, run every test in the VM
#   make demo     install what is missing, build, run the guided demo
#   make bench    install what is missing, build (with the test-only upstream
#                 peer modules, `make peers`), run the benchmarks
#   make vkms     build the test-only vkms.ko for the stock kernel (make check
#                 does; see tools/vkms/)
#   make checkpatch / make sparse    kernel style and static checks
#   make htmldocs build/htmldocs/ from Documentation/ (Sphinx + kernel-doc)
#   make install  libionode (shared library, headers, pkg-config file),
#                 ionodectl and its man page, the udev rule: PREFIX (default
#                 /usr/local), DESTDIR, LIBDIR...; see tools/Makefile.
#                 `make uninstall` removes them
#   make install-dkms  the modules' sources and dkms.conf into
#                 /usr/src/ionode-<version> for `dkms add/build/install`
#                 (README.md, "Install on a real machine")
#   make dkms-check    a DKMS build for the stock kernel in scratch trees
#   make install-check make install/uninstall into scratch directories
#                 (make check runs both)
#
# Modules build against Debian's stock kernel (the newest /boot/vmlinuz-*
# with headers), never against the host's running kernel: KVER=... or
# KDIR=... override it. KERNEL=full runs check on the debug kernel built
# from linux-source-6.1 instead (see Documentation/testing.rst).

SHELL := /bin/bash
include tools/kver.mk
KERNEL ?= stock
CHECKPATCH := /usr/src/linux-source-6.1/scripts/checkpatch.pl

# The test VM: 6 GiB (TCG allocates lazily) so that RAM exists above 4 GiB,
# and two boot-time carveouts, one below 4 GiB and one above it, which a
# device with a 32-bit DMA mask cannot reach; a third one (carveout2) below
# 256 MiB, the only memory QEMU's edu device (28-bit DMA mask, added to the
# VM with VM_EDU=1) reaches for sure without an IOMMU.
export VM_MEM ?= 6G
export VM_MEMMAP ?= 64M$$0x40000000 memmap=64M$$0x140000000 memmap=32M$$0x8000000
export IONODE_PARAMS ?= carveout=64M@0x40000000,64M@0x140000000,32M@0x8000000
export VM_EDU ?= 1

KERNEL_MODULES := drm-driver $(wildcard v4l2-glue) igt-tests/edu

.PHONY: all modules tools tests deps check host-checks htmldocs demo bench peers vkms \
	checkpatch sparse clean install uninstall install-dkms dkms-check install-check

all: modules tools tests

modules:
	@test -d "$(KDIR)" || { echo "no kernel headers at '$(KDIR)': run tools/install-deps.sh"; exit 1; }
	$(MAKE) -C drm-driver KDIR=$(KDIR)
	$(if $(wildcard v4l2-glue/Makefile),$(MAKE) -C v4l2-glue KDIR=$(KDIR))
	$(MAKE) -C igt-tests/edu KDIR=$(KDIR)

tools:
	$(MAKE) -C tools

tests: tools
	$(MAKE) -C igt-tests

deps:
	tools/install-deps.sh $(if $(filter full,$(KERNEL)),--full) \
		$(if $(filter bench,$(MAKECMDGOALS)),--bench)

# Each target re-enters make after installing, so that KVER is found on a
# machine whose kernel headers were just installed.
# The host-side checks come first: cheap, and a failure there needs no VM.
ifeq ($(KERNEL),full)
check: deps
	$(MAKE) host-checks
	tools/vm/kernel/run-full-check
else
check: deps
	$(MAKE) host-checks all
	@$(MAKE) vkms || { rm -f build/vkms/vkms.ko; \
		echo "make check: vkms.ko could not be built (see above): the vkms subtests will skip"; }
	@rc=0; mkdir -p build/vm; rm -f build/vm/summary-*.out; \
	tools/vm/run-tests | tee build/vm/summary-main.out; \
	[[ $${PIPESTATUS[0]} == 0 ]] || rc=1; \
	if [[ -z "$${IONODE_TESTS:-}" || "$$IONODE_TESTS" == *ionode_edu* ]]; then \
		echo "make check: ionode_edu behind QEMU's intel-iommu (a second, short VM run)"; \
		VM_IOMMU=1 IONODE_RUN_LOG=build/vm/last-run-iommu.log \
			tools/vm/run-tests igt-tests/build/ionode_edu | \
			tee build/vm/summary-iommu.out; \
		[[ $${PIPESTATUS[0]} == 0 ]] || rc=1; \
	fi; \
	tools/vm/total-results build/vm/summary-*.out; exit $$rc
endif

# The results reader's and kernel-log classifier's self-test (canned logs),
# the bench report's (canned figures), the documentation, which must
# build without a warning, make install into scratch directories and a DKMS
# build in scratch trees (install-check, dkms-check: PASS or FAIL lines).
host-checks: htmldocs install-check dkms-check
	tools/vm/results.py --self-test
	tools/bench/report.py --self-test

# Documentation/ rendered by Sphinx with the kernel's kernel-doc extension,
# used in place from linux-source-6.1 (the API reference comes from the
# sources' kernel-doc comments). Any warning fails it.
KERNEL_SRC ?= /usr/src/linux-source-6.1
htmldocs:
	@test -f $(KERNEL_SRC)/scripts/kernel-doc || { echo "no $(KERNEL_SRC)/scripts/kernel-doc: run tools/install-deps.sh"; exit 1; }
	KERNEL_SRC=$(KERNEL_SRC) sphinx-build -W --keep-going -E -q -b html \
		-d build/htmldocs/.doctrees Documentation build/htmldocs

# The demo ends on a display: vkms (`make vkms`), loaded in the VM. The
# pictures it showed land in build/demo/ (display.png, cube.png).
demo: deps
	$(MAKE) all vkms
	rm -rf build/demo && mkdir -p build/demo
	tools/vm/vm-run -o build/demo/vm -m build/vkms/vkms.ko -- tools/demo.sh; \
	rc=$$?; mv -f build/demo/vm/*.png build/demo/ 2>/dev/null; \
	ls build/demo/*.png 2>/dev/null; exit $$rc

# The stock kernel has neither dma-buf heaps nor udmabuf: `make bench`
# builds them from linux-source-6.1 as test-only modules (`make peers`,
# into build/bench/peers/; never installed, not built by `make`) and
# tools/bench.sh loads them in the VM. Results in build/bench/. KERNEL=full:
# on the debug kernel, which has both built in, plus CMA; results in
# build/bench/full/.
ifeq ($(KERNEL),full)
bench: deps
	tools/vm/kernel/run-full-bench
else
bench: deps
	$(MAKE) all peers
	tools/bench/run-bench
endif

peers:
	$(MAKE) -C tools/bench/peers KDIR=$(KDIR)

# The stock kernel has no vkms: `make check` builds Linux 6.1's
# drivers/gpu/drm/vkms/ from linux-source-6.1 as a test-only module
# (build/vkms/vkms.ko; never installed, not built by `make`) and
# tools/vm/run-tests loads it in the VM. A failure here only makes the
# vkms subtests skip.
vkms:
	$(MAKE) -C tools/vkms KDIR=$(KDIR)

checkpatch:
	$(CHECKPATCH) --strict --no-tree -f \
		$(filter-out %.mod.c,$(wildcard drm-driver/*.[ch] v4l2-glue/*.[ch] uapi/*.h \
		igt-tests/edu/*.[ch])) \
		--ignore FILE_PATH_CHANGES

sparse:
	@for d in $(KERNEL_MODULES); do \
		touch $$d/*.c; \
		$(MAKE) -s -C $$d KDIR=$(KDIR) C=1 2>&1 | tee /dev/stderr | \
			grep -E '(warning|error):' >/dev/null && exit 1; \
	done; echo "sparse: clean"

# Userspace: see tools/Makefile (PREFIX, DESTDIR, LIBDIR, UDEVRULESDIR...).
install: tools
	$(MAKE) -C tools install
uninstall:
	$(MAKE) -C tools uninstall

# make install and uninstall into scratch DESTDIRs, and a program built
# with the pkg-config file (tools/install-check.sh).
install-check:
	tools/install-check.sh

# What DKMS builds from: dkms.conf and the two modules' sources (no build
# products), in /usr/src/ionode-<version> as DKMS expects.
IONODE_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC ?= /usr/src/ionode-$(IONODE_VERSION)
DKMS_FILES := dkms.conf uapi/ionode_drm.h \
	$(foreach d,drm-driver v4l2-glue,$(d)/Kbuild $(d)/Makefile \
		$(filter-out %.mod.c,$(wildcard $(d)/*.[ch])))
install-dkms:
	for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMS_SRC)/$$f || exit 1; done
	@echo "ionode $(IONODE_VERSION) sources in $(DESTDIR)$(DKMS_SRC); now, as root:"
	@echo "  dkms add -m ionode -v $(IONODE_VERSION) && dkms build -m ionode -v $(IONODE_VERSION) && dkms install -m ionode -v $(IONODE_VERSION)"

# DKMS builds both modules for the stock kernel in scratch trees, from what
# install-dkms installs (tools/dkms-check.sh); needs the dkms package.
dkms-check:
	tools/dkms-check.sh $(KVER)

clean:
	for d in $(KERNEL_MODULES); do $(MAKE) -C $$d KDIR=$(KDIR) clean; done
	$(MAKE) -C tools clean
	$(MAKE) -C igt-tests clean
	rm -rf build
