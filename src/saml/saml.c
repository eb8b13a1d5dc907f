/*
 * saml.c - process-wide setup of libxml2 and xmlsec1 for the SAML module,
 * and the plumbing every validation shares: libxml2's and xmlsec's error
 * messages are caught into the calling thread's buffer (never printed; the
 * caller decides what to log), the external entity loader refuses every
 * load (no file or network access from XML, whatever the parser options),
 * and checks are reported to the troubleshooting callback.
 *
 * libxml2 2.9 keeps its error handlers per thread, with defaults that new
 * threads copy (the xmlThrDef* setters); xmlsec keeps one callback for the
 * process, which reads the thread-local buffer.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

#include "saml_int.h"

static _Thread_local char *saml_errbuf;
static _Thread_local size_t saml_errlen;
static pthread_once_t saml_once = PTHREAD_ONCE_INIT;
static int saml_init_rc = -1;
static char saml_init_why[200];

/* Stores msg as the thread's last error message (if it is collecting). */
static void
saml_errors_put(const char *msg)
{
	size_t n;

	if (saml_errbuf == NULL || saml_errlen == 0)
		return;
	snprintf(saml_errbuf, saml_errlen, "%s", msg);
	/* Drop the trailing newline libxml2 puts on its messages. */
	n = strlen(saml_errbuf);
	while (n > 0 && (saml_errbuf[n - 1] == '\n' || saml_errbuf[n - 1] == ' '))
		saml_errbuf[--n] = '\0';
}

/* libxml2's structured error handler: keep the message, print nothing. */
static void
saml_xml_structured_error(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e != NULL && e->message != NULL && e->level >= XML_ERR_ERROR)
		saml_errors_put(e->message);
}

/* libxml2's generic error handler: dropped (the structured one has it). */
static void
saml_xml_generic_error(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* xmlsec's error callback: one line, no location (it means nothing to an
 * admin), into the thread's buffer. */
static void
saml_xmlsec_error(const char *file, int line, const char *func, const char *obj, const char *subj,
                  int reason, const char *msg)
{
	char tmp[200];

	(void)file;
	(void)line;
	(void)obj;
	(void)reason;
	snprintf(tmp, sizeof(tmp), "%s: %s%s%s", func != NULL ? func : "xmlsec",
	         subj != NULL ? subj : "", subj != NULL && msg != NULL ? " " : "",
	         msg != NULL ? msg : "");
	saml_errors_put(tmp);
}

/* Refuses every external entity, DTD or XInclude load. */
static xmlParserInputPtr
saml_no_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

void
saml_errors_begin(char *buf, size_t n)
{
	saml_errbuf = buf;
	saml_errlen = n;
	if (n > 0)
		buf[0] = '\0';
	/* Per thread in libxml2 2.9: a worker thread needs its own. */
	xmlSetStructuredErrorFunc(NULL, saml_xml_structured_error);
	xmlSetGenericErrorFunc(NULL, saml_xml_generic_error);
}

void
saml_errors_end(void)
{
	saml_errbuf = NULL;
	saml_errlen = 0;
}

const char *
saml_errors_last(void)
{
	return saml_errbuf != NULL ? saml_errbuf : "";
}

/* The once-only body of sg_saml_init. */
static void
saml_init_once(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(saml_no_entity_loader);
	xmlThrDefSetStructuredErrorFunc(NULL, saml_xml_structured_error);
	xmlThrDefSetGenericErrorFunc(NULL, saml_xml_generic_error);
	xmlSetStructuredErrorFunc(NULL, saml_xml_structured_error);
	xmlSetGenericErrorFunc(NULL, saml_xml_generic_error);
	xmlSecErrorsSetCallback(saml_xmlsec_error);
	if (xmlSecInit() < 0) {
		snprintf(saml_init_why, sizeof(saml_init_why), "xmlsec initialisation failed");
		return;
	}
	if (xmlSecCheckVersion() != 1) {
		snprintf(saml_init_why, sizeof(saml_init_why),
		         "xmlsec library version is not compatible with the one built against");
		return;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		snprintf(saml_init_why, sizeof(saml_init_why),
		         "xmlsec crypto (OpenSSL) initialisation failed");
		return;
	}
	saml_init_rc = 0;
}

int
sg_saml_init(struct sg_errlist *errs)
{
	pthread_once(&saml_once, saml_init_once);
	if (saml_init_rc != 0) {
		sg_errlist_add(errs, "saml: %s", saml_init_why);
		return -1;
	}
	return 0;
}

void
sg_saml_shutdown(void)
{
	if (saml_init_rc != 0)
		return;
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
	saml_init_rc = -1;
}

/* Formats and hands one check to the callback. */
static void
saml_report(struct saml_ctx *c, const char *check, bool passed, const char *detail)
{
	if (c->check != NULL)
		c->check(c->check_arg, check, passed, detail);
}

void
saml_pass(struct saml_ctx *c, const char *check, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	if (c->check == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	saml_report(c, check, true, detail);
}

int
saml_fail(struct saml_ctx *c, const char *check, int code, const char *fmt, ...)
{
	va_list ap;

	c->err->code = code;
	va_start(ap, fmt);
	vsnprintf(c->err->detail, sizeof(c->err->detail), fmt, ap);
	va_end(ap);
	saml_report(c, check, false, c->err->detail);
	return -1;
}
