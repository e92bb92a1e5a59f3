// SPDX-License-Identifier: GPL-2.0
/*
 * test-image-check - judge image files with the kernel's own image checks
 *
 *   test-image-check [--sim] FILE...
 *
 * Built with arch/x86/virt/vmx/tdx/update_image.c, the file the kernel
 * builds, as tools/testing/tdx/image-check-test.c is, so that
 * test-release.sh checks what tdx-module-update writes with the kernel's
 * verdict rather than with the tool's own.  Prints one line per file,
 * "FILE: ok, S sigstruct page(s), M module page(s)" or "FILE: REASON",
 * and exits 0 only if every file passes (1 if one does not, 2 if one
 * cannot be read).
 *
 * With --sim, a file passes only if the simulated P-SEAMLDR of the test
 * kernels would install it, too: the checks of seamldr_read_image() in
 * tools/testing/tdx/tdx_sim.c, with the structures and the digest of
 * tdx_sim_image.h.  The line then goes on with what the module
 * descriptor says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_blob.h"
#include "tdx_sim_image.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL, *p;
	size_t cap = 0, n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f)
		return NULL;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * What the simulated P-SEAMLDR checks beyond the kernel: its signature
 * over the module pages, then the module descriptor in the first page.
 * NULL if @l passes, with @desc filled in; else the reason.
 */
static const char *sim_check(const struct tdx_image_layout *l,
			     struct tdx_sim_module_desc *desc)
{
	const struct tdx_sim_sigstruct *sig = (const void *)l->sigstruct;
	u64 digest;

	if (memcmp(sig->magic, TDX_SIM_SIGSTRUCT_MAGIC, 8))
		return "no simulated sigstruct (magic " TDX_SIM_SIGSTRUCT_MAGIC ")";
	if (sig->module_pages != l->nr_module_pages)
		return "the simulated sigstruct covers another number of module pages";
	digest = tdx_sim_digest(TDX_SIM_DIGEST_SEED, l->module,
				(size_t)l->nr_module_pages * TDX_PAGE_SIZE);
	if (digest != sig->digest)
		return "the module pages do not match the simulated sigstruct's digest";
	memcpy(desc, l->module, sizeof(*desc));
	if (memcmp(desc->magic, TDX_SIM_MODULE_MAGIC, 8))
		return "no module descriptor (magic " TDX_SIM_MODULE_MAGIC ")";
	return NULL;
}

int main(int argc, char **argv)
{
	struct tdx_sim_module_desc desc;
	struct tdx_image_layout layout;
	enum tdx_image_error err;
	const char *why;
	unsigned char *img;
	int i = 1, ret = 0;
	bool sim = false;
	size_t len;

	if (argc > 1 && !strcmp(argv[1], "--sim")) {
		sim = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--sim] FILE...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		img = slurp(argv[i], &len);
		if (!img) {
			printf("%s: cannot read\n", argv[i]);
			ret = 2;
			continue;
		}
		err = tdx_image_check(img, len, &layout);
		why = err == TDX_IMAGE_OK ? NULL : tdx_image_error_str(err);
		if (!why && sim)
			why = sim_check(&layout, &desc);
		free(img);
		if (why) {
			printf("%s: %s\n", argv[i], why);
			if (!ret)
				ret = 1;
			continue;
		}
		printf("%s: ok, %u sigstruct page(s), %u module page(s)",
		       argv[i], layout.nr_sigstruct_pages,
		       layout.nr_module_pages);
		if (sim) {
			printf("; simulated module %u.%u.%02u, handoff version %u",
			       desc.major, desc.minor, desc.update,
			       desc.handoff_version);
			printf(" (imports %u..%u), crypto library %u, features0 0x%llx",
			       desc.min_handoff_version, desc.handoff_version,
			       desc.crypto_lib_version, desc.features0);
		}
		putchar('\n');
	}
	return ret;
}
