/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small SHA-384 (FIPS 180-4) for the TDX selftests: the tests compute
 * every expected MRTD with it, independently of the kernel.
 */
#ifndef _TDX_SELFTEST_SHA384_H
#define _TDX_SELFTEST_SHA384_H

#include <stddef.h>
#include <stdint.h>

#define SHA384_DIGEST_SIZE	48
#define SHA384_BLOCK_SIZE	128

struct sha384_ctx {
	uint64_t h[8];
	uint64_t bytes;			/* total bytes hashed */
	uint8_t buf[SHA384_BLOCK_SIZE];
	size_t buflen;
};

void sha384_init(struct sha384_ctx *ctx);
void sha384_update(struct sha384_ctx *ctx, const void *data, size_t len);
void sha384_final(struct sha384_ctx *ctx, uint8_t out[SHA384_DIGEST_SIZE]);
void sha384(const void *data, size_t len, uint8_t out[SHA384_DIGEST_SIZE]);

#endif /* _TDX_SELFTEST_SHA384_H */
