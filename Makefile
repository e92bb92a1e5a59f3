# SPDX-License-Identifier: GPL-2.0
#
# Entry points:
#   make check        build the test kernel; run the KUnit suites, the
#                     userspace tests, and in the VM the selftests, the
#                     demo, the fault campaign, an update from a release
#                     directory and short stress and fuzz runs; judge
#                     every log; closes with "N passed, N failed"
#   make run          the demo: builds in flight, an update through
#                     tdx-module-update, builds queuing behind it (NOGATE=1:
#                     the same with the gate off)
#   make kunit SUITE='tdx_update_gate*'
#                     the inner loop: the KUnit suites only, or one
#                     (a kunit.py glob)
#   make stress       the lockdep-stress run, STRESS_SECONDS (300)
#   make vmfuzz       the test device and attributes fuzzed, VMFUZZ_SECONDS
#   make fuzz         the image checks under libFuzzer, FUZZ_RUNS (1000000)
#   make check-kasan  KUnit and selftests again on a KASAN kernel
#   make bench        gate vs fail-fast vs no coordination, on a kernel
#                     without lock debugging; results in build/bench
#   make patches      the series as git format-patch files, build/patches
#   make patches-check  apply and build the series patch by patch, then
#                     run the KUnit suites on the last kernel
#   make shell        a shell in the VM, to try tdx-module-update by hand
#   make tree         prepare build/src only (fetches the base once)
#   make deps         install missing Debian packages (needs root)
#   make clean        remove build/
#
# Variables: JOBS (make -j), ACCEL (tcg, or kvm where nested KVM really
# works), SUITE, KUNIT_TIMEOUT (seconds for the whole KUnit boot).
#
# The base is Debian's linux-source-7.3 (7.3.4-1~bpo13+1), fetched once
# from trixie-backports through a private apt sources list under build/apt.

SHELL := /bin/bash
comma := ,
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

BASE_PKG := linux-source-7.3
BASE_VERSION := 7.3.4-1~bpo13+1
BASE_SUITE := trixie-backports
BASE_TARBALL := $(B)/$(BASE_PKG).tar.xz

DEB_PKGS := qemu-system-x86 build-essential flex bison bc libelf-dev \
	    libssl-dev cpio rsync python3 xz-utils git busybox-static strace
# 7.3 initializes TDX at boot: XSAVE and self-snoop, which "-cpu max"
# offers under TCG.
QEMU_CPU := max
# No PS/2 controller: nothing here reads a keyboard, and libps2's
# unannotated accesses from atkbd's probe race with its interrupt handler,
# which KCSAN reports at random.  run-vm.sh boots the same machine.
QEMU_MACHINE := pc,i8042=off
# Without the controller the kernel cannot reset the machine through it,
# and this PC's FADT (ACPI 1.0) has no reset register: the kernel's
# fallbacks end in a jump to the BIOS, which does not always come back.
# A triple fault resets it at once, and -no-reboot turns that into
# QEMU's exit.  run-vm.sh passes the same.
VM_KERNEL_ARGS := reboot=t
# kunit.py asks QEMU for KVM first; the wrapper keeps it to ACCEL.
KUNIT = cd $(SRC) && PATH=$(TDX)/vm/kunit-qemu:$$PATH \
	TDX_QEMU_ACCEL=$(ACCEL) python3 tools/testing/kunit/kunit.py
KBUILD_ARGS = --arch=x86_64 --build_dir=$(KOUT) --kunitconfig=$(KCONFIG) \
	      --jobs=$(JOBS)
KUNIT_ARGS = $(KBUILD_ARGS) --timeout=$(KUNIT_TIMEOUT) \
	     --qemu_args='-machine $(QEMU_MACHINE) -smp 2 -cpu $(QEMU_CPU) -accel $(ACCEL)' \
	     --kernel_args=$(VM_KERNEL_ARGS)

USER_OUT := $(B)/user
# tdx_blob.h hashes module pages with the selftests' sha384.c in userspace.
USER_CPPFLAGS := -I$(REPO)/arch/x86/virt/vmx/tdx -I$(TDX) \
		 -I$(REPO)/tools/testing/selftests/tdx_host \
		 '-D__packed=__attribute__((__packed__))'
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror

# The VM: static programs in an initramfs, booted with the same bzImage.
VM := $(B)/vm
BZIMAGE := $(KOUT)/arch/x86/boot/bzImage
SELFTESTS := $(REPO)/tools/testing/selftests/tdx_host
VM_TIMEOUT ?= 1200
# The VM runs of make check after the selftests, NAME[:OPTS] (OPTS: the
# program's arguments, comma-separated), and what each prints for us.
# make stress and make vmfuzz run longer than make check does.
STRESS_SECONDS ?= 300
VMFUZZ_SECONDS ?= 120
CHECK_STRESS_SECONDS ?= 60
CHECK_VMFUZZ_SECONDS ?= 30
# The run "release" boots with RELEASE_QEMU_CPU, the others with QEMU_CPU.
CHECK_VM_RUNS = demo demo-nogate faults release:$(RELEASE_PICK) \
		 stress:--seconds,$(CHECK_STRESS_SECONDS) \
		 vmfuzz:--seconds,$(CHECK_VMFUZZ_SECONDS)
VM_SUMMARY := ^(NOT )?(VERIFIED|SHOWN)|^not ok |^\# faults:|^(stress|fuzz): (PASS|FAIL|builds finalized|MRTDs|kills|updates ok|device operations [0-9]|gate left closed)
STATIC_CFLAGS := -O2 -g -Wall -Wextra -Werror -static -pthread
VM_PROGS := $(VM)/bin/tdx-sim-mkimage $(VM)/bin/tdx-upstream-check \
	    $(VM)/bin/tdx-release-check \
	    $(VM)/bin/tdx-module-update $(VM)/bin/tdx-demo \
	    $(VM)/bin/tdx_update_test $(VM)/bin/tdx-stress $(VM)/bin/tdx-faults \
	    $(VM)/bin/tdx-bench

.PHONY: all check kunit run shell tree deps clean user vm-progs kernel \
	check-kasan stress vmfuzz fuzz bench bench-kernel patches \
	patches-check

all: check

# $(call install-pkgs,PACKAGES): install those not installed (needs root).
install-pkgs = missing=$$(for p in $(1); do \
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

deps:
	@$(call install-pkgs,$(DEB_PKGS))

# ---- The tree: the base, this repository's files, patches/ ----

$(BASE_TARBALL):
	@$(TDX)/get-linux-source.sh $(BASE_PKG) '$(BASE_VERSION)' \
		$(BASE_SUITE) $(B)/apt $@

tree: deps $(BASE_TARBALL)
	@$(TDX)/prepare-tree.sh $(REPO) $(SRC) $(BASE_TARBALL)

# The test kernel alone (make check builds it as part of the KUnit run).
kernel: tree
	@$(KUNIT) build $(KBUILD_ARGS) > $(B)/kernel.out 2>&1 || \
		{ tail -n 40 $(B)/kernel.out; exit 1; }

# ---- Userspace: the image maker, the image checks, the CLI ----
# The image checks are built from the very source file the kernel builds.
$(USER_OUT)/tdx-sim-mkimage: $(TDX)/tdx-sim-mkimage.c $(TDX)/tdx_sim_image.h \
			     $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			     $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

$(USER_OUT)/image-check-test: $(TDX)/image-check-test.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/update_image.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			      $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

# The operator's tool reads release directories and converts their files
# with the kernel's own image checks (update_image.c).
CLI_DIR := $(REPO)/tools/tdx
CLI_SRC := $(CLI_DIR)/tdx-module-update.c $(CLI_DIR)/tdx-release.c \
	   $(CLI_DIR)/tdx-json.c $(REPO)/arch/x86/virt/vmx/tdx/update_image.c \
	   $(SELFTESTS)/sha384.c
CLI_DEPS := $(CLI_SRC) $(CLI_DIR)/tdx-release.h $(CLI_DIR)/tdx-json.h \
	    $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h $(SELFTESTS)/sha384.h
$(USER_OUT)/tdx-module-update: $(CLI_DEPS)
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(CLI_SRC)

# The kernel's image checks as a program: judges what the tool writes
# (--sim: also the simulated P-SEAMLDR's checks).
$(USER_OUT)/test-image-check: $(CLI_DIR)/test-image-check.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/update_image.c \
			      $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			      $(TDX)/tdx_sim_image.h \
			      $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(USER_OUT)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

user: $(USER_OUT)/tdx-sim-mkimage $(USER_OUT)/image-check-test \
      $(USER_OUT)/tdx-module-update $(USER_OUT)/test-image-check

# ---- The VM's programs ----
# busybox, the image maker, the checks of upstream's own TDX init and
# update against the simulated module, the CLI, the demo, the selftests,
# and the programs built on tdx_vmlib.c (stress, fault campaign, bench).
VMLIB_SRC := $(TDX)/tdx_vmlib.c $(SELFTESTS)/sha384.c
VMLIB_DEPS := $(VMLIB_SRC) $(TDX)/tdx_vmlib.h $(SELFTESTS)/sha384.h \
	      $(TDX)/tdx_sim_image.h $(TDX)/uapi/tdx_td_test.h
$(VM)/bin/tdx-%: $(TDX)/tdx-%.c $(VMLIB_DEPS)
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -I$(TDX)/uapi -I$(SELFTESTS) \
		-o $@ $< $(VMLIB_SRC) -lm

$(VM)/bin/tdx-module-update: $(CLI_DEPS)
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -o $@ $(CLI_SRC)

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

$(VM)/bin/tdx-sim-mkimage: $(TDX)/tdx-sim-mkimage.c $(TDX)/tdx_sim_image.h \
			   $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			   $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

$(VM)/bin/tdx-upstream-check: $(TDX)/vm/upstream-check.sh
	@mkdir -p $(VM)/bin
	install -m 755 $< $@

$(VM)/bin/tdx-release-check: $(TDX)/vm/release-check.sh
	@mkdir -p $(VM)/bin
	install -m 755 $< $@

# Release directories laid out as Intel publishes them, with modules the
# simulated P-SEAMLDR accepts, for the VM run "release" (see
# vm/release-check.sh).  For the simulator's 1.5.06 under P-SEAMLDR
# 1.5.02, sim/ has 1.5.08 to load on a CPU with RELEASE_CPUID (stepping
# aside), which the run's QEMU CPU is; other/ lists other CPUs only.
RELEASE_CPUID := 0x806f8
RELEASE_OTHER_CPUID := 0x606a6
RELEASE_SPECS := 1.5.07 1.5.08:files=separate,cpus=stepping 1.5.09:cpus=other
RELEASE_PICK := 1.5.08
# family 6, model 0x8f, stepping 8: CPUID.1.EAX 0x806f8
RELEASE_QEMU_CPU := $(QEMU_CPU),family=6,model=143,stepping=8
$(VM)/releases: $(CLI_DIR)/mk-release-dir.py
	@rm -rf $@
	python3 $< --sim --cpu $(RELEASE_CPUID) $@/sim $(RELEASE_SPECS) \
		> /dev/null
	python3 $< --sim --cpu $(RELEASE_OTHER_CPUID) $@/other \
		$(RELEASE_SPECS) > /dev/null

vm-progs: $(VM_PROGS)

$(VM)/initramfs.cpio.gz: $(VM_PROGS) $(TDX)/vm/init $(TDX)/vm/mkinitramfs.sh \
			 $(TDX)/vm/motd $(VM)/releases
	$(TDX)/vm/mkinitramfs.sh -d $(VM)/releases:releases $@ $(VM_PROGS)

# ---- make check ----
# Its time, from the start of make to the verdict, against its bounds:
# 25 minutes from a fresh clone (the base fetched, the kernel built from
# scratch), 4 minutes after a one-file change.
MAKE_T0 := $(shell date +%s)
CHECK_BOUND_FRESH_S := 1500
CHECK_BOUND_INCR_S := 240
# In userspace the image checks, and the CLI's tests (a faked sysfs,
# release directories) alongside the rest; KUnit; then in the VM
# upstream's TDX init and update against the simulated module, the
# selftests, the demo with and without the gate, the fault campaign, a
# release directory, stress and VM fuzz; judge every log.
# The KUnit suites (SUITE narrows them) into $(KOUT)/test.log and
# $(B)/kunit.json, with kunit.py's summary; ends the recipe with a
# failure only if the kernel left no log to judge.
kunit-run = rm -f $(KOUT)/test.log $(B)/kunit.json; \
	$(KUNIT) run $(KUNIT_ARGS) --json=$(B)/kunit.json $(SUITE) \
		> $(B)/kunit.out 2>&1; rc=$$?; \
	grep -E '^\[..:..:..\] (Building|Configuring|Elapsed|Testing complete|=)' \
		$(B)/kunit.out | tail -n 40 || true; \
	if [ $$rc -ne 0 ] && [ ! -s $(KOUT)/test.log ]; then \
		tail -n 60 $(B)/kunit.out; echo "0 passed, 1 failed"; exit 1; fi

check: tree user $(VM)/initramfs.cpio.gz
	@python3 $(TDX)/check-log.py --selftest
	@$(USER_OUT)/image-check-test $(USER_OUT)/tdx-sim-mkimage \
		$(USER_OUT)/scratch.img > $(USER_OUT)/image-check.tap || true
	@start=$$(date +%s); \
	{ bash $(CLI_DIR)/test-cli.sh $(USER_OUT)/tdx-module-update \
		> $(USER_OUT)/cli.tap 2> $(USER_OUT)/cli.err; \
	  TDX_SIM_MKIMAGE=$(USER_OUT)/tdx-sim-mkimage \
	  bash $(CLI_DIR)/test-release.sh $(USER_OUT)/tdx-module-update \
		$(USER_OUT)/test-image-check > $(USER_OUT)/release.tap \
		2> $(USER_OUT)/release.err; } & clitests=$$!; \
	$(kunit-run); \
	echo "KUnit done: $$(( $$(date +%s) - start )) s; run-vm.sh's boot watchdog..."; \
	QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/test-run-vm.sh $(BZIMAGE) \
		$(VM)/initramfs.cpio.gz \
		$(VM)/watchdog $(ACCEL) > $(VM)/run-vm-test.tap; \
	echo "upstream's TDX in the VM..."; \
	QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/run-vm.sh $(BZIMAGE) \
		$(VM)/initramfs.cpio.gz upstream $(VM)/upstream $(VM_TIMEOUT) \
		$(ACCEL) || true; \
	grep -E '^(not )?ok ' $(VM)/upstream/upstream.out || true; \
	echo "the selftests in the VM..."; \
	QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/run-vm.sh $(BZIMAGE) \
		$(VM)/initramfs.cpio.gz selftests $(VM)/out $(VM_TIMEOUT) \
		$(ACCEL) || true; \
	grep -E '^# (PASSED|FAILED|Totals)' $(VM)/out/selftests.out || true; \
	echo "the demo (gate on, gate off), the fault campaign, stress, VM fuzz..."; \
	set -- $(CHECK_VM_RUNS); echo "1..$$#" > $(VM)/runs.tap; n=0; \
	logs=; \
	for r in $(CHECK_VM_RUNS); do \
		n=$$((n + 1)); name=$${r%%:*}; opts=$${r#"$$name"}; \
		cpu='$(QEMU_CPU)'; \
		[ $$name != release ] || cpu='$(RELEASE_QEMU_CPU)'; \
		if QEMU_CPU=$$cpu $(TDX)/vm/run-vm.sh $(BZIMAGE) \
			$(VM)/initramfs.cpio.gz $$name $(VM)/check-$$name \
			$(VM_TIMEOUT) $(ACCEL) "$${opts#:}"; \
		then echo "ok $$n $$name"; else echo "not ok $$n $$name"; fi \
			>> $(VM)/runs.tap; \
		grep -E '$(VM_SUMMARY)' $(VM)/check-$$name/$$name.out | \
			cut -c1-76; \
		logs="$$logs $(VM)/check-$$name/console.log"; \
	done; \
	wait $$clitests; \
	cat $(KOUT)/test.log $(VM)/upstream/console.log \
		$(VM)/out/console.log $$logs > $(B)/console-all.log; \
	all=$$(( $$(date +%s) - $(MAKE_T0) )); \
	echo "wall time: $$(( $$(date +%s) - start )) s from KUnit on," \
		"$$all s in all (bounds: $(CHECK_BOUND_FRESH_S) s from a" \
		"fresh clone, $(CHECK_BOUND_INCR_S) s after a one-file change)"; \
	python3 $(TDX)/check-log.py $(B)/console-all.log $(B)/kunit.json \
		$(USER_OUT)/image-check.tap $(USER_OUT)/cli.tap \
		$(USER_OUT)/release.tap $(VM)/run-vm-test.tap \
		$(VM)/upstream/upstream.out \
		$(VM)/out/selftests.out $(VM)/runs.tap \
		$(VM)/check-faults/faults.out $(VM)/check-release/release.out

# The inner loop: the KUnit suites alone (SUITE narrows them), judged
# like make check, with no userspace tests and no VM runs.
kunit: tree
	@$(kunit-run); \
	python3 $(TDX)/check-log.py $(KOUT)/test.log $(B)/kunit.json

# $(call vm-judged,RUN,OPTS): boot the test kernel for one run, show what
# it printed, judge its console log; fails if either failed.
vm-judged = QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/run-vm.sh $(BZIMAGE) \
		$(VM)/initramfs.cpio.gz $(1) $(VM)/$(1) $(VM_TIMEOUT) \
		$(ACCEL) $(2); rc=$$?; \
	grep -v '^tdx_vm: exit=' $(VM)/$(1)/$(1).out; \
	python3 $(TDX)/check-log.py $(VM)/$(1)/console.log - \
		> $(VM)/$(1)/judge.out; \
	grep -E '^(KERNEL REPORT|kernel reports)' $(VM)/$(1)/judge.out; \
	grep -q '^kernel reports: 0$$' $(VM)/$(1)/judge.out && exit $$rc; exit 1

# The demo: TD builds through the stand-in device, an update under the
# gate (NOGATE=1: the same with the gate switched off, test only), every
# MRTD checked.
DEMO_RUN := $(if $(NOGATE),demo-nogate,demo)
run: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting the test kernel (QEMU, 2 vCPUs) with the simulated TDX module..."
	@$(call vm-judged,$(DEMO_RUN))

# A shell in the VM, to try tdx-module-update by hand (see /etc/motd there).
shell: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting; leave with 'exit' (or Ctrl-A x)."
	@qemu-system-x86_64 -nodefaults -machine $(QEMU_MACHINE) -m 2048 \
		-smp 2 -cpu $(QEMU_CPU) -accel $(ACCEL) -bios qboot.rom -no-reboot -nographic \
		-kernel $(BZIMAGE) -initrd $(VM)/initramfs.cpio.gz \
		-append "console=ttyS0 kunit.enable=0 panic=-1 $(VM_KERNEL_ARGS) quiet tdx.run=shell" \
		-serial mon:stdio -serial null

# ---- Reliability: stress and the VM fuzzer, alone and at full length ----

stress: kernel $(VM)/initramfs.cpio.gz
	@echo "stress: $(STRESS_SECONDS) s in the VM (STRESS_SECONDS=)..."
	@$(call vm-judged,stress,--seconds$(comma)$(STRESS_SECONDS))

vmfuzz: kernel $(VM)/initramfs.cpio.gz
	@echo "fuzzing the test device and the attributes for $(VMFUZZ_SECONDS) s..."
	@$(call vm-judged,vmfuzz,--seconds$(comma)$(VMFUZZ_SECONDS))

# ---- make bench: the gate against fail-fast and no coordination ----
# Timed on a production-like kernel of the same tree, in its own build
# folder: the test configuration without lock debugging, KCSAN or KUnit.
BENCH_KOUT := $(B)/bench-kernel
BENCH_CONFIG := $(B)/bench.config
BENCH_OUT := $(B)/bench
BENCH_OPTS ?=
BENCH_PKGS := gnuplot-nox
$(BENCH_CONFIG): $(KCONFIG)
	@mkdir -p $(B)
	sed -E '/^CONFIG_(KUNIT|PROVE_LOCKING|DEBUG_RWSEMS|DEBUG_ATOMIC_SLEEP|KCSAN[A-Z_]*|[A-Z_]*_KUNIT_TEST)=/d' \
		$(KCONFIG) > $@

bench-kernel: tree $(BENCH_CONFIG)
	@$(KUNIT) build --arch=x86_64 --build_dir=$(BENCH_KOUT) \
		--kunitconfig=$(BENCH_CONFIG) --jobs=$(JOBS) \
		> $(B)/bench-kernel.out 2>&1 || \
		{ tail -n 40 $(B)/bench-kernel.out; exit 1; }
	@if grep -qE '^CONFIG_(LOCKDEP|KCSAN|KASAN|PROVE_LOCKING|KUNIT)=y' \
		$(BENCH_KOUT)/.config; then \
		echo "bench kernel has debugging on" >&2; exit 1; fi

# BENCH_OPTS: tdx-bench's options, e.g. BENCH_OPTS='--loads 1 8 64/0'.
# Results (results.md, bench.png, the raw output) go to BENCH_OUT.
# BENCH_KERNEL_ARGS: the guest's kernel parameters (run-bench.sh: by
# default idle=poll, and why).
BENCH_TIMEOUT ?= 2400
bench: bench-kernel $(VM)/initramfs.cpio.gz
	@$(call install-pkgs,$(BENCH_PKGS))
	@QEMU_CPU=$(QEMU_CPU) $(TDX)/bench/run-bench.sh \
		$(BENCH_KOUT)/arch/x86/boot/bzImage \
		$(VM)/initramfs.cpio.gz $(BENCH_OUT) $(BENCH_TIMEOUT) \
		$(ACCEL) $(BENCH_OPTS)

# ---- The series: git format-patch files against the 7.3 base ----
# make patches fails unless the series is complete (its last patch gives
# exactly the prepared tree), checkpatch --strict clean and covered by
# MAINTAINERS; make patches-check applies it to a fresh base patch by
# patch, builds the test kernel after each one (incrementally), and runs
# make check's KUnit suites on the kernel of the last one.
PATCHES_OUT := $(B)/patches
PATCH_PKGS := python3-ply python3-git
patches: tree
	@$(call install-pkgs,$(PATCH_PKGS))
	@$(TDX)/patches/mkseries.sh $(REPO) $(SRC) $(PATCHES_OUT)

patches-check: tree
	@$(TDX)/patches/mkseries.sh --no-checkpatch $(REPO) $(SRC) \
		$(B)/patches-check/series-out
	@PATH=$(TDX)/vm/kunit-qemu:$$PATH TDX_QEMU_ACCEL=$(ACCEL) \
	$(TDX)/patches/check-series.sh --jobs $(JOBS) \
		--run-kunit '-machine $(QEMU_MACHINE) -smp 2 -cpu $(QEMU_CPU) -accel $(ACCEL)' \
		--kernel-args $(VM_KERNEL_ARGS) \
		$(SRC) $(B)/patches-check/series-out/series $(B)/patches-check

# ---- make check-kasan: the KUnit suites and the selftests again, on a ----
# kernel of the same tree with generic KASAN in place of KCSAN (they
# exclude each other).
KASAN_OUT := $(B)/kasan
KASAN_CONFIG := $(B)/kasan.config
$(KASAN_CONFIG): $(KCONFIG) $(TDX)/configs/kasan.fragment
	@mkdir -p $(dir $@)
	sed '/KCSAN/d' $(KCONFIG) | cat - $(TDX)/configs/kasan.fragment > $@

check-kasan: tree $(VM)/initramfs.cpio.gz $(KASAN_CONFIG)
	@start=$$(date +%s); mkdir -p $(KASAN_OUT); \
	rm -f $(KASAN_OUT)/test.log $(KASAN_OUT)/kunit.json; \
	$(KUNIT) run --arch=x86_64 --build_dir=$(KASAN_OUT) \
		--kunitconfig=$(KASAN_CONFIG) --jobs=$(JOBS) \
		--timeout=$(KUNIT_TIMEOUT) \
		--qemu_args='-machine $(QEMU_MACHINE) -smp 2 -cpu $(QEMU_CPU) -accel $(ACCEL)' \
		--kernel_args=$(VM_KERNEL_ARGS) --json=$(KASAN_OUT)/kunit.json $(SUITE) \
		> $(KASAN_OUT)/kunit.out 2>&1; rc=$$?; \
	grep -E '^\[..:..:..\] (Elapsed|Testing complete)' \
		$(KASAN_OUT)/kunit.out || true; \
	if [ $$rc -ne 0 ] && [ ! -s $(KASAN_OUT)/test.log ]; then \
		tail -n 60 $(KASAN_OUT)/kunit.out; \
		echo "0 passed, 1 failed"; exit 1; fi; \
	grep -q '^CONFIG_KASAN=y' $(KASAN_OUT)/.config || \
		{ echo "KASAN is not on"; echo "0 passed, 1 failed"; exit 1; }; \
	QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/run-vm.sh \
		$(KASAN_OUT)/arch/x86/boot/bzImage $(VM)/initramfs.cpio.gz \
		selftests $(KASAN_OUT)/vm $(VM_TIMEOUT) $(ACCEL) || true; \
	cat $(KASAN_OUT)/test.log $(KASAN_OUT)/vm/console.log \
		> $(KASAN_OUT)/console-all.log; \
	echo "wall time: $$(( $$(date +%s) - start )) s"; \
	python3 $(TDX)/check-log.py $(KASAN_OUT)/console-all.log \
		$(KASAN_OUT)/kunit.json $(KASAN_OUT)/vm/selftests.out

# ---- The update image checks under libFuzzer (ASan, UBSan) ----
FUZZ_RUNS ?= 1000000
FUZZ_IMAGE_C := $(REPO)/arch/x86/virt/vmx/tdx/update_image.c
FUZZ_OUT := $(B)/fuzz
FUZZ_PKGS := clang libclang-rt-14-dev
fuzz:
	@$(call install-pkgs,$(FUZZ_PKGS))
	@FUZZ_IMAGE_C=$(FUZZ_IMAGE_C) \
		bash $(TDX)/fuzz/run-fuzz.sh $(REPO) $(FUZZ_OUT) $(FUZZ_RUNS)

clean:
	rm -rf $(B)
