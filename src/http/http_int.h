/*
 * http_int.h - internals shared by the files of src/http/.
 */
#ifndef SG_HTTP_INT_H
#define SG_HTTP_INT_H

#include "http.h"

/* headscan.c: checks one complete field line (no CRLF) against RFC 9112 5:
 * 0, or -1 with err->code 400. */
int http_check_field_line(const char *line, size_t n, struct sg_err *err);

#endif
