/*
 * saml_parse.c - untrusted bytes to a tree, with every door shut: base64 as
 * the HTTP-POST binding carries it (SAML bindings 3.5.4), the size bounded
 * before parsing, libxml2 with the network off, entities not substituted,
 * no DTD loaded, and any document that has a DOCTYPE at all stopped the
 * moment the parser sees it (XXE, billion laughs: SAML never needs a DTD).
 * Then the tree is walked once for its depth, its node count, node kinds
 * that have no place in SAML, and its ID attributes: the Response's and the
 * Assertion's ID are registered by us (no DTD or schema says which
 * attributes are IDs), and a value used twice anywhere is refused, so that
 * "#ID" in a signature names one element and no other.
 *
 * Also the tree helpers and the xs:dateTime parser of the checks.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/valid.h>

#include "saml_int.h"

#define SAML_TEXT_MAX 65536

/* The value of a base64 character, or -1. */
static int
saml_b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int
saml_base64_decode(const char *s, size_t n, size_t max, struct sg_buf *out)
{
	unsigned char q[4] = { 0 }, b[3];
	size_t i, nq = 0, pad = 0;
	int v;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		v = saml_b64_value(ch);
		if (v < 0 || pad > 0)
			return -1;
		q[nq++] = (unsigned char)v;
		if (nq == 4) {
			if (out->len + 3 > max)
				return -2;
			b[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
			b[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
			b[2] = (unsigned char)(q[2] << 6 | q[3]);
			sg_buf_append(out, b, 3);
			nq = 0;
		}
	}
	if (pad == 0)
		return nq == 0 ? 0 : -1;
	/* "xx==" or "xxx=": padding completes the last quantum. */
	if (nq < 2 || nq + pad != 4)
		return -1;
	if (out->len + nq - 1 > max)
		return -2;
	b[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
	b[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
	sg_buf_append(out, b, nq - 1);
	return 0;
}

/* The parser's state for the SAX hooks below. */
struct saml_parse_state {
	bool dtd;
};

/* A DOCTYPE (internal or external subset): stop at once, before any
 * declaration in it is read. */
static void
saml_sax_subset(void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct saml_parse_state *st = ctxt->_private;

	(void)name;
	(void)eid;
	(void)sid;
	st->dtd = true;
	xmlStopParser(ctxt);
}

/* An entity declaration (cannot happen without a DTD; belt and braces). */
static void
saml_sax_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pid, const xmlChar *sid,
                xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct saml_parse_state *st = ctxt->_private;

	(void)name;
	(void)type;
	(void)pid;
	(void)sid;
	(void)content;
	st->dtd = true;
	xmlStopParser(ctxt);
}

int
saml_parse(struct saml_ctx *c, const char *xml, size_t len)
{
	struct saml_parse_state st = { false };
	xmlParserCtxtPtr ctxt;
	int ok;

	if (len > (size_t)INT32_MAX)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML is too large");
	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt == NULL)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML parser cannot start");
	/* No NOENT (no substitution), no DTDLOAD/DTDATTR/DTDVALID, no HUGE. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOWARNING);
	ctxt->_private = &st;
	ctxt->sax->internalSubset = saml_sax_subset;
	ctxt->sax->externalSubset = saml_sax_subset;
	ctxt->sax->entityDecl = saml_sax_entity;
	ctxt->sax->resolveEntity = NULL;
	xmlParseDocument(ctxt);
	ok = ctxt->wellFormed && !st.dtd && ctxt->myDoc != NULL;
	c->doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	if (st.dtd)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT,
		                 "the XML has a DOCTYPE (DTDs and entities are refused)");
	if (!ok)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML is not well-formed: %s",
		                 saml_errors_last());
	if (c->doc->intSubset != NULL || c->doc->extSubset != NULL)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML has a DTD");
	return 0;
}

/* True for the attributes that are IDs in SAML, XML Signature/Encryption
 * and xml:id. */
static bool
saml_is_id_attr(const xmlAttr *a)
{
	const char *name = (const char *)a->name;

	if (a->ns == NULL)
		return strcmp(name, "ID") == 0 || strcmp(name, "Id") == 0 ||
		       strcmp(name, "id") == 0;
	return strcmp(name, "id") == 0 && a->ns->href != NULL &&
	       xmlStrEqual(a->ns->href, XML_XML_NAMESPACE);
}

/* Records the ID-like attributes of element n; registers the ID of a
 * Response or an Assertion for "#ID" references. */
static int
saml_element_ids(struct saml_ctx *c, xmlNodePtr n)
{
	xmlAttrPtr a;
	xmlChar *v;
	bool reg;

	reg = saml_is(n, SG_SAML_NS_PROTOCOL, "Response") ||
	      saml_is(n, SG_SAML_NS_ASSERTION, "Assertion");
	for (a = n->properties; a != NULL; a = a->next) {
		if (!saml_is_id_attr(a))
			continue;
		v = xmlNodeListGetString(c->doc, a->children, 1);
		if (v == NULL || v[0] == '\0' || xmlHashAddEntry(c->ids, v, c) < 0) {
			xmlFree(v);
			/* "#ID" would name two elements: a wrapping attempt. */
			return saml_fail(c, "structure", SG_SAML_ERR_SIGNATURE,
			                 "an ID attribute is empty or its value is used twice");
		}
		if (reg && a->ns == NULL && strcmp((const char *)a->name, "ID") == 0 &&
		    xmlGetID(c->doc, v) == NULL && xmlAddID(NULL, c->doc, v, a) == NULL) {
			xmlFree(v);
			return saml_fail(c, "parse", SG_SAML_ERR_INPUT,
			                 "an ID cannot be registered");
		}
		xmlFree(v);
	}
	return 0;
}

int
saml_tree_check(struct saml_ctx *c, xmlNodePtr n, int depth)
{
	xmlNodePtr k;

	if (n == NULL)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML has no root element");
	if (depth > SG_SAML_MAX_DEPTH)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML is nested too deeply");
	if (++c->nodes > SG_SAML_MAX_NODES)
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT, "the XML has too many nodes");
	switch (n->type) {
	case XML_ELEMENT_NODE:
		if (saml_element_ids(c, n) < 0)
			return -1;
		for (k = n->children; k != NULL; k = k->next)
			if (saml_tree_check(c, k, depth + 1) < 0)
				return -1;
		return 0;
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	default:
		/* Entity references, DTD nodes, XInclude markers... */
		return saml_fail(c, "parse", SG_SAML_ERR_INPUT,
		                 "the XML has a node of a kind SAML does not use");
	}
}

/* Reads exactly n digits at *p into *v. */
static bool
saml_digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

int
saml_time_parse(const char *s, int64_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int y, mo, d, h, mi, sec, dim;
	struct tm tm;
	time_t t;

	if (s == NULL || !saml_digits(&p, 4, &y) || *p++ != '-' || !saml_digits(&p, 2, &mo) ||
	    *p++ != '-' || !saml_digits(&p, 2, &d) || *p++ != 'T' || !saml_digits(&p, 2, &h) ||
	    *p++ != ':' || !saml_digits(&p, 2, &mi) || *p++ != ':' || !saml_digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		size_t nd = 0;

		for (p++; isdigit((unsigned char)*p); p++)
			nd++;
		if (nd == 0 || nd > 12)
			return -1;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return -1;
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

bool
saml_is(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       xmlStrEqual(n->ns->href, (const xmlChar *)ns) &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

xmlNodePtr
saml_next_el(xmlNodePtr n)
{
	for (n = n != NULL ? n->next : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

xmlNodePtr
saml_first_el(xmlNodePtr parent)
{
	xmlNodePtr n;

	for (n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

xmlNodePtr
saml_child(xmlNodePtr parent, const char *ns, const char *name)
{
	xmlNodePtr n;

	for (n = saml_first_el(parent); n != NULL; n = saml_next_el(n))
		if (saml_is(n, ns, name))
			return n;
	return NULL;
}

size_t
saml_count_children(xmlNodePtr parent, const char *ns, const char *name)
{
	xmlNodePtr n;
	size_t count = 0;

	for (n = saml_first_el(parent); n != NULL; n = saml_next_el(n))
		if (saml_is(n, ns, name))
			count++;
	return count;
}

const char *
saml_attr(struct saml_ctx *c, xmlNodePtr n, const char *name)
{
	xmlChar *v;
	const char *s;

	if (n == NULL)
		return NULL;
	v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (v == NULL)
		return NULL;
	s = sg_arena_strdup(c->a, (const char *)v);
	xmlFree(v);
	return s;
}

const char *
saml_text(struct saml_ctx *c, xmlNodePtr n)
{
	struct sg_buf b = { 0 };
	xmlNodePtr k;
	const char *s;

	for (k = n->children; k != NULL; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			sg_buf_free(&b);
			return NULL;
		}
		/* Comments and PIs are skipped: they cannot cut the text. */
		if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) &&
		    k->content != NULL)
			sg_buf_puts(&b, (const char *)k->content);
		if (b.len > SAML_TEXT_MAX) {
			sg_buf_free(&b);
			return NULL;
		}
	}
	s = sg_arena_strndup(c->a, b.data != NULL ? b.data : "", b.len);
	sg_buf_free(&b);
	return s;
}

/*
 * Appends s XML-escaped so that it is safe both as element text and inside
 * a double- or single-quoted attribute (XML 1.0 2.4, 3.3.3: tab, CR and LF
 * as character references so attribute normalization keeps them).  Another
 * control character, which XML 1.0 cannot carry at all, is left out, and
 * the result is -1 so that a caller can refuse the value instead.
 */
int
saml_xml_escape(struct sg_buf *out, const char *s)
{
	int rc = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '&':
			sg_buf_puts(out, "&amp;");
			break;
		case '<':
			sg_buf_puts(out, "&lt;");
			break;
		case '>':
			sg_buf_puts(out, "&gt;");
			break;
		case '"':
			sg_buf_puts(out, "&quot;");
			break;
		case '\'':
			sg_buf_puts(out, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			sg_buf_printf(out, "&#%u;", ch);
			break;
		default:
			if (ch < 0x20)
				rc = -1;
			else
				sg_buf_append(out, s, 1);
		}
	}
	return rc;
}
