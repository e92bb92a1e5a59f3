/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict JSON reader (RFC 8259) for tdx-module-update: enough for
 * Intel's mapping_file.json, and nothing is guessed.  Objects, arrays,
 * strings, numbers, true, false and null; anything else, trailing commas,
 * comments, invalid UTF-8, lone surrogates, duplicate keys and text after
 * the value are errors, reported with their line and column.
 */
#ifndef _TDX_JSON_H
#define _TDX_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* Deeper nesting is refused: the reader recurses */
#define JSON_MAX_DEPTH	64

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/**
 * struct json_value - one parsed value
 * @type: what it is
 * @line: where it starts in the text, from 1
 * @column: where it starts in its line, in bytes, from 1
 * @text: JSON_STRING: the decoded UTF-8, NUL-terminated (a \u0000 escape
 *	is refused, so it holds no NUL); JSON_NUMBER: the number as written
 * @count: JSON_ARRAY, JSON_OBJECT: the number of elements or members
 * @keys: JSON_OBJECT: the member names, decoded, in the order of the text
 * @items: JSON_ARRAY: the elements; JSON_OBJECT: the member values
 */
struct json_value {
	enum json_type type;
	unsigned int line;
	unsigned int column;
	char *text;
	size_t count;
	char **keys;
	struct json_value **items;
};

struct json_value *json_parse(const char *text, size_t len, char *err,
			      size_t err_size);
void json_free(struct json_value *v);
const struct json_value *json_get(const struct json_value *obj,
				  const char *key);
const char *json_type_name(enum json_type type);

#endif /* _TDX_JSON_H */
