# SPDX-License-Identifier: GPL-2.0
#
# Entry points:
#   make check        build the test kernel, run every KUnit suite in QEMU,
#                     judge the console log; closes with "N passed, N failed"
#   make run          the demo: boot the test kernel and run the integrity
#                     scenario on the simulated TDX module
#   make kunit SUITE='tdx_update_gate*'
#                     the inner loop: one suite (a kunit.py glob)
#   make tree         prepare build/src only
#   make deps         install missing Debian packages (needs root)
#   make clean        remove build/
#
# Variables: JOBS (make -j), ACCEL (tcg, or kvm where nested KVM really
# works), SUITE, KUNIT_TIMEOUT (seconds for the whole KUnit boot).

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
REPO := $(abspath .)
B ?= $(REPO)/build
SRC := $(B)/src
KOUT := $(B)/kunit
TDX := $(REPO)/tools/testing/tdx
KCONFIG := $(TDX)/configs/kunit.config
JOBS ?= $(shell nproc)
ACCEL ?= tcg
KUNIT_TIMEOUT ?= 1800
SUITE ?=

DEB_PKGS := linux-source-6.12 qemu-system-x86 build-essential flex bison bc \
	    libelf-dev libssl-dev cpio rsync python3 xz-utils git
KUNIT = cd $(SRC) && python3 tools/testing/kunit/kunit.py
KUNIT_ARGS = --arch=x86_64 --build_dir=$(KOUT) --kunitconfig=$(KCONFIG) \
	     --jobs=$(JOBS) --timeout=$(KUNIT_TIMEOUT) \
	     --qemu_args='-smp 2 -accel $(ACCEL)'

.PHONY: all check kunit run tree deps clean

all: check

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		if [ "$$(id -u)" != 0 ]; then \
			echo "deps: missing packages and not root: $$missing" >&2; exit 1; \
		fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	fi

tree: deps
	@$(TDX)/prepare-tree.sh $(REPO) $(SRC)

# Build, boot, run the KUnit suites; then judge the whole console log.
check: tree
	@python3 $(TDX)/check-log.py --selftest
	@start=$$(date +%s); \
	$(KUNIT) run $(KUNIT_ARGS) --json=$(B)/kunit.json $(SUITE) \
		> $(B)/kunit.out 2>&1; rc=$$?; \
	grep -E '^\[..:..:..\] (Building|Configuring|Elapsed|Testing complete|=)' \
		$(B)/kunit.out | tail -n 40 || true; \
	if [ $$rc -ne 0 ] && [ ! -s $(KOUT)/test.log ]; then \
		tail -n 60 $(B)/kunit.out; echo "0 passed, 1 failed"; exit 1; fi; \
	echo "wall time: $$(( $$(date +%s) - start )) s"; \
	python3 $(TDX)/check-log.py $(KOUT)/test.log $(B)/kunit.json

kunit: check

run: tree
	@$(KUNIT) run $(KUNIT_ARGS) --json=$(B)/demo.json 'tdx_integrity*' \
		> $(B)/demo.out 2>&1; \
	grep -o 'tdx_demo: .*' $(KOUT)/test.log || true; \
	python3 $(TDX)/check-log.py $(KOUT)/test.log $(B)/demo.json | tail -n 2

clean:
	rm -rf $(B)
