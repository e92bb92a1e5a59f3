// SPDX-License-Identifier: GPL-2.0
/*
 * tdx-sim-mkimage: write a tdx_blob 0x200 update image that the simulated
 * TDX module accepts, or a malformed one of a chosen kind.
 *
 *   tdx-sim-mkimage [--version X.Y.Z] [--handoff N] [--min-handoff N]
 *                   [--crypto N] [--features HEX] [--pages N]
 *                   [--malform KIND] OUTPUT
 *
 * OUTPUT "-" writes to standard output.  --malform with no KIND lists
 * the kinds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx_sim_image.h"

#define BIT_ULL(n)	(1ULL << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define TD_PRESERVING	BIT_ULL(1)
#define UPDATE_COMPAT	BIT_ULL(47)

struct malform {
	const char *name;
	const char *what;
};

static const struct malform malforms[] = {
	{ "too-short",		"shorter than the 4096-byte header" },
	{ "bad-version",	"header version 0x100" },
	{ "bad-signature",	"header signature TDX-BLOX" },
	{ "reserved",		"a reserved header byte set" },
	{ "no-sigstruct",	"zero sigstruct pages, and none in the file" },
	{ "two-sigstruct",	"two sigstruct pages" },
	{ "no-module",		"zero module pages, and none in the file" },
	{ "too-many-module",	"497 module pages" },
	{ "size-mismatch",	"one page longer than the header says" },
	{ "bad-digest",		"last module byte flipped: matches no digest" },
	{ "digest-mismatch",	"wrong SHA-384 in the sigstruct, module intact" },
};

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: tdx-sim-mkimage [options] OUTPUT\n"
		"  --version X.Y.Z    module version (default 1.5.7)\n"
		"  --handoff N        handoff version it writes (default 4)\n"
		"  --min-handoff N    oldest handoff version it imports (default 2)\n"
		"  --crypto N         crypto-library version (default 1)\n"
		"  --features HEX     TDX_FEATURES0 (default 0x%llx)\n"
		"  --pages N          module pages, 1..496 (default 2)\n"
		"  --malform KIND     write a malformed image; KIND is one of:\n",
		TD_PRESERVING | UPDATE_COMPAT);
	for (size_t i = 0; i < ARRAY_SIZE(malforms); i++)
		fprintf(f, "                     %-16s %s\n", malforms[i].name,
			malforms[i].what);
}

static int parse_num(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || end == s || *end || *out > max) {
		fprintf(stderr, "tdx-sim-mkimage: bad number '%s'\n", s);
		return -1;
	}
	return 0;
}

/* Break the image in @buf of @size bytes; returns the new size. */
static size_t malform(u8 *buf, size_t size, const char *kind)
{
	struct tdx_blob_hdr *hdr = (struct tdx_blob_hdr *)buf;

	if (!strcmp(kind, "too-short"))
		return TDX_BLOB_HDR_SIZE - 1;
	if (!strcmp(kind, "bad-version"))
		hdr->version = 0x100;
	else if (!strcmp(kind, "bad-signature"))
		hdr->signature[7] = 'X';
	else if (!strcmp(kind, "reserved"))
		hdr->reserved[100] = 1;
	else if (!strcmp(kind, "no-sigstruct")) {
		/* The sizes agree: only the count rule can refuse it. */
		hdr->sigstruct_pages = 0;
		memmove(buf + TDX_PAGE_SIZE, buf + 2 * TDX_PAGE_SIZE,
			size - 2 * TDX_PAGE_SIZE);
		return size - TDX_PAGE_SIZE;
	}
	else if (!strcmp(kind, "two-sigstruct"))
		hdr->sigstruct_pages = 2;
	else if (!strcmp(kind, "no-module")) {
		hdr->module_pages = 0;
		return 2 * TDX_PAGE_SIZE;
	}
	else if (!strcmp(kind, "too-many-module"))
		hdr->module_pages = TDX_BLOB_MAX_MODULE_PAGES + 1;
	else if (!strcmp(kind, "size-mismatch"))
		return size + TDX_PAGE_SIZE;
	else if (!strcmp(kind, "bad-digest"))
		buf[size - 1] ^= 0xff;
	else if (!strcmp(kind, "digest-mismatch"))
		/* The simulated signature covers the module only: still valid. */
		buf[TDX_BLOB_HDR_SIZE + TDX_SIGSTRUCT_DIGEST_OFFSET] ^= 0x01;
	else
		return 0;
	return size;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "handoff", required_argument, NULL, 'h' },
		{ "min-handoff", required_argument, NULL, 'm' },
		{ "crypto", required_argument, NULL, 'c' },
		{ "features", required_argument, NULL, 'f' },
		{ "pages", required_argument, NULL, 'p' },
		{ "malform", optional_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct tdx_sim_module_desc desc = {
		.major = 1, .minor = 5, .update = 7,
		.handoff_version = 4, .min_handoff_version = 2,
		.crypto_lib_version = 1,
		.features0 = TD_PRESERVING | UPDATE_COMPAT,
	};
	unsigned long long n, pages = 2;
	const char *kind = NULL;
	size_t size, len;
	unsigned int x, y, z;
	FILE *out;
	u8 *buf;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (sscanf(optarg, "%u.%u.%u", &x, &y, &z) != 3 ||
			    x > 0xffff || y > 0xffff || z > 0xffff) {
				fprintf(stderr, "tdx-sim-mkimage: bad version '%s'\n",
					optarg);
				return 2;
			}
			desc.major = x;
			desc.minor = y;
			desc.update = z;
			break;
		case 'h':
		case 'm':
			if (parse_num(optarg, 0xffff, &n))
				return 2;
			if (c == 'h')
				desc.handoff_version = n;
			else
				desc.min_handoff_version = n;
			break;
		case 'c':
			if (parse_num(optarg, 0xffffffffULL, &n))
				return 2;
			desc.crypto_lib_version = n;
			break;
		case 'f':
			if (parse_num(optarg, ~0ULL, &n))
				return 2;
			desc.features0 = n;
			break;
		case 'p':
			if (parse_num(optarg, TDX_BLOB_MAX_MODULE_PAGES, &pages) ||
			    !pages)
				return 2;
			break;
		case 'M':
			if (!optarg) {
				print_help(stdout);
				return 0;
			}
			kind = optarg;
			break;
		case 'H':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		print_help(stderr);
		return 2;
	}

	size = tdx_sim_image_size(pages);
	/* Room for the one malformation that grows the image. */
	buf = calloc(1, size + TDX_PAGE_SIZE);
	if (!buf) {
		perror("tdx-sim-mkimage");
		return 1;
	}
	if (tdx_sim_make_image(buf, &desc, pages)) {
		fprintf(stderr, "tdx-sim-mkimage: cannot hash the module\n");
		return 1;
	}
	len = size;
	if (kind) {
		len = malform(buf, size, kind);
		if (!len) {
			fprintf(stderr, "tdx-sim-mkimage: unknown kind '%s'\n",
				kind);
			print_help(stderr);
			return 2;
		}
	}

	out = strcmp(argv[optind], "-") ? fopen(argv[optind], "wb") : stdout;
	if (!out || fwrite(buf, 1, len, out) != len ||
	    (out != stdout && fclose(out))) {
		perror(argv[optind]);
		return 1;
	}
	free(buf);
	return 0;
}
