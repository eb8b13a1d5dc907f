/*
 * gate_int.h - internals shared by the files of gate/.
 */
#ifndef SG_GATE_INT_H
#define SG_GATE_INT_H

#include "gate.h"

/* rewrite.c: compares a field name with pattern case-insensitively, '_'
 * taken as '-' (X_Remote_User is X-Remote-User to many backends): the
 * whole name, or with prefix only its start. */
bool gate_field_match(const char *name, const char *pattern, bool prefix);

#endif
