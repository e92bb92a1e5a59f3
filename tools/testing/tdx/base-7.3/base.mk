# SPDX-License-Identifier: GPL-2.0
#
# The targets on the 7.3 base (make ... BASE=7.3), included by the
# top-level Makefile.  Everything builds under build/7.3, beside the 6.12
# build.  See README.md here for what runs on this base so far.

BASE_PKG := linux-source-7.3
BASE_VERSION := 7.3.4-1~bpo13+1
BASE_SUITE := trixie-backports
B73 := $(B)/7.3
BASE_TARBALL := $(B73)/$(BASE_PKG).tar.xz
OVERLAY := $(TDX)/base-7.3

SRC := $(B73)/src
KOUT := $(B73)/kunit
KCONFIG := $(OVERLAY)/kunit.config
VM := $(B73)/vm
BZIMAGE := $(KOUT)/arch/x86/boot/bzImage
# 7.3 initializes TDX at boot: XSAVE and self-snoop, which "-cpu max"
# offers under TCG.
QEMU_CPU := max
KUNIT_ARGS = $(KBUILD_ARGS) --timeout=$(KUNIT_TIMEOUT) \
	     --qemu_args='-smp 2 -cpu $(QEMU_CPU) -accel $(ACCEL)'

$(BASE_TARBALL):
	@$(TDX)/get-linux-source.sh $(BASE_PKG) '$(BASE_VERSION)' \
		$(BASE_SUITE) $(B73)/apt $@

tree: deps $(BASE_TARBALL)
	@$(TDX)/prepare-tree.sh $(REPO) $(SRC) $(BASE_TARBALL) $(OVERLAY)

kernel: tree
	@$(KUNIT) build $(KBUILD_ARGS) > $(B73)/kernel.out 2>&1 || \
		{ tail -n 40 $(B73)/kernel.out; exit 1; }

# The VM: busybox, the image maker, the checks of upstream's own TDX
# init and runtime update against the simulated module, and the demo with
# the CLI, on upstream's faux tdx_host device.
VM_PROGS := $(VM)/bin/tdx-sim-mkimage $(VM)/bin/tdx-upstream-check \
	    $(VM)/bin/tdx-module-update $(VM)/bin/tdx-demo \
	    $(VM)/bin/tdx_update_test $(VM)/bin/tdx-stress $(VM)/bin/tdx-faults \
	    $(VM)/bin/tdx-bench
HOST_DIR_FLAG := -DTDX_HOST_DIR='"/sys/devices/faux/tdx_host"'

VMLIB_SRC := $(TDX)/tdx_vmlib.c $(SELFTESTS)/sha384.c
VMLIB_DEPS := $(VMLIB_SRC) $(TDX)/tdx_vmlib.h $(SELFTESTS)/sha384.h \
	      $(TDX)/tdx_sim_image.h $(TDX)/uapi/tdx_td_test.h
$(VM)/bin/tdx-%: $(TDX)/tdx-%.c $(VMLIB_DEPS)
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) $(HOST_DIR_FLAG) -I$(TDX)/uapi \
		-I$(SELFTESTS) -o $@ $< $(VMLIB_SRC) -lm

# The fault campaign, re-derived for upstream's update (tree/ here).
$(VM)/bin/tdx-faults: $(OVERLAY)/tree/tools/testing/tdx/tdx-faults.c \
		      $(VMLIB_DEPS)
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) $(HOST_DIR_FLAG) -I$(TDX)/uapi \
		-I$(SELFTESTS) -I$(TDX) -o $@ $< $(VMLIB_SRC) -lm

$(VM)/bin/tdx-module-update: $(REPO)/tools/tdx/tdx-module-update.c
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(HOST_DIR_FLAG) -o $@ $<

$(VM)/bin/tdx-demo: $(TDX)/tdx-demo.c $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h \
		    $(TDX)/tdx_sim_image.h $(TDX)/uapi/tdx_td_test.h
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) $(HOST_DIR_FLAG) -I$(TDX)/uapi \
		-I$(SELFTESTS) -o $@ $(TDX)/tdx-demo.c $(SELFTESTS)/sha384.c

$(VM)/bin/tdx_update_test: tree $(wildcard $(SELFTESTS)/*.[ch]) $(SELFTESTS)/Makefile
	@mkdir -p $(VM)/bin
	$(MAKE) -s -C $(SELFTESTS) OUTPUT=$(VM)/bin \
		KSRC=$(SRC)/tools/testing/selftests TDX=$(TDX) \
		ARCH_TDX=$(REPO)/arch/x86/virt/vmx/tdx \
		TDX_HOST_DIR=/sys/devices/faux/tdx_host

# The image checks in userspace, built from the very file the 7.3 kernel
# builds, against every kind of image tdx-sim-mkimage makes.
USER73 := $(B73)/user
$(USER73)/image-check-test: $(TDX)/image-check-test.c \
			    $(OVERLAY)/tree/arch/x86/virt/vmx/tdx/update_image.c \
			    $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			    $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(USER73)
	gcc $(USER_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

$(VM)/bin/tdx-sim-mkimage: $(TDX)/tdx-sim-mkimage.c $(TDX)/tdx_sim_image.h \
			   $(REPO)/arch/x86/virt/vmx/tdx/tdx_blob.h \
			   $(SELFTESTS)/sha384.c $(SELFTESTS)/sha384.h
	@mkdir -p $(VM)/bin
	gcc $(STATIC_CFLAGS) $(USER_CPPFLAGS) -o $@ $(filter %.c,$^)

$(VM)/bin/tdx-upstream-check: $(OVERLAY)/upstream-check.sh
	@mkdir -p $(VM)/bin
	install -m 755 $< $@

$(VM)/initramfs.cpio.gz: $(VM_PROGS) $(TDX)/vm/init $(TDX)/vm/mkinitramfs.sh \
			 $(TDX)/vm/motd
	$(TDX)/vm/mkinitramfs.sh $@ $(VM_PROGS)

# In userspace the image checks and the CLI's tests (faked sysfs, the
# faux device's path); KUnit; then in the VM upstream's init and update,
# the selftests, the demo with and without the gate, the fault campaign,
# stress and VM fuzz; judge every log.
CHECK_VM_RUNS_73 := demo demo-nogate faults \
		    stress:--seconds,$(CHECK_STRESS_SECONDS) \
		    vmfuzz:--seconds,$(CHECK_VMFUZZ_SECONDS)
check: tree $(VM)/initramfs.cpio.gz $(USER73)/image-check-test
	@python3 $(TDX)/check-log.py --selftest
	@$(USER73)/image-check-test $(VM)/bin/tdx-sim-mkimage \
		$(USER73)/scratch.img > $(USER73)/image-check.tap || true
	@TDX_HOST_DIR=/sys/devices/faux/tdx_host bash \
		$(REPO)/tools/tdx/test-cli.sh $(VM)/bin/tdx-module-update \
		> $(B73)/cli.tap 2> $(B73)/cli.err || true
	@start=$$(date +%s); \
	rm -f $(KOUT)/test.log $(B73)/kunit.json; \
	$(KUNIT) run $(KUNIT_ARGS) --json=$(B73)/kunit.json $(SUITE) \
		> $(B73)/kunit.out 2>&1; rc=$$?; \
	grep -E '^\[..:..:..\] (Building|Configuring|Elapsed|Testing complete|=)' \
		$(B73)/kunit.out | tail -n 40 || true; \
	if [ $$rc -ne 0 ] && [ ! -s $(KOUT)/test.log ]; then \
		tail -n 60 $(B73)/kunit.out; echo "0 passed, 1 failed"; exit 1; fi; \
	echo "KUnit done: $$(( $$(date +%s) - start )) s; upstream's TDX in the VM..."; \
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
	set -- $(CHECK_VM_RUNS_73); echo "1..$$#" > $(VM)/runs.tap; n=0; \
	logs=; \
	for r in $(CHECK_VM_RUNS_73); do \
		n=$$((n + 1)); name=$${r%%:*}; opts=$${r#"$$name"}; \
		if QEMU_CPU=$(QEMU_CPU) $(TDX)/vm/run-vm.sh $(BZIMAGE) \
			$(VM)/initramfs.cpio.gz $$name $(VM)/check-$$name \
			$(VM_TIMEOUT) $(ACCEL) "$${opts#:}"; \
		then echo "ok $$n $$name"; else echo "not ok $$n $$name"; fi \
			>> $(VM)/runs.tap; \
		grep -E '$(VM_SUMMARY)' $(VM)/check-$$name/$$name.out | \
			cut -c1-76; \
		logs="$$logs $(VM)/check-$$name/console.log"; \
	done; \
	cat $(KOUT)/test.log $(VM)/upstream/console.log \
		$(VM)/out/console.log $$logs > $(B73)/console-all.log; \
	echo "wall time: $$(( $$(date +%s) - start )) s"; \
	python3 $(TDX)/check-log.py $(B73)/console-all.log $(B73)/kunit.json \
		$(USER73)/image-check.tap $(B73)/cli.tap \
		$(VM)/upstream/upstream.out \
		$(VM)/out/selftests.out $(VM)/runs.tap \
		$(VM)/check-faults/faults.out

kunit: check

shell: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting; leave with 'exit' (or Ctrl-A x)."
	@qemu-system-x86_64 -nodefaults -m 2048 -smp 2 -cpu $(QEMU_CPU) \
		-accel $(ACCEL) -bios qboot.rom -no-reboot -nographic \
		-kernel $(BZIMAGE) -initrd $(VM)/initramfs.cpio.gz \
		-append "console=ttyS0 kunit.enable=0 panic=-1 quiet tdx.run=shell" \
		-serial mon:stdio -serial null

# The demo: TD builds through the stand-in device, an update under the
# gate (NOGATE=1: without it), every MRTD checked.
run: kernel $(VM)/initramfs.cpio.gz
	@echo "Booting the 7.3 test kernel (QEMU, 2 vCPUs) with the simulated TDX module..."
	@QEMU_CPU=$(QEMU_CPU) $(call vm-judged,$(DEMO_RUN))

stress: kernel $(VM)/initramfs.cpio.gz
	@echo "stress: $(STRESS_SECONDS) s in the VM (STRESS_SECONDS=)..."
	@QEMU_CPU=$(QEMU_CPU) $(call vm-judged,stress,--seconds$(comma)$(STRESS_SECONDS))

vmfuzz: kernel $(VM)/initramfs.cpio.gz
	@echo "fuzzing the test device and the attributes for $(VMFUZZ_SECONDS) s..."
	@QEMU_CPU=$(QEMU_CPU) $(call vm-judged,vmfuzz,--seconds$(comma)$(VMFUZZ_SECONDS))

vm-progs: $(VM_PROGS)

# make fuzz: the image checks this base builds.
FUZZ_IMAGE_C := $(OVERLAY)/tree/arch/x86/virt/vmx/tdx/update_image.c
FUZZ_OUT := $(B73)/fuzz

# The shared rules (make bench, make check-kasan) build here.
BASE_OUT := $(B73)
KASAN_OUT := $(B73)/kasan

# Not on this base yet.
patches patches-check:
	@echo "make $@ BASE=7.3: not on the 7.3 base yet" \
		"(tools/testing/tdx/base-7.3/README.md)" >&2; exit 2
