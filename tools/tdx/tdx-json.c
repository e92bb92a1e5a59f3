// SPDX-License-Identifier: GPL-2.0
/*
 * A small, strict JSON reader (RFC 8259), see tdx-json.h.
 *
 * Recursive descent over the whole text held in memory.  The first error
 * ends the parse; its message names the line and column (in bytes) where
 * the reader gave up, and what it expected there.  A UTF-8 byte order mark
 * at the very start is skipped, as RFC 8259 allows.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx-json.h"

#define __printf(a, b)		__attribute__(\
				(format(printf, a, b)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct parser {
	const unsigned char *p;
	const unsigned char *end;
	const unsigned char *line_start;
	unsigned int line;
	char *err;
	size_t err_size;
	bool failed;
};

/* A growing buffer for the decoded text of a string */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

const char *json_type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
	case JSON_TRUE:
		return "a boolean";
	case JSON_NUMBER:
		return "a number";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "unknown";
}

static void *fail(struct parser *ps, const char *fmt, ...) __printf(2, 3);

/* Record the first error, at the current position; returns NULL */
static void *fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (ps->failed)
		return NULL;
	ps->failed = true;
	len = snprintf(ps->err, ps->err_size, "line %u, column %u: ",
		       ps->line, (unsigned int)(ps->p - ps->line_start) + 1);
	if (len < 0 || (size_t)len >= ps->err_size)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(ps->err + len, ps->err_size - len, fmt, ap);
	va_end(ap);
	return NULL;
}

/* What is at the current position, for messages */
static const char *here(struct parser *ps, char *buf, size_t size)
{
	if (ps->p >= ps->end)
		return "the end of the input";
	if (*ps->p >= 0x21 && *ps->p <= 0x7e)
		snprintf(buf, size, "'%c'", *ps->p);
	else
		snprintf(buf, size, "byte 0x%02x", *ps->p);
	return buf;
}

static void skip_ws(struct parser *ps)
{
	for (; ps->p < ps->end; ps->p++) {
		if (*ps->p == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (*ps->p != ' ' && *ps->p != '\t' && *ps->p != '\r') {
			return;
		}
	}
}

static struct json_value *new_value(struct parser *ps, enum json_type type)
{
	struct json_value *v = calloc(1, sizeof(*v));

	if (!v)
		return fail(ps, "out of memory");
	v->type = type;
	v->line = ps->line;
	v->column = (unsigned int)(ps->p - ps->line_start) + 1;
	return v;
}

void json_free(struct json_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->count; i++) {
		if (v->keys)
			free(v->keys[i]);
		json_free(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->text);
	free(v);
}

const struct json_value *json_get(const struct json_value *obj,
				  const char *key)
{
	size_t i;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->count; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

static bool sb_add(struct strbuf *sb, const char *s, size_t len)
{
	char *p;
	size_t cap;

	if (sb->len + len + 1 > sb->cap) {
		cap = sb->cap ? sb->cap * 2 : 32;
		while (cap < sb->len + len + 1)
			cap *= 2;
		p = realloc(sb->buf, cap);
		if (!p)
			return false;
		sb->buf = p;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return true;
}

/* Append code point @cp as UTF-8 */
static bool sb_add_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = 0xc0 | (cp >> 6);
		b[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = 0xe0 | (cp >> 12);
		b[1] = 0x80 | ((cp >> 6) & 0x3f);
		b[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		b[0] = 0xf0 | (cp >> 18);
		b[1] = 0x80 | ((cp >> 12) & 0x3f);
		b[2] = 0x80 | ((cp >> 6) & 0x3f);
		b[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	return sb_add(sb, b, n);
}

/*
 * Length of the well-formed UTF-8 sequence at @p (at most @avail bytes),
 * or 0: no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	/* The first continuation byte has the narrower range */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Four hex digits after "\u"; -1 if they are not */
static long hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The escape after a backslash at ps->p; appends it, false on error */
static bool parse_escape(struct parser *ps, struct strbuf *sb)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	long cp, lo;

	ps->p++;		/* the backslash */
	if (ps->p >= ps->end) {
		fail(ps, "unterminated string");
		return false;
	}
	if (*ps->p != 'u') {
		e = *ps->p ? strchr(from, *ps->p) : NULL;
		if (!e) {
			fail(ps, "invalid escape '\\%c' in a string",
			     *ps->p >= 0x21 && *ps->p <= 0x7e ? *ps->p : '?');
			return false;
		}
		ps->p++;
		if (!sb_add(sb, &to[e - from], 1)) {
			fail(ps, "out of memory");
			return false;
		}
		return true;
	}

	cp = hex4(ps->p + 1, ps->end);
	if (cp < 0) {
		fail(ps, "'\\u' needs four hex digits");
		return false;
	}
	if (cp == 0) {
		fail(ps, "'\\u0000' (a NUL character) is not supported");
		return false;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail(ps, "'\\u%04lx' is a lone low surrogate", cp);
		return false;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* "\uHHHH" at ps->p, then "\uLLLL" */
		lo = -1;
		if (ps->end - ps->p >= 7 && ps->p[5] == '\\' && ps->p[6] == 'u')
			lo = hex4(ps->p + 7, ps->end);
		if (lo < 0xdc00 || lo > 0xdfff) {
			fail(ps, "'\\u%04lx' is a high surrogate without its low surrogate",
			     cp);
			return false;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		ps->p += 6;
	}
	ps->p += 5;
	if (!sb_add_utf8(sb, cp)) {
		fail(ps, "out of memory");
		return false;
	}
	return true;
}

/* The string at ps->p (at its opening quote), decoded; NULL on error */
static char *parse_string(struct parser *ps)
{
	struct strbuf sb = { NULL, 0, 0 };
	const unsigned char *run;
	size_t n;

	ps->p++;		/* the opening quote */
	if (!sb_add(&sb, "", 0))
		return fail(ps, "out of memory");
	for (;;) {
		/* A run of plain ASCII is copied at once */
		run = ps->p;
		while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 &&
		       *ps->p != '"' && *ps->p != '\\')
			ps->p++;
		if (ps->p > run && !sb_add(&sb, (const char *)run, ps->p - run))
			goto oom;

		if (ps->p >= ps->end) {
			fail(ps, "unterminated string");
			goto err;
		}
		if (*ps->p == '"') {
			ps->p++;
			return sb.buf;
		}
		if (*ps->p == '\\') {
			if (!parse_escape(ps, &sb))
				goto err;
			continue;
		}
		if (*ps->p < 0x20) {
			fail(ps, "control character 0x%02x in a string (write it as an escape)",
			     *ps->p);
			goto err;
		}
		n = utf8_len(ps->p, ps->end - ps->p);
		if (!n) {
			fail(ps, "invalid UTF-8 in a string");
			goto err;
		}
		if (!sb_add(&sb, (const char *)ps->p, n))
			goto oom;
		ps->p += n;
	}
oom:
	fail(ps, "out of memory");
err:
	free(sb.buf);
	return NULL;
}

static bool is_digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static struct json_value *parse_number(struct parser *ps)
{
	const unsigned char *start = ps->p;
	struct json_value *v;

	v = new_value(ps, JSON_NUMBER);
	if (!v)
		return NULL;
	if (*ps->p == '-')
		ps->p++;
	if (!is_digit(ps)) {
		fail(ps, "expected a digit after '-'");
		goto err;
	}
	if (*ps->p == '0') {
		ps->p++;
		if (is_digit(ps)) {
			fail(ps, "a number may not have a leading zero");
			goto err;
		}
	} else {
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!is_digit(ps)) {
			fail(ps, "expected a digit after '.'");
			goto err;
		}
		while (is_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!is_digit(ps)) {
			fail(ps, "expected a digit in the exponent");
			goto err;
		}
		while (is_digit(ps))
			ps->p++;
	}
	v->text = strndup((const char *)start, ps->p - start);
	if (!v->text) {
		fail(ps, "out of memory");
		goto err;
	}
	return v;
err:
	json_free(v);
	return NULL;
}

static struct json_value *parse_literal(struct parser *ps)
{
	static const struct {
		const char *word;
		enum json_type type;
	} words[] = {
		{ "true", JSON_TRUE },
		{ "false", JSON_FALSE },
		{ "null", JSON_NULL },
	};
	const unsigned char *start = ps->p;
	struct json_value *v;
	size_t i, len;

	while (ps->p < ps->end && ((*ps->p >= 'a' && *ps->p <= 'z') ||
				   (*ps->p >= 'A' && *ps->p <= 'Z')))
		ps->p++;
	len = ps->p - start;
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (len == strlen(words[i].word) &&
		    !memcmp(start, words[i].word, len)) {
			ps->p = start;
			v = new_value(ps, words[i].type);
			ps->p = start + len;
			return v;
		}
	}
	ps->p = start;
	return fail(ps, "invalid literal '%.*s' (only true, false and null)",
		    (int)(len > 16 ? 16 : len), (const char *)start);
}

static struct json_value *parse_value(struct parser *ps, unsigned int depth);

/* Add @item (and @key for an object) to @v; false on error */
static bool add_member(struct parser *ps, struct json_value *v, char *key,
		       struct json_value *item)
{
	struct json_value **items;
	char **keys;

	items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items)
		goto oom;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = realloc(v->keys, (v->count + 1) * sizeof(*keys));
		if (!keys)
			goto oom;
		v->keys = keys;
		v->keys[v->count] = key;
	}
	v->items[v->count++] = item;
	return true;
oom:
	fail(ps, "out of memory");
	return false;
}

/* An array or object; ps->p is at its opening bracket */
static struct json_value *parse_container(struct parser *ps,
					  unsigned int depth)
{
	bool object = *ps->p == '{';
	char close = object ? '}' : ']';
	struct json_value *v, *item = NULL;
	unsigned int kline, kcol;
	char *key = NULL, what[16];
	const unsigned char *kpos;
	size_t i;

	v = new_value(ps, object ? JSON_OBJECT : JSON_ARRAY);
	if (!v)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return v;
	}
	for (;;) {
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name in double quotes, not %s",
				     here(ps, what, sizeof(what)));
				goto err;
			}
			kline = ps->line;
			kpos = ps->p;
			kcol = (unsigned int)(ps->p - ps->line_start) + 1;
			key = parse_string(ps);
			if (!key)
				goto err;
			for (i = 0; i < v->count; i++) {
				if (strcmp(v->keys[i], key))
					continue;
				ps->p = kpos;
				ps->line = kline;
				ps->line_start = kpos - (kcol - 1);
				fail(ps, "duplicate member name \"%s\"", key);
				goto err;
			}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "expected ':' after the member name, not %s",
				     here(ps, what, sizeof(what)));
				goto err;
			}
			ps->p++;
		}
		item = parse_value(ps, depth + 1);
		if (!item)
			goto err;
		if (!add_member(ps, v, key, item))
			goto err;
		key = NULL;
		item = NULL;

		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return v;
		}
		if (ps->p >= ps->end || *ps->p != ',') {
			fail(ps, "expected ',' or '%c' %s, not %s", close,
			     object ? "after an object member" :
				      "after an array element",
			     here(ps, what, sizeof(what)));
			goto err;
		}
		ps->p++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == close) {
			fail(ps, "trailing comma before '%c'", close);
			goto err;
		}
	}
err:
	free(key);
	json_free(item);
	json_free(v);
	return NULL;
}

static struct json_value *parse_value(struct parser *ps, unsigned int depth)
{
	struct json_value *v;
	char what[16];

	if (depth > JSON_MAX_DEPTH)
		return fail(ps, "nested deeper than %d levels", JSON_MAX_DEPTH);
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of the input, expected a value");

	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, depth);
	case '"':
		v = new_value(ps, JSON_STRING);
		if (!v)
			return NULL;
		v->text = parse_string(ps);
		if (!v->text) {
			json_free(v);
			return NULL;
		}
		return v;
	case '-':
	case '0' ... '9':
		return parse_number(ps);
	case 'a' ... 'z':
	case 'A' ... 'Z':
		return parse_literal(ps);
	default:
		return fail(ps, "expected a value, not %s",
			    here(ps, what, sizeof(what)));
	}
}

/**
 * json_parse() - parse one JSON text
 * @text: the text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @err: receives the message on error: "line L, column C: what"
 * @err_size: size of @err
 *
 * Return: the value, to be freed with json_free(), or NULL on error.
 */
struct json_value *json_parse(const char *text, size_t len, char *err,
			      size_t err_size)
{
	struct parser ps = {
		.p = (const unsigned char *)text,
		.end = (const unsigned char *)text + len,
		.line_start = (const unsigned char *)text,
		.line = 1,
		.err = err,
		.err_size = err_size,
	};
	struct json_value *v;
	char what[16];

	if (err_size)
		err[0] = '\0';
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		ps.p += 3;
		ps.line_start = ps.p;
	}
	skip_ws(&ps);
	if (ps.p >= ps.end)
		return fail(&ps, "no JSON value: the input is empty");
	v = parse_value(&ps, 1);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		json_free(v);
		return fail(&ps, "unexpected %s after the JSON value",
			    here(&ps, what, sizeof(what)));
	}
	return v;
}
