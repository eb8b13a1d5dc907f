/*
 * pipeline.h - the data path of a request, as hooks for net/.
 */
#ifndef SG_PIPELINE_H
#define SG_PIPELINE_H

#include <stdio.h>

#include "net.h"

/* The hooks that route, authorize and rewrite every request and response. */
const struct sg_net_hooks *sg_pipeline_hooks(void);

/* Builds what the hooks share: the session store, the keys derived from
 * session_key_file, the identity JWT key; reads the state file back (after
 * the privilege drop, so that the daemon's user owns what it writes).
 * 0, or -1 with errs. */
int sg_pipeline_init(const struct sg_conf *c, struct sg_errlist *errs);
/* What `ssogw -t` adds to the configuration check: the key files hold
 * usable keys.  0, or -1 with errs. */
int sg_pipeline_check(const struct sg_conf *c, struct sg_errlist *errs);
/* Takes what a reloaded snapshot may change without a restart (store
 * limits, the JWT key); names in the log what needs a restart. */
void sg_pipeline_reload(const struct sg_conf *old, const struct sg_conf *c);
/* Housekeeping every few seconds (the memory store's sweep). */
void sg_pipeline_tick(void);
/* Starts what runs on the main thread's loop base (the SAML IdPs'
 * metadata fetches and refreshes), once the loop exists.  0, or -1
 * (logged). */
int sg_pipeline_start_fetches(struct event_base *base);
/* Prints the SAML SP's values for [app name] (entity ID, ACS, sign-on,
 * logout and metadata URLs) as an admin enters them at the IdP.  0, or -1
 * when there is no such app. */
int sg_pipeline_sp_info(const struct sg_conf *c, const char *name, FILE *out);
/* Sets up the SAML library for a command-line tool (the daemon does it in
 * sg_pipeline_init).  0, or -1 with errs. */
int sg_pipeline_saml_init(struct sg_errlist *errs);
/* `ssogw --check-saml-response`: validates the base64 SAMLResponse in the
 * file at path exactly as the ACS of [app app_name] (or of the first app
 * using [idp idp_name]) would at now, printing every check and the
 * identity it yields.  request_id: our AuthnRequest's ID, or NULL for an
 * unsolicited Response.  0 when it is valid. */
int sg_pipeline_check_saml_response(const struct sg_conf *c, const char *idp_name,
                                    const char *app_name, const char *path, int64_t now,
                                    const char *request_id, FILE *out);
/* At exit, once the workers have stopped: writes the state file. */
void sg_pipeline_shutdown(const struct sg_conf *c);

#endif
