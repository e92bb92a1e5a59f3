# SPDX-License-Identifier: GPL-2.0
#
# Entry points:
#   make check        build the test kernel, run every KUnit suite in QEMU,
#                     judge the console log; closes with "N passed, N failed"
#   make run          the demo: builds in flight, an update through
#                     tdx-module-update, builds queuing behind it (NOGATE=1:
#                     the same with the gate off)
#   make kunit SUITE='tdx_update_gate*'
#                     the inner loop: one suite (a kunit.py glob)
#   make shell        a shell in the VM, to try tdx-module-update by hand
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
	    libelf-dev libssl-dev cpio rsync python3 xz-utils git busybox-static
KUNIT = cd $(SRC) && python3 tools/testing/kunit/kunit.py
KBUILD_ARGS = --arch=x86_64 --build_dir=$(KOUT) --kunitconfig=$(KCONFIG) \
	      --jobs=$(JOBS)
KUNIT_ARGS = $(KBUILD_ARGS) --timeout=$(KUNIT_TIMEOUT) \
	     --qemu_args='-smp 2 -accel $(ACCEL)'

USER_OUT := $(B)/user
USER_CPPFLAGS := -I$(REPO)/arch/x86/virt/vmx/tdx -I$(TDX) \
		 '-D__packed=__attribute__((__packed__))'
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror

# The VM: static programs in an initramfs, booted with the same bzImage.
VM := $(B)/vm
BZIMAGE := $(KOUT)/arch/x86/boot/bzImage
SELFTESTS := $(REPO)/tools/testing/selftests/tdx
VM_TIMEOUT ?= 1200
STATIC_CFLAGS := -O2 -g -Wall -Wextra -Werror -static -pthread
# The VM programs built on tdx_vmlib.c: tdx-stress, tdx-faults, tdx-bench.
VMLIB_TOOLS := $(patsubst $(TDX)/%.c,$(VM)/bin/%,$(wildcard \
	       $(TDX)/tdx-stress.c $(TDX)/tdx-faults.c $(TDX)/tdx-bench.c))
VM_PROGS := $(VM)/bin/tdx-module-update $(VM)/bin/tdx-demo \
	    $(VM)/bin/tdx_update_test $(VM)/bin/tdx-sim-mkimage $(VMLIB_TOOLS)

.PHONY: all check kunit run shell tree deps clean user vm-progs kernel

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

# Userspace: the image maker, and the image checks built from the very
# source file the kernel builds.
$(USER_OUT)/tdx-sim-mkimage: $(TDX)/tdx-sim-mkimage.c $(TDX)/tdx_sim_image.h \
			     $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $<

$(USER_OUT)/image-check-test: $(TDX)/image-check-test.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/update_image.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

user: $(USER_OUT)/tdx-sim-mkimage $(USER_OUT)/image-check-test \
      $(USER_OUT)/tdx-module-update

$(USER_OUT)/tdx-module-update: $(REPO)/tools/tdx/tdx-module-update.c
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) -o $@ $<

$(VM)/bin/tdx-module-update: $(REPO)/tools/tdx/tdx-module-update.c
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) -o $@ $<

$(VM)/bin/tdx-demo: $(TDX)/tdx-demo.c $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h \
		    $(TDX)/tdx_sim_image.h $(TDX)/uapi/tdx_td_test.h
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -I$(TDX)/uapi -I$(SELFTESTS) \
		-o $@ $(TDX)/tdx-demo.c $(SELFTESTS)/sha384.c

$(VM)/bin/tdx_update_test: tree $(wildcard $(SELFTESTS)/*.[ch]) $(SELFTESTS)/Makefile
	@mkdir -p $(VM)/bin
	$(MAKE) -s -C $(SELFTESTS) OUTPUT=$(VM)/bin \
		KSRC=$(SRC)/tools/testing/selftests TDX=$(TDX) \
		ARCH_TDX=$(REPO)/arch/x86/virt/vmx/tdx

$(VM)/bin/tdx-sim-mkimage: $(TDX)/tdx-sim-mkimage.c $(TDX)/tdx_sim_image.h
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -o $@ $<

VMLIB_SRC := $(TDX)/tdx_vmlib.c $(SELFTESTS)/sha384.c
VMLIB_DEPS := $(VMLIB_SRC) $(TDX)/tdx_vmlib.h $(SELFTESTS)/sha384.h \
	      $(TDX)/tdx_sim_image.h $(TDX)/uapi/tdx_td_test.h
$(VM)/bin/tdx-%: $(TDX)/tdx-%.c $(VMLIB_DEPS)
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -I$(TDX)/uapi -I$(SELFTESTS) \
		-o $@ $< $(VMLIB_SRC) -lm

vm-progs: $(VM_PROGS)

$(VM)/initramfs.cpio.gz: $(VM_PROGS) $(TDX)/vm/init $(TDX)/vm/mkinitramfs.sh \
			 $(TDX)/vm/motd
	$(TDX)/vm/mkinitramfs.sh $@ $(VM_PROGS)

# The test kernel alone (make check builds it as part of the KUnit run).
kernel: tree
	@$(KUNIT) build $(KBUILD_ARGS) > $(B)/kernel.out 2>&1 || \
		{ tail -n 40 $(B)/kernel.out; exit 1; }

# Build, boot, run the KUnit suites; then judge the whole console log.
check: tree user $(VM)/initramfs.cpio.gz
	@python3 $(TDX)/check-log.py --selftest
	@$(USER_OUT)/image-check-test $(USER_OUT)/tdx-sim-mkimage \
		$(USER_OUT)/scratch.img > $(USER_OUT)/image-check.tap || true
	@bash $(REPO)/tools/tdx/test-cli.sh $(USER_OUT)/tdx-module-update \
		> $(USER_OUT)/cli.tap 2>$(USER_OUT)/cli.err || true
	@start=$$(date +%s); \
	$(KUNIT) run $(KUNIT_ARGS) --json=$(B)/kunit.json $(SUITE) \
		> $(B)/kunit.out 2>&1; rc=$$?; \
	grep -E '^\[..:..:..\] (Building|Configuring|Elapsed|Testing complete|=)' \
		$(B)/kunit.out | tail -n 40 || true; \
	if [ $$rc -ne 0 ] && [ ! -s $(KOUT)/test.log ]; then \
		tail -n 60 $(B)/kunit.out; echo "0 passed, 1 failed"; exit 1; fi; \
	echo "KUnit done: $$(( $$(date +%s) - start )) s; selftests in the VM..."; \
	$(TDX)/vm/run-vm.sh $(BZIMAGE) $(VM)/initramfs.cpio.gz selftests \
		$(VM)/out $(VM_TIMEOUT) $(ACCEL) || true; \
	grep -E '^# (PASSED|FAILED|Totals)' $(VM)/out/selftests.out || true; \
	echo "the demo, with the gate and without, in the VM..."; \
	echo "1..2" > $(VM)/demo.tap; n=0; \
	for d in demo demo-nogate; do \
		n=$$((n + 1)); \
		if $(TDX)/vm/run-vm.sh $(BZIMAGE) $(VM)/initramfs.cpio.gz $$d \
			$(VM)/check-$$d $(VM_TIMEOUT) $(ACCEL); \
		then echo "ok $$n $$d"; else echo "not ok $$n $$d"; fi \
			>> $(VM)/demo.tap; \
		grep -E '^(NOT )?(VERIFIED|SHOWN)' $(VM)/check-$$d/$$d.out | \
			cut -c1-76; \
	done; \
	cat $(KOUT)/test.log $(VM)/out/console.log \
		$(VM)/check-demo/console.log $(VM)/check-demo-nogate/console.log \
		> $(B)/console-all.log; \
	echo "wall time: $$(( $$(date +%s) - start )) s"; \
	python3 $(TDX)/check-log.py $(B)/console-all.log $(B)/kunit.json \
		$(USER_OUT)/image-check.tap $(USER_OUT)/cli.tap \
		$(VM)/out/selftests.out $(VM)/demo.tap

kunit: check

# The demo.  NOGATE=1 replays it with the gate switched off (test only).
DEMO_RUN := $(if $(NOGATE),demo-nogate,demo)
run: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting the test kernel (QEMU, 2 vCPUs) with the simulated TDX module..."
	@$(TDX)/vm/run-vm.sh $(BZIMAGE) $(VM)/initramfs.cpio.gz $(DEMO_RUN) \
		$(VM)/demo $(VM_TIMEOUT) $(ACCEL); rc=$$?; \
	grep -v '^tdx_vm: exit=' $(VM)/demo/$(DEMO_RUN).out; \
	python3 $(TDX)/check-log.py $(VM)/demo/console.log - \
		> $(VM)/demo/judge.out; \
	grep -E '^(KERNEL REPORT|kernel reports)' $(VM)/demo/judge.out; \
	grep -q '^kernel reports: 0$$' $(VM)/demo/judge.out && exit $$rc; exit 1

# A shell in the VM, to try tdx-module-update by hand (see /etc/motd there).
shell: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting; leave with 'exit' (or Ctrl-A x)."
	@qemu-system-x86_64 -nodefaults -m 2048 -smp 2 -accel $(ACCEL) \
		-bios qboot.rom -no-reboot -nographic \
		-kernel $(BZIMAGE) -initrd $(VM)/initramfs.cpio.gz \
		-append "console=ttyS0 kunit.enable=0 panic=-1 quiet tdx.run=shell" \
		-serial mon:stdio -serial null

clean:
	rm -rf $(B)
