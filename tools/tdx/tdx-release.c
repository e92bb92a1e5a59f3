// SPDX-License-Identifier: GPL-2.0
/*
 * Intel's TDX module release directories, for tdx-module-update: see
 * tdx-release.h.
 *
 * The converted image is built with the kernel's own definitions
 * (tdx_blob.h) and checked with the kernel's own code
 * (tdx_image_check() from update_image.c, linked in), so that the tool
 * never hands the kernel an image the kernel would refuse.  All fields of
 * the release files are little endian and read byte by byte; the 0x200
 * header is written through struct tdx_blob_hdr, as the kernel reads it,
 * on x86.
 */
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdx-json.h"
#include "tdx-release.h"

#define __printf(a, b)		__attribute__(\
				(format(printf, a, b)))

#define VERSION_PART_MAX	65535U

/* snprintf() that may truncate: for messages and names of bounded size */
static void __printf(3, 4)
strfmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static const char * const error_names[REL_NR_ERRORS] = {
	[REL_OK]		= "ok",
	[REL_TRUNCATED]		= "truncated",
	[REL_BAD_SIGNATURE]	= "bad-signature",
	[REL_BAD_VERSION]	= "unknown-version",
	[REL_BAD_CHECKSUM]	= "bad-checksum",
	[REL_LENGTH_MISMATCH]	= "length-mismatch",
	[REL_BAD_LAYOUT]	= "bad-module-layout",
	[REL_TOO_LARGE]		= "module-too-large",
	[REL_RESERVED]		= "reserved-not-zero",
	[REL_BAD_SIGSTRUCT]	= "bad-sigstruct",
	[REL_IMAGE_CHECK]	= "image-check",
	[REL_NO_FILE]		= "no-file",
	[REL_READ_ERROR]	= "read-error",
};

static const char * const reason_names[REL_NR_REASONS] = {
	[REL_LOADABLE]			= "loadable",
	[REL_NOT_IN_MAPPING]		= "not-in-mapping",
	[REL_OTHER_LINE]		= "other-line",
	[REL_OLDER]			= "older",
	[REL_ALREADY_RUNNING]		= "already-running",
	[REL_BELOW_MIN_TD_PRESERVING]	= "below-min-td-preserving",
	[REL_SEAMLDR_TOO_OLD]		= "seamldr-too-old",
	[REL_FILE_MISSING]		= "no-file",
	[REL_CHECKSUM]			= "checksum",
	[REL_FORMAT]			= "format",
	[REL_CPU_NOT_LISTED]		= "cpu-not-listed",
	[REL_DEBUG]			= "debug",
};

const char *rel_error_name(enum rel_error err)
{
	if ((unsigned int)err >= REL_NR_ERRORS)
		return "unknown";
	return error_names[err];
}

const char *rel_reason_name(enum rel_reason reason)
{
	if ((unsigned int)reason >= REL_NR_REASONS)
		return "unknown";
	return reason_names[reason];
}

const char *rel_kind_name(enum rel_kind kind)
{
	switch (kind) {
	case REL_KIND_NONE:
		return "none";
	case REL_KIND_JOINED:
		return "blob";
	case REL_KIND_BLOB:
		return "0x100-blob";
	case REL_KIND_IMAGE:
		return "0x200-image";
	case REL_KIND_SEPARATE:
		return "separate";
	}
	return "unknown";
}

/* ---- Versions ---- */

/* One decimal part of a version, up to @stop; -1 if it is not one */
static int version_part(const char **s, char stop, unsigned int *out)
{
	const char *p = *s;
	unsigned long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (v > VERSION_PART_MAX)
			return -1;
	}
	if (*p != stop)
		return -1;
	*out = v;
	*s = stop ? p + 1 : p;
	return 0;
}

/**
 * rel_version_parse() - parse "major.minor.update"
 * @s: the text: three decimal numbers, each at most 65535, and nothing
 *	else (no sign, no spaces)
 * @v: receives the version
 *
 * Return: 0, or -1 if @s is not such a version.
 */
int rel_version_parse(const char *s, struct rel_version *v)
{
	struct rel_version r;

	if (version_part(&s, '.', &r.major) ||
	    version_part(&s, '.', &r.minor) ||
	    version_part(&s, '\0', &r.update))
		return -1;
	*v = r;
	return 0;
}

int rel_version_cmp(const struct rel_version *a, const struct rel_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->update != b->update)
		return a->update < b->update ? -1 : 1;
	return 0;
}

/* As the kernel prints it (TDX_VERSION_FMT) */
void rel_version_str(const struct rel_version *v, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%02u", v->major, v->minor, v->update);
}

static bool same_line(const struct rel_version *a, const struct rel_version *b)
{
	return a->major == b->major && a->minor == b->minor;
}

/* ---- The file formats ---- */

static unsigned int get_le16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static u32 get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Sum of the little-endian 16-bit words, modulo 2^16 (odd end: 0 pad) */
static unsigned int checksum16(const u8 *p, size_t len)
{
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_le16(p + i);
	if (len & 1)
		sum += p[len - 1];
	return sum & 0xffff;
}

/* The first non-zero byte of @p[@from..@to), or -1 */
static long first_nonzero(const u8 *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i])
			return (long)i;
	return -1;
}

static enum rel_error __printf(4, 5)
set_error(enum rel_error err, char *msg, size_t msg_size, const char *fmt,
	  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msg_size, fmt, ap);
	va_end(ap);
	return err;
}

/* What the kernel's check says, as one of ours */
static enum rel_error image_error(enum tdx_image_error err, const u8 *data,
				  size_t size, char *msg, size_t msg_size)
{
	const struct tdx_blob_hdr *hdr = (const void *)data;
	const char *what = tdx_image_error_str(err);
	unsigned long long expected;

	switch (err) {
	case TDX_IMAGE_TOO_SHORT:
		return set_error(REL_TRUNCATED, msg, msg_size,
				 "%s: the file has %zu bytes", what, size);
	case TDX_IMAGE_RESERVED_NONZERO:
		return set_error(REL_RESERVED, msg, msg_size,
				 "%s (0x200 header, offset 0x%lx)", what,
				 first_nonzero(data,
					       offsetof(struct tdx_blob_hdr,
							reserved),
					       TDX_BLOB_HDR_SIZE));
	case TDX_IMAGE_MODULE_TOO_LARGE:
		return set_error(REL_TOO_LARGE, msg, msg_size,
				 "%s: the 0x200 header says %u", what,
				 hdr->module_pages);
	case TDX_IMAGE_SIZE_MISMATCH:
		expected = (unsigned long long)TDX_PAGE_SIZE *
			   (1ULL + hdr->sigstruct_pages + hdr->module_pages);
		if (size < expected)
			return set_error(REL_TRUNCATED, msg, msg_size,
					 "the 0x200 header's page counts make %llu bytes, the file has only %zu: truncated",
					 expected, size);
		return set_error(REL_LENGTH_MISMATCH, msg, msg_size,
				 "the file has %zu bytes, the 0x200 header's page counts make %llu",
				 size, expected);
	default:
		return set_error(REL_IMAGE_CHECK, msg, msg_size,
				 "the kernel's image check refuses it: %s",
				 what);
	}
}

/* Fill in what @img's sigstruct says; REL_BAD_SIGSTRUCT if it cannot */
static enum rel_error read_sigstruct(struct rel_image *img, const u8 *sig,
				     char *msg, size_t msg_size)
{
	u32 nr = get_le32(sig + REL_SIGSTRUCT_NR_CPUS);

	if (nr > REL_SIGSTRUCT_MAX_CPUS)
		return set_error(REL_BAD_SIGSTRUCT, msg, msg_size,
				 "the sigstruct lists %u CPUs, at most %zu fit in it",
				 nr, (size_t)REL_SIGSTRUCT_MAX_CPUS);
	img->debug = get_le32(sig + REL_SIGSTRUCT_TYPE) & REL_SIGSTRUCT_DEBUG;
	img->nr_cpus = nr;
	img->cpus = sig + REL_SIGSTRUCT_CPUS;
	return REL_OK;
}

/*
 * The 0x200 image of a 2 KiB sigstruct and a module of whole pages: the
 * header page, one sigstruct page (the sigstruct, then zeros), the module
 * pages.  The header's checksum, which the kernel does not check, is set
 * by the 0x100 blob's rule: all 16-bit words of the image sum to 0.
 */
static enum rel_error build_image(struct rel_image *img, const u8 *sig,
				  const u8 *module, size_t module_size,
				  char *msg, size_t msg_size)
{
	struct tdx_image_layout layout;
	struct tdx_blob_hdr *hdr;
	enum tdx_image_error ierr;
	enum rel_error err;
	size_t size;
	u8 *data;

	err = read_sigstruct(img, sig, msg, msg_size);
	if (err)
		return err;

	size = TDX_BLOB_HDR_SIZE + TDX_PAGE_SIZE + module_size;
	data = calloc(1, size);
	if (!data)
		return set_error(REL_READ_ERROR, msg, msg_size,
				 "out of memory for a %zu-byte image", size);
	hdr = (struct tdx_blob_hdr *)data;
	hdr->version = TDX_BLOB_VERSION;
	memcpy(hdr->signature, TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN);
	hdr->sigstruct_pages = 1;
	hdr->module_pages = module_size / TDX_PAGE_SIZE;
	memcpy(data + TDX_BLOB_HDR_SIZE, sig, REL_SIGSTRUCT_SIZE);
	memcpy(data + TDX_BLOB_HDR_SIZE + TDX_PAGE_SIZE, module, module_size);
	hdr->checksum = (0x10000 - checksum16(data, size)) & 0xffff;

	ierr = tdx_image_check(data, size, &layout);
	if (ierr != TDX_IMAGE_OK) {
		err = image_error(ierr, data, size, msg, msg_size);
		free(data);
		return err;
	}
	img->data = data;
	img->size = size;
	img->module_pages = layout.nr_module_pages;
	/* The same fields, now in the image, which outlives @sig */
	return read_sigstruct(img, layout.sigstruct, msg, msg_size);
}

/* The module's pages, in either format: whole pages, not too many */
static enum rel_error check_module_size(size_t size, char *msg,
					size_t msg_size)
{
	if (size % TDX_PAGE_SIZE)
		return set_error(REL_BAD_LAYOUT, msg, msg_size,
				 "the module is %zu bytes, not a multiple of 4 KiB",
				 size);
	if (size / TDX_PAGE_SIZE > TDX_BLOB_MAX_MODULE_PAGES)
		return set_error(REL_TOO_LARGE, msg, msg_size,
				 "the module has %zu pages, the kernel takes at most %d",
				 size / TDX_PAGE_SIZE,
				 TDX_BLOB_MAX_MODULE_PAGES);
	return REL_OK;
}

static enum rel_error convert_blob(const u8 *data, size_t size,
				   struct rel_image *img, char *msg,
				   size_t msg_size)
{
	u32 length = get_le32(data + 16);
	u32 offset = get_le32(data + 4);
	enum rel_error err;
	size_t module_size;
	unsigned int sum;
	long bad;

	if (length > size)
		return set_error(REL_TRUNCATED, msg, msg_size,
				 "the 0x100 header says %u bytes, the file has only %zu: truncated",
				 length, size);
	if (length < size)
		return set_error(REL_LENGTH_MISMATCH, msg, msg_size,
				 "the file has %zu bytes, the 0x100 header says %u",
				 size, length);
	sum = checksum16(data, size);
	if (sum)
		return set_error(REL_BAD_CHECKSUM, msg, msg_size,
				 "its 16-bit words sum to 0x%04x, not 0 (checksum field 0x%04x): the file is corrupt",
				 sum, get_le16(data + 2));
	/* reserved0 and reserved1[], the rest of the header page */
	bad = first_nonzero(data, 20, TDX_PAGE_SIZE);
	if (bad >= 0)
		return set_error(REL_RESERVED, msg, msg_size,
				 "reserved byte 0x%02x at offset 0x%lx of the 0x100 header is not zero",
				 data[bad], bad);
	if (offset % TDX_PAGE_SIZE || offset < REL_BLOB_MIN_MODULE_OFF)
		return set_error(REL_BAD_LAYOUT, msg, msg_size,
				 "module offset 0x%x is not 8 KiB plus a multiple of 4 KiB",
				 offset);
	if (offset >= size)
		return set_error(REL_BAD_LAYOUT, msg, msg_size,
				 "no module: its offset 0x%x is at or past the end of the blob (0x%zx)",
				 offset, size);
	module_size = size - offset;
	err = check_module_size(module_size, msg, msg_size);
	if (err)
		return err;
	/* After the sigstruct: its 2 KiB reserved half, and N pages */
	bad = first_nonzero(data, TDX_PAGE_SIZE + REL_SIGSTRUCT_SIZE, offset);
	if (bad >= 0)
		return set_error(REL_RESERVED, msg, msg_size,
				 "reserved byte 0x%02x at offset 0x%lx, between the sigstruct and the module, is not zero",
				 data[bad], bad);
	return build_image(img, data + TDX_PAGE_SIZE, data + offset,
			   module_size, msg, msg_size);
}

static enum rel_error convert_separate(const u8 *module, size_t size,
				       const u8 *sig, size_t sig_size,
				       struct rel_image *img, char *msg,
				       size_t msg_size)
{
	enum rel_error err;

	if (sig_size < REL_SIGSTRUCT_SIZE)
		return set_error(REL_BAD_SIGSTRUCT, msg, msg_size,
				 "the sigstruct is %zu bytes, not %d: truncated",
				 sig_size, REL_SIGSTRUCT_SIZE);
	if (sig_size > REL_SIGSTRUCT_SIZE)
		return set_error(REL_BAD_SIGSTRUCT, msg, msg_size,
				 "the sigstruct is %zu bytes, not %d",
				 sig_size, REL_SIGSTRUCT_SIZE);
	if (!size)
		return set_error(REL_BAD_LAYOUT, msg, msg_size,
				 "the module is empty");
	err = check_module_size(size, msg, msg_size);
	if (err)
		return err;
	return build_image(img, sig, module, size, msg, msg_size);
}

/* A 0x200 image: checked by the kernel's rules, then copied */
static enum rel_error copy_image(const u8 *data, size_t size,
				 struct rel_image *img, char *msg,
				 size_t msg_size)
{
	struct tdx_image_layout layout;
	enum tdx_image_error ierr;

	ierr = tdx_image_check(data, size, &layout);
	if (ierr != TDX_IMAGE_OK)
		return image_error(ierr, data, size, msg, msg_size);
	img->data = malloc(size);
	if (!img->data)
		return set_error(REL_READ_ERROR, msg, msg_size,
				 "out of memory for a %zu-byte image", size);
	memcpy(img->data, data, size);
	img->size = size;
	img->module_pages = layout.nr_module_pages;
	return read_sigstruct(img, img->data + (layout.sigstruct - data), msg,
			      msg_size);
}

/**
 * rel_convert() - make the kernel's 0x200 image of a release file
 * @data: a 0x100 blob or a 0x200 image; with @sig, the module binary
 * @size: its length
 * @sig: the 2 KiB sigstruct of separate files, or NULL
 * @sig_size: its length
 * @img: receives the image (free with rel_image_free()) and what its
 *	sigstruct says; img->kind is set as soon as the input's kind is
 *	known, also on error
 * @msg: receives the reason on error, in words
 * @msg_size: size of @msg
 *
 * A 0x200 image is copied unchanged once the kernel's checks pass.  The
 * result of a conversion always passes them too, or is refused: the
 * module must hash to the digest its sigstruct carries.
 *
 * Return: REL_OK, or the first rule the input breaks.
 */
enum rel_error rel_convert(const u8 *data, size_t size, const u8 *sig,
			   size_t sig_size, struct rel_image *img, char *msg,
			   size_t msg_size)
{
	bool sig100, sig200;
	enum rel_error err;
	unsigned int ver;

	memset(img, 0, sizeof(*img));
	msg[0] = '\0';
	if (sig) {
		img->kind = REL_KIND_SEPARATE;
		err = convert_separate(data, size, sig, sig_size, img, msg,
				       msg_size);
		goto out;
	}

	if (size < TDX_PAGE_SIZE) {
		err = set_error(REL_TRUNCATED, msg, msg_size,
				"the file has %zu bytes, less than the %d-byte header",
				size, TDX_PAGE_SIZE);
		goto out;
	}
	ver = get_le16(data);
	sig100 = !memcmp(data + REL_BLOB_SIG_OFFSET, TDX_BLOB_SIGNATURE,
			 TDX_BLOB_SIGNATURE_LEN);
	sig200 = !memcmp(data + offsetof(struct tdx_blob_hdr, signature),
			 TDX_BLOB_SIGNATURE, TDX_BLOB_SIGNATURE_LEN);
	if (ver == REL_BLOB_VERSION && sig100) {
		img->kind = REL_KIND_BLOB;
		err = convert_blob(data, size, img, msg, msg_size);
	} else if (ver == TDX_BLOB_VERSION && sig200) {
		img->kind = REL_KIND_IMAGE;
		err = copy_image(data, size, img, msg, msg_size);
	} else if (sig100 || sig200) {
		err = set_error(REL_BAD_VERSION, msg, msg_size,
				"header version 0x%x: only 0x100 blobs and 0x200 images are known",
				ver);
	} else {
		err = set_error(REL_BAD_SIGNATURE, msg, msg_size,
				"no \"TDX-BLOB\" signature in the header (at offset %d of a 0x100 blob, %zu of a 0x200 image): not a TDX module blob",
				REL_BLOB_SIG_OFFSET,
				offsetof(struct tdx_blob_hdr, signature));
	}
out:
	if (err != REL_OK) {
		free(img->data);
		img->data = NULL;
		img->size = 0;
	}
	return err;
}

void rel_image_free(struct rel_image *img)
{
	free(img->data);
	img->data = NULL;
	img->size = 0;
}

/**
 * rel_cpu_listed() - may the module run on this CPU?
 * @img: a converted image
 * @cpuid: the CPU's CPUID.1.EAX
 *
 * Return: whether the sigstruct lists @cpuid, the stepping (bits 3:0)
 * ignored on both sides.
 */
bool rel_cpu_listed(const struct rel_image *img, unsigned int cpuid)
{
	unsigned int i;

	for (i = 0; i < img->nr_cpus; i++)
		if ((get_le32(img->cpus + 4 * i) & ~REL_CPUID_STEPPING) ==
		    (cpuid & ~REL_CPUID_STEPPING))
			return true;
	return false;
}

/**
 * rel_read_file() - read a whole file
 * @path: the file
 * @data: receives the contents, malloc()ed
 * @size: receives the length
 * @msg: receives the reason on error
 * @msg_size: size of @msg
 *
 * Return: 0, or a negative errno: -EFBIG beyond REL_FILE_MAX_SIZE.
 */
int rel_read_file(const char *path, u8 **data, size_t *size, char *msg,
		  size_t msg_size)
{
	size_t len = 0, cap = 1 << 16;
	struct stat st;
	u8 *buf = NULL, *p;
	ssize_t n;
	int fd, err;

	*data = NULL;
	*size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err;
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto err_close;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size < REL_FILE_MAX_SIZE)
		cap = st.st_size + 1;

	for (;;) {
		if (!buf || len == cap) {
			if (buf && cap >= REL_FILE_MAX_SIZE) {
				errno = EFBIG;
				goto err_close;
			}
			if (buf)
				cap = cap > REL_FILE_MAX_SIZE / 2 ?
				      REL_FILE_MAX_SIZE : cap * 2;
			p = realloc(buf, cap);
			if (!p) {
				errno = ENOMEM;
				goto err_close;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_close;
		if (!n)
			break;
		len += n;
	}
	close(fd);
	*data = buf;
	*size = len;
	return 0;

err_close:
	err = errno;
	close(fd);
	errno = err;
err:
	err = errno;
	free(buf);
	if (err == EFBIG)
		snprintf(msg, msg_size, "%s is %lu MiB or larger", path,
			 REL_FILE_MAX_SIZE >> 20);
	else
		snprintf(msg, msg_size, "cannot read %s: %s", path,
			 strerror(err));
	return -err;
}

/* ---- The mapping file ---- */

struct mapping_ctx {
	const char *file;
	char *msg;
	size_t msg_size;
};

static int __printf(3, 4)
schema_error(struct mapping_ctx *ctx, const struct json_value *v,
	     const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(ctx->msg, ctx->msg_size, "%s: line %u, column %u: ",
		       ctx->file, v->line, v->column);
	if (len >= 0 && (size_t)len < ctx->msg_size) {
		va_start(ap, fmt);
		vsnprintf(ctx->msg + len, ctx->msg_size - len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A member that must be a version string; 0, or -1 with the message */
static int get_version(struct mapping_ctx *ctx, const struct json_value *obj,
		       const char *where, const char *key, char *text,
		       size_t text_size, struct rel_version *ver)
{
	const struct json_value *v = json_get(obj, key);

	if (!v)
		return schema_error(ctx, obj, "%s has no \"%s\"", where, key);
	if (v->type != JSON_STRING)
		return schema_error(ctx, v, "%s.%s is %s, not a string",
				    where, key, json_type_name(v->type));
	if (rel_version_parse(v->text, ver) || strlen(v->text) >= text_size)
		return schema_error(ctx, v,
				    "%s.%s \"%s\" is not a version X.Y.Z",
				    where, key, v->text);
	snprintf(text, text_size, "%s", v->text);
	return 0;
}

static bool is_hex_number(const char *s)
{
	size_t n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (s += 2; *s; s++, n++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return false;
	return n >= 1 && n <= 16;
}

static int parse_seamldr(struct mapping_ctx *ctx, struct rel_entry *e,
			 const struct json_value *obj, const char *where)
{
	const struct json_value *v = json_get(obj, "min_seamldr_versions");
	const struct json_value *item;
	size_t i, len = 0;

	if (!v)
		return schema_error(ctx, obj,
				    "%s has no \"min_seamldr_versions\"",
				    where);
	if (v->type != JSON_ARRAY)
		return schema_error(ctx, v,
				    "%s.min_seamldr_versions is %s, not an array",
				    where, json_type_name(v->type));
	if (!v->count)
		return schema_error(ctx, v,
				    "%s.min_seamldr_versions is empty", where);
	e->seamldr = calloc(v->count, sizeof(*e->seamldr));
	e->seamldr_text = calloc(v->count, 18);
	if (!e->seamldr || !e->seamldr_text)
		return schema_error(ctx, v, "out of memory");
	for (i = 0; i < v->count; i++) {
		item = v->items[i];
		if (item->type != JSON_STRING)
			return schema_error(ctx, item,
					    "%s.min_seamldr_versions[%zu] is %s, not a string",
					    where, i,
					    json_type_name(item->type));
		if (rel_version_parse(item->text, &e->seamldr[i]) ||
		    strlen(item->text) > 15)
			return schema_error(ctx, item,
					    "%s.min_seamldr_versions[%zu] \"%s\" is not a version X.Y.Z",
					    where, i, item->text);
		len += sprintf(e->seamldr_text + len, "%s%s", i ? ", " : "",
			       item->text);
	}
	e->nr_seamldr = v->count;
	return 0;
}

static int parse_entry(struct mapping_ctx *ctx, struct rel_entry *e,
		       const struct json_value *obj, size_t index)
{
	const struct json_value *f;
	char where[48];

	snprintf(where, sizeof(where), "tdx_module_releases[%zu]", index);
	if (obj->type != JSON_OBJECT)
		return schema_error(ctx, obj, "%s is %s, not an object", where,
				    json_type_name(obj->type));
	if (get_version(ctx, obj, where, "version", e->version,
			sizeof(e->version), &e->ver) ||
	    get_version(ctx, obj, where,
			"min_module_version_for_td_preserving",
			e->min_td_preserving, sizeof(e->min_td_preserving),
			&e->min_td) ||
	    parse_seamldr(ctx, e, obj, where))
		return -1;

	f = json_get(obj, "tdx_feature0");
	if (f && (f->type != JSON_STRING || !is_hex_number(f->text)))
		return schema_error(ctx, f,
				    "%s.tdx_feature0 is not a hex number \"0x...\" of up to 16 digits",
				    where);
	if (f)
		snprintf(e->feature0, sizeof(e->feature0), "%s", f->text);
	return 0;
}

static int parse_mapping(struct rel_dir *dir, const char *text, size_t len,
			 const char *file, char *msg, size_t msg_size)
{
	struct mapping_ctx ctx = { file, msg, msg_size };
	const struct json_value *rels, *hdr;
	struct json_value *root;
	char err[256];
	size_t i, j;
	int ret = -1;

	root = json_parse(text, len, err, sizeof(err));
	if (!root) {
		snprintf(msg, msg_size, "%s: not valid JSON: %s", file, err);
		return -1;
	}
	if (root->type != JSON_OBJECT) {
		schema_error(&ctx, root, "the top level is %s, not an object",
			     json_type_name(root->type));
		goto out;
	}
	hdr = json_get(root, "Header");
	if (hdr && hdr->type != JSON_OBJECT) {
		schema_error(&ctx, hdr, "\"Header\" is %s, not an object",
			     json_type_name(hdr->type));
		goto out;
	}
	rels = json_get(root, "tdx_module_releases");
	if (!rels) {
		schema_error(&ctx, root, "no \"tdx_module_releases\"");
		goto out;
	}
	if (rels->type != JSON_ARRAY) {
		schema_error(&ctx, rels,
			     "\"tdx_module_releases\" is %s, not an array",
			     json_type_name(rels->type));
		goto out;
	}
	dir->entries = calloc(rels->count ? rels->count : 1,
			      sizeof(*dir->entries));
	if (!dir->entries) {
		schema_error(&ctx, rels, "out of memory");
		goto out;
	}
	for (i = 0; i < rels->count; i++) {
		dir->nr_entries = i + 1;
		if (parse_entry(&ctx, &dir->entries[i], rels->items[i], i))
			goto out;
		for (j = 0; j < i; j++) {
			if (rel_version_cmp(&dir->entries[j].ver,
					    &dir->entries[i].ver))
				continue;
			schema_error(&ctx, rels->items[i],
				     "tdx_module_releases[%zu]: version %s is listed twice",
				     i, dir->entries[i].version);
			goto out;
		}
	}
	ret = 0;
out:
	json_free(root);
	return ret;
}

/* ---- The directory ---- */

static bool file_exists(const struct rel_dir *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir->path, rel);
	return !stat(path, &st);
}

static struct rel_candidate *add_candidate(struct rel_dir *dir,
					   const char *version,
					   const struct rel_entry *entry,
					   enum rel_kind kind)
{
	struct rel_candidate *c;

	c = realloc(dir->cands, (dir->nr_cands + 1) * sizeof(*c));
	if (!c)
		return NULL;
	dir->cands = c;
	c = &dir->cands[dir->nr_cands++];
	memset(c, 0, sizeof(*c));
	snprintf(c->version, sizeof(c->version), "%s", version);
	rel_version_parse(version, &c->ver);
	c->entry = entry;
	c->kind = kind;
	c->debug = -1;
	return c;
}

/* "major.minor" of a version as written: up to its second dot */
static void line_of(const char *version, char *buf, size_t size)
{
	const char *dot = strchr(version, '.');

	dot = dot ? strchr(dot + 1, '.') : NULL;
	snprintf(buf, size, "%.*s", dot ? (int)(dot - version) : 0, version);
}

static bool listed_file(const struct rel_dir *dir, const char *file)
{
	size_t i;

	for (i = 0; i < dir->nr_cands; i++)
		if (!strcmp(dir->cands[i].file, file))
			return true;
	return false;
}

/* "tdx_module_<x.y.z><suffix>": the version into @version, or false */
static bool release_file_name(const char *name, const char *suffix,
			      char *version, size_t size)
{
	static const char prefix[] = "tdx_module_";
	size_t len = strlen(name), plen = strlen(prefix);
	size_t slen = strlen(suffix);
	struct rel_version v;

	if (len <= plen + slen || strncmp(name, prefix, plen) ||
	    strcmp(name + len - slen, suffix) || len - plen - slen >= size)
		return false;
	snprintf(version, size, "%.*s", (int)(len - plen - slen), name + plen);
	return !rel_version_parse(version, &v);
}

/*
 * Release files that the mapping file does not list: under joined_files/
 * and separate_files/, one and two directory levels down, as Intel lays
 * them out.  They are shown, never loaded.
 */
static int scan_unlisted(struct rel_dir *dir, const char *sub, int depth,
			 const char *suffix, enum rel_kind kind)
{
	char path[PATH_MAX], rel[PATH_MAX], version[16];
	struct rel_candidate *c;
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir->path, sub);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name);
		if (depth) {
			snprintf(path, sizeof(path), "%s/%s", dir->path, rel);
			if (!stat(path, &st) && S_ISDIR(st.st_mode))
				scan_unlisted(dir, rel, depth - 1, suffix,
					      kind);
			continue;
		}
		if (!release_file_name(de->d_name, suffix, version,
				       sizeof(version)) ||
		    listed_file(dir, rel))
			continue;
		c = add_candidate(dir, version, NULL, kind);
		if (!c) {
			closedir(d);
			return -1;
		}
		strfmt(c->file, sizeof(c->file), "%s", rel);
		if (kind == REL_KIND_SEPARATE)
			snprintf(c->sigstruct_file, sizeof(c->sigstruct_file),
				 "%.*s.sigstruct",
				 (int)(strlen(rel) - strlen(suffix)), rel);
	}
	closedir(d);
	return 0;
}

static int kind_order(enum rel_kind kind)
{
	switch (kind) {
	case REL_KIND_JOINED:
	case REL_KIND_BLOB:
	case REL_KIND_IMAGE:
		return 0;
	case REL_KIND_SEPARATE:
		return 1;
	default:
		return 2;
	}
}

static int cmp_candidates(const void *pa, const void *pb)
{
	const struct rel_candidate *a = pa, *b = pb;
	int r = rel_version_cmp(&a->ver, &b->ver);

	if (r)
		return r;
	if (kind_order(a->kind) != kind_order(b->kind))
		return kind_order(a->kind) - kind_order(b->kind);
	return strcmp(a->file, b->file);
}

static int add_listed(struct rel_dir *dir, const struct rel_entry *e)
{
	char line[16], joined[512], bin[512], sig[512];
	struct rel_candidate *c;
	bool have_bin, have_sig;

	line_of(e->version, line, sizeof(line));
	snprintf(joined, sizeof(joined), "joined_files/%s/tdx_module_%s.blob",
		 line, e->version);
	snprintf(bin, sizeof(bin),
		 "separate_files/%s/%s/tdx_module_%s.bin", line, e->version,
		 e->version);
	snprintf(sig, sizeof(sig),
		 "separate_files/%s/%s/tdx_module_%s.sigstruct", line,
		 e->version, e->version);
	have_bin = file_exists(dir, bin);
	have_sig = file_exists(dir, sig);

	if (file_exists(dir, joined)) {
		c = add_candidate(dir, e->version, e, REL_KIND_JOINED);
		if (!c)
			return -1;
		snprintf(c->file, sizeof(c->file), "%s", joined);
	}
	if (have_bin || have_sig) {
		c = add_candidate(dir, e->version, e, REL_KIND_SEPARATE);
		if (!c)
			return -1;
		snprintf(c->file, sizeof(c->file), "%s", bin);
		snprintf(c->sigstruct_file, sizeof(c->sigstruct_file), "%s",
			 sig);
	}
	if (!file_exists(dir, joined) && !have_bin && !have_sig) {
		c = add_candidate(dir, e->version, e, REL_KIND_NONE);
		if (!c)
			return -1;
		strfmt(c->message, sizeof(c->message),
		       "no file: neither %s nor %s", joined, bin);
	}
	return 0;
}

/**
 * rel_dir_open() - read a release directory's mapping file and find its
 *	files
 * @dir: filled in; free with rel_dir_free(), also on error
 * @path: the directory
 * @msg: receives the reason on error: the mapping file is missing, is not
 *	valid JSON, or breaks its schema
 * @msg_size: size of @msg
 *
 * Return: 0, or -1.
 */
int rel_dir_open(struct rel_dir *dir, const char *path, char *msg,
		 size_t msg_size)
{
	char file[PATH_MAX];
	size_t i, size;
	u8 *text;
	int err;

	memset(dir, 0, sizeof(*dir));
	dir->path = strdup(path);
	if (!dir->path) {
		snprintf(msg, msg_size, "out of memory");
		return -1;
	}
	snprintf(file, sizeof(file), "%s/" REL_MAPPING_FILE, path);
	err = rel_read_file(file, &text, &size, msg, msg_size);
	if (err) {
		/* Named first, as in the messages about its contents */
		if (err != -EFBIG)
			snprintf(msg, msg_size, "%s: cannot read it: %s", file,
				 strerror(-err));
		return -1;
	}
	if (size > REL_MAPPING_MAX_SIZE) {
		snprintf(msg, msg_size, "%s is larger than %lu KiB", file,
			 REL_MAPPING_MAX_SIZE >> 10);
		free(text);
		return -1;
	}
	if (parse_mapping(dir, (const char *)text, size, file, msg,
			  msg_size)) {
		free(text);
		return -1;
	}
	free(text);

	for (i = 0; i < dir->nr_entries; i++)
		if (add_listed(dir, &dir->entries[i]))
			goto oom;
	if (scan_unlisted(dir, "joined_files", 1, ".blob", REL_KIND_JOINED) ||
	    scan_unlisted(dir, "separate_files", 2, ".bin",
			  REL_KIND_SEPARATE))
		goto oom;
	if (dir->nr_cands)
		qsort(dir->cands, dir->nr_cands, sizeof(*dir->cands),
		      cmp_candidates);
	return 0;
oom:
	snprintf(msg, msg_size, "out of memory");
	return -1;
}

void rel_dir_free(struct rel_dir *dir)
{
	size_t i;

	for (i = 0; i < dir->nr_entries; i++) {
		free(dir->entries[i].seamldr);
		free(dir->entries[i].seamldr_text);
	}
	for (i = 0; i < dir->nr_cands; i++)
		rel_image_free(&dir->cands[i].image);
	free(dir->entries);
	free(dir->cands);
	free(dir->path);
	memset(dir, 0, sizeof(*dir));
}

/* Read and convert the files of @c; sets c->error and c->message */
static void load_candidate(const struct rel_dir *dir, struct rel_candidate *c)
{
	char path[PATH_MAX], msg[sizeof(c->message)];
	size_t size, sig_size = 0;
	u8 *data, *sig = NULL;
	int err;

	if (c->kind == REL_KIND_NONE) {
		c->error = REL_NO_FILE;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir->path, c->file);
	err = rel_read_file(path, &data, &size, msg, sizeof(msg));
	if (!err && c->kind == REL_KIND_SEPARATE) {
		snprintf(path, sizeof(path), "%s/%s", dir->path,
			 c->sigstruct_file);
		err = rel_read_file(path, &sig, &sig_size, msg, sizeof(msg));
		if (err)
			free(data);
	}
	if (err) {
		c->error = err == -ENOENT ? REL_NO_FILE : REL_READ_ERROR;
		strfmt(c->message, sizeof(c->message), "%s%s", msg,
		       err == -ENOENT && c->kind == REL_KIND_SEPARATE ?
		       " (separate files need both the .bin and the .sigstruct)" :
		       "");
		return;
	}

	c->error = rel_convert(data, size, sig, sig_size, &c->image, msg,
			       sizeof(msg));
	if (c->image.kind != REL_KIND_NONE)
		c->kind = c->image.kind;
	if (c->error)
		strfmt(c->message, sizeof(c->message), "%s: %s",
		       rel_error_name(c->error), msg);
	else
		c->debug = c->image.debug;
	free(data);
	free(sig);
}

static bool seamldr_ok(const struct rel_entry *e, const struct rel_version *s)
{
	unsigned int i;

	for (i = 0; i < e->nr_seamldr; i++)
		if (same_line(&e->seamldr[i], s) &&
		    s->update >= e->seamldr[i].update)
			return true;
	return false;
}

static void __printf(3, 4)
set_reason(struct rel_candidate *c, enum rel_reason reason, const char *fmt,
	   ...)
{
	va_list ap;

	c->reason = reason;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/*
 * The rules, in the order they are checked; the first one broken is the
 * reason.  The file's own checks come after those of the mapping file,
 * and before the CPU list and the debug bit, which are read from it.
 */
static void evaluate(const struct rel_dir *dir, struct rel_candidate *c,
		     const struct rel_machine *m)
{
	const struct rel_entry *e = c->entry;
	char running[16];

	rel_version_str(&m->running, running, sizeof(running));
	load_candidate(dir, c);

	if (!e) {
		set_reason(c, REL_NOT_IN_MAPPING,
			   "%s is not listed in " REL_MAPPING_FILE
			   ", so nothing says whether it can update the running module",
			   c->file);
	} else if (!same_line(&c->ver, &m->running)) {
		set_reason(c, REL_OTHER_LINE,
			   "another release line (%u.%u) than the running %s: only updates within one major.minor keep the TDs",
			   c->ver.major, c->ver.minor, running);
	} else if (c->ver.update < m->running.update) {
		set_reason(c, REL_OLDER, "older than the running %s",
			   running);
	} else if (c->ver.update == m->running.update) {
		set_reason(c, REL_ALREADY_RUNNING,
			   "already running (%s): not newer", running);
	} else if (rel_version_cmp(&m->running, &e->min_td) < 0) {
		set_reason(c, REL_BELOW_MIN_TD_PRESERVING,
			   "the running %s is below its min_module_version_for_td_preserving %s",
			   running, e->min_td_preserving);
	} else if (!seamldr_ok(e, &m->seamldr)) {
		char s[16];

		rel_version_str(&m->seamldr, s, sizeof(s));
		set_reason(c, REL_SEAMLDR_TOO_OLD,
			   "the P-SEAMLDR %s is too old: it needs one of its min_seamldr_versions (%s) in the same major.minor with the same or a higher update number",
			   s, e->seamldr_text);
	} else if (c->error == REL_NO_FILE || c->error == REL_READ_ERROR) {
		c->reason = REL_FILE_MISSING;	/* message set on loading */
	} else if (c->error == REL_BAD_CHECKSUM) {
		c->reason = REL_CHECKSUM;
	} else if (c->error) {
		c->reason = REL_FORMAT;
	} else if (!rel_cpu_listed(&c->image, m->cpuid)) {
		set_reason(c, REL_CPU_NOT_LISTED,
			   "this CPU (CPUID.1.EAX 0x%08x) is not among the %u its sigstruct lists (the stepping ignored)",
			   m->cpuid, c->image.nr_cpus);
	} else if (c->image.debug && !m->allow_debug) {
		set_reason(c, REL_DEBUG,
			   "a debug module: give --debug to allow it");
	} else {
		set_reason(c, REL_LOADABLE, "loadable");
	}
}

/**
 * rel_dir_evaluate() - check every release of a directory against the
 *	rules, for one machine
 * @dir: an opened directory
 * @m: the running module's version, the P-SEAMLDR's, the CPU, --debug
 *
 * Every file is read and converted; the images of loadable releases stay
 * in memory for rel_dir_plan() until rel_dir_free().
 */
void rel_dir_evaluate(struct rel_dir *dir, const struct rel_machine *m)
{
	size_t i;

	for (i = 0; i < dir->nr_cands; i++) {
		evaluate(dir, &dir->cands[i], m);
		if (dir->cands[i].reason != REL_LOADABLE)
			rel_image_free(&dir->cands[i].image);
	}
}

static bool newer_in_line(const struct rel_candidate *c,
			  const struct rel_machine *m)
{
	return same_line(&c->ver, &m->running) &&
	       c->ver.update > m->running.update;
}

/**
 * rel_dir_plan() - the release to load
 * @dir: an evaluated directory
 * @version: the version asked for, or NULL for the newest loadable one
 * @m: the machine it was evaluated for
 * @reason: receives why there is none
 * @msg: receives the same in words
 * @msg_size: size of @msg
 *
 * Of one version, the joined file is preferred to separate files (it
 * carries a checksum).  Without a loadable release, the reason is that of
 * the newest release that would be newer than the running module; if
 * there is none, that none is newer (or of the running line at all).
 *
 * Return: the candidate, or NULL.
 */
const struct rel_candidate *rel_dir_plan(const struct rel_dir *dir,
					 const char *version,
					 const struct rel_machine *m,
					 enum rel_reason *reason, char *msg,
					 size_t msg_size)
{
	const struct rel_candidate *best = NULL, *c, *blocked = NULL;
	bool running_seen = false, older_seen = false;
	struct rel_version want;
	char running[16], line[16];
	size_t i, len = 0;

	if (version && rel_version_parse(version, &want)) {
		*reason = REL_NOT_IN_MAPPING;
		snprintf(msg, msg_size, "\"%s\" is not a version X.Y.Z",
			 version);
		return NULL;
	}
	for (i = 0; i < dir->nr_cands; i++) {
		c = &dir->cands[i];
		if (version && rel_version_cmp(&c->ver, &want))
			continue;
		/* Sorted: a later one of the same version is not joined */
		if (c->reason == REL_LOADABLE &&
		    (!best || rel_version_cmp(&c->ver, &best->ver) > 0))
			best = c;
	}
	if (best)
		return best;

	msg[0] = '\0';
	if (version) {
		for (i = 0; i < dir->nr_cands; i++) {
			c = &dir->cands[i];
			if (rel_version_cmp(&c->ver, &want))
				continue;
			if (!len)
				*reason = c->reason;
			len += snprintf(msg + len, len < msg_size ?
					msg_size - len : 0, "%s%s %s (%s): %s",
					len ? "; " : "", c->version,
					rel_kind_name(c->kind),
					*c->file ? c->file : "no file",
					c->message);
		}
		if (!len) {
			*reason = REL_NOT_IN_MAPPING;
			snprintf(msg, msg_size,
				 "%s is neither in " REL_MAPPING_FILE
				 " nor among the files of %s", version,
				 dir->path);
		}
		return NULL;
	}

	for (i = 0; i < dir->nr_cands; i++) {
		c = &dir->cands[i];
		if (newer_in_line(c, m) &&
		    (!blocked || rel_version_cmp(&c->ver, &blocked->ver) > 0))
			blocked = c;
		if (same_line(&c->ver, &m->running) &&
		    c->ver.update == m->running.update)
			running_seen = true;
		if (same_line(&c->ver, &m->running) &&
		    c->ver.update < m->running.update)
			older_seen = true;
	}
	rel_version_str(&m->running, running, sizeof(running));
	if (blocked) {
		*reason = blocked->reason;
		snprintf(msg, msg_size,
			 "the newest release newer than the running %s, %s (%s), cannot be loaded: %s",
			 running, blocked->version,
			 rel_kind_name(blocked->kind), blocked->message);
	} else if (running_seen) {
		*reason = REL_ALREADY_RUNNING;
		snprintf(msg, msg_size,
			 "nothing newer than the running %s, which is already running",
			 running);
	} else if (older_seen) {
		*reason = REL_OLDER;
		snprintf(msg, msg_size,
			 "every release of the running line is older than the running %s",
			 running);
	} else {
		*reason = REL_OTHER_LINE;
		snprintf(line, sizeof(line), "%u.%u", m->running.major,
			 m->running.minor);
		snprintf(msg, msg_size,
			 "no release of the running module's line %s in %s",
			 line, dir->path);
	}
	return NULL;
}
