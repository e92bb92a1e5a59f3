// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of the image checks and of tdx-sim-mkimage together:
 * every kind of image the tool makes goes through update_image.c, the
 * very file the kernel builds, and must meet its own verdict.  TAP out.
 *
 *   image-check-test PATH-TO-tdx-sim-mkimage SCRATCH-FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_blob.h"

static const struct {
	const char *args;
	enum tdx_image_error expect;
} cases[] = {
	{ "",					TDX_IMAGE_OK },
	{ "--pages 496 --version 1.5.9",	TDX_IMAGE_OK },
	{ "--malform=bad-digest",		TDX_IMAGE_DIGEST_MISMATCH },
	{ "--malform=digest-mismatch",		TDX_IMAGE_DIGEST_MISMATCH },
	{ "--pages 496 --malform=bad-digest",	TDX_IMAGE_DIGEST_MISMATCH },
	{ "--malform=too-short",		TDX_IMAGE_TOO_SHORT },
	{ "--malform=bad-version",		TDX_IMAGE_BAD_VERSION },
	{ "--malform=bad-signature",		TDX_IMAGE_BAD_SIGNATURE },
	{ "--malform=reserved",			TDX_IMAGE_RESERVED_NONZERO },
	{ "--malform=no-sigstruct",		TDX_IMAGE_NO_SIGSTRUCT },
	{ "--malform=two-sigstruct",		TDX_IMAGE_TOO_MANY_SIGSTRUCT },
	{ "--malform=no-module",		TDX_IMAGE_NO_MODULE },
	{ "--malform=too-many-module",		TDX_IMAGE_MODULE_TOO_LARGE },
	{ "--malform=size-mismatch",		TDX_IMAGE_SIZE_MISMATCH },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_CASES	ARRAY_SIZE(cases)

/* A TAP diagnostic: what was expected, what came out. */
static void diag(enum tdx_image_error expect, enum tdx_image_error got)
{
	const char *what = "no image";

	if (got != TDX_IMAGE_NR_ERRORS)
		what = tdx_image_error_str(got);
	printf("%c expected \"%s\", got \"%s\"\n", '#',
	       tdx_image_error_str(expect), what);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	unsigned char seen[TDX_IMAGE_NR_ERRORS] = { 0 };
	unsigned int i, failed = 0;
	char cmd[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: %s MKIMAGE SCRATCH\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..%zu\n", NR_CASES + 1);
	for (i = 0; i < NR_CASES; i++) {
		struct tdx_image_layout layout;
		enum tdx_image_error got = TDX_IMAGE_NR_ERRORS;
		const char *verdict, *name;
		unsigned char *img;
		size_t len;

		snprintf(cmd, sizeof(cmd), "%s %s %s", argv[1], cases[i].args,
			 argv[2]);
		/* Judge only what this run of the tool wrote. */
		remove(argv[2]);
		img = system(cmd) ? NULL : slurp(argv[2], &len);
		if (img)
			got = tdx_image_check(img, len, &layout);
		if (got == cases[i].expect) {
			seen[got] = 1;
			verdict = "ok";
		} else {
			failed++;
			verdict = "not ok";
			diag(cases[i].expect, got);
		}
		free(img);
		name = cases[i].args;
		if (!name[0])
			name = "(valid)";
		printf("%s %u image_check %s -> %s\n", verdict, i + 1, name,
		       tdx_image_error_str(cases[i].expect));
	}

	/*
	 * Every rule of the checker was met by some image; but for the hash
	 * that cannot be computed, which only the kernel's allocation of
	 * its transform can give (KUnit covers it).
	 */
	seen[TDX_IMAGE_NO_HASH] = 1;
	for (i = 0; i < TDX_IMAGE_NR_ERRORS && seen[i]; i++)
		;
	if (i != TDX_IMAGE_NR_ERRORS) {
		failed++;
		printf("not ok %zu image_check every_rule_covered\n",
		       NR_CASES + 1);
	} else {
		printf("ok %zu image_check every_rule_covered\n", NR_CASES + 1);
	}
	return failed ? 1 : 0;
}
