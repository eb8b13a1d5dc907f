/*
 * jose.h - the gateway's own JSON Web Tokens (RFC 7519) and the JWK Set
 * that lets backends verify them (RFC 7517), over libcjose and jansson.
 * Pure functions: no clock, no I/O but reading the key file.
 *
 * The identity JWT carries the session's user to the backend in one signed
 * header field, for backends that would rather verify a signature than
 * trust a plain X-Remote-User.
 */
#ifndef SG_JOSE_H
#define SG_JOSE_H

#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/* The gateway's signing key: EC P-256 (ES256) or RSA of 2048 bits or more
 * (RS256); its kid is the RFC 7638 thumbprint of the public key. */
struct sg_jose_key;

/* Reads a PEM private key.  NULL with a message in errs. */
struct sg_jose_key *sg_jose_key_load(const char *path, struct sg_errlist *errs);
void sg_jose_key_free(struct sg_jose_key *k);
/* "ES256" or "RS256". */
const char *sg_jose_key_alg(const struct sg_jose_key *k);

struct sg_jose_identity {
	const char *iss;   /* the gateway: the app's external URL + prefix */
	const char *aud;   /* the app's external URL */
	const char *sub;   /* the user id */
	const char *email; /* may be NULL: the claim is left out */
	const char *name;  /* may be NULL */
	const char *const *groups;
	size_t ngroups;
	int64_t iat, exp;
};

/* A compact JWS (header.payload.signature) of id's claims, in a; NULL if
 * signing failed.  Safe to call from several threads on one key. */
const char *sg_jose_identity_jwt(const struct sg_jose_key *k, const struct sg_jose_identity *id,
                                 struct sg_arena *a);
/* The JWK Set document with k's public key (kid, use "sig", alg), in a. */
const char *sg_jose_jwks(const struct sg_jose_key *k, struct sg_arena *a);

#endif
