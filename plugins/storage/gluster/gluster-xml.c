/* Parsing `gluster --mode=script --xml` output; see gluster-xml.h.
 * Facts: shared/reference/provider-apis.md §2 and the fixtures recorded
 * from glusterd 10.3 in tests/fixtures/gluster/. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "gluster-xml.h"

/* The CLI's answers are a few KiB; a volume with thousands of bricks is
 * still far below this.  Anything larger is not an answer we trust. */
#define GX_MAX_INPUT (8u << 20)

static char *xstrdup(const char *s) { return strdup(s ? s : ""); }

/* Text a daemon printed ends up in log lines and messages: control bytes
 * would let it forge lines, so they become spaces; surrounding blanks go. */
static char *clean_text(const char *s)
{
	size_t len, start = 0;
	char *out;

	if (!s)
		s = "";
	len = strlen(s);
	while (start < len && isspace((unsigned char)s[start]))
		start++;
	while (len > start && isspace((unsigned char)s[len - 1]))
		len--;
	out = malloc(len - start + 1);
	if (!out)
		return NULL;
	for (size_t i = start; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i - start] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	out[len - start] = '\0';
	return out;
}

/* The first line of a non-XML answer, short enough for a message. */
static char *first_line(const char *text, size_t len)
{
	size_t i = 0, n;
	char *tmp, *out;

	while (i < len && isspace((unsigned char)text[i]))
		i++;
	for (n = 0; i + n < len && text[i + n] != '\n' && text[i + n] != '\0' && n < 200; n++)
		;
	tmp = strndup(text + i, n);
	if (!tmp)
		return NULL;
	out = clean_text(tmp);
	free(tmp);
	return out;
}

static int is_elem(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *child(const xmlNode *n, const char *name)
{
	if (!n)
		return NULL;
	for (xmlNode *c = n->children; c; c = c->next)
		if (is_elem(c, name))
			return c;
	return NULL;
}

/* Text content of an element (all descendants), cleaned; "" for NULL. */
static char *text_of(const xmlNode *n)
{
	xmlChar *t;
	char *out;

	if (!n)
		return xstrdup("");
	t = xmlNodeGetContent(n);
	out = clean_text((const char *)t);
	xmlFree(t);
	return out;
}

/* A whole decimal number, nothing else. */
static int int_of(const xmlNode *n, int *out)
{
	char *t, *end;
	long v;
	int r = -EINVAL;

	if (!n)
		return -ENOENT;
	t = text_of(n);
	if (!t)
		return -ENOMEM;
	errno = 0;
	v = strtol(t, &end, 10);
	if (*t && *end == '\0' && errno == 0 && v >= INT_MIN && v <= INT_MAX) {
		*out = (int)v;
		r = 0;
	}
	free(t);
	return r;
}

static int int_or(const xmlNode *n, const char *name, int dflt, int *out)
{
	xmlNode *c = child(n, name);
	if (!c) {
		*out = dflt;
		return 0;
	}
	return int_of(c, out);
}

static void set_err(char **err, const char *msg)
{
	if (err) {
		free(*err);
		*err = strdup(msg);
	}
}

/* Parse the document and the envelope.  *docp is left for the payload
 * parsers; the caller frees it. */
static int parse_doc(const char *text, size_t len, xmlDoc **docp, struct gx_result *res, char **err)
{
	size_t i = 0;
	xmlDoc *doc;
	xmlNode *root;

	memset(res, 0, sizeof *res);
	*docp = NULL;
	if (err)
		*err = NULL;
	if (!text)
		len = 0;
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i == len) {
		set_err(err, "the gluster command printed nothing");
		return GX_NOT_XML;
	}
	if (text[i] != '<') {
		/* cli/src/cli.c prints this when glusterd's socket does not answer. */
		static const char nogd[] = "Connection failed";
		if (len - i >= sizeof nogd - 1 && memcmp(text + i, nogd, sizeof nogd - 1) == 0) {
			if (err)
				*err = first_line(text, len);
			return GX_NO_GLUSTERD;
		}
		if (err)
			*err = first_line(text, len);
		return GX_NOT_XML;
	}
	if (len > GX_MAX_INPUT) {
		set_err(err, "the gluster command printed more than 8 MiB of XML");
		return GX_BAD_XML;
	}
	/* NONET: never fetch anything; no NOENT: entities are not expanded. */
	doc = xmlReadMemory(text, (int)len, "gluster-cli.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		set_err(err, "the gluster command printed malformed XML");
		return GX_BAD_XML;
	}
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "cliOutput")) {
		set_err(err, "the gluster command printed XML without a <cliOutput> element");
		goto bad;
	}
	if (int_of(child(root, "opRet"), &res->op_ret) < 0) {
		set_err(err, "the gluster command's XML has no valid <opRet>");
		goto bad;
	}
	if (int_or(root, "opErrno", 0, &res->op_errno) < 0) {
		set_err(err, "the gluster command's XML has an invalid <opErrno>");
		goto bad;
	}
	res->op_errstr = text_of(child(root, "opErrstr"));
	res->output = text_of(child(root, "output"));
	if (!res->op_errstr || !res->output) {
		set_err(err, "out of memory");
		goto bad;
	}
	*docp = doc;
	return GX_OK;
bad:
	gx_result_free(res);
	xmlFreeDoc(doc);
	return GX_BAD_XML;
}

int gx_parse_result(const char *text, size_t len, struct gx_result *res, char **err)
{
	xmlDoc *doc;
	int r = parse_doc(text, len, &doc, res, err);
	if (r == GX_OK)
		xmlFreeDoc(doc);
	return r;
}

int gx_split_brick(const char *name, char **host, char **path)
{
	const char *slash = strchr(name, '/');
	*host = *path = NULL;
	if (!slash || slash == name || slash[-1] != ':' || slash - 1 == name)
		return -EINVAL;
	*host = strndup(name, (size_t)(slash - 1 - name));
	*path = strdup(slash);
	if (!*host || !*path) {
		free(*host);
		free(*path);
		*host = *path = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void peer_free(struct gx_peer *p)
{
	free(p->uuid);
	free(p->hostname);
	for (size_t i = 0; i < p->n_hostnames; i++)
		free(p->hostnames[i]);
	free(p->hostnames);
	free(p->state_str);
	memset(p, 0, sizeof *p);
}

void gx_peers_free(struct gx_peers *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		peer_free(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static int parse_peer(const xmlNode *n, struct gx_peer *p)
{
	xmlNode *hn;

	memset(p, 0, sizeof *p);
	p->uuid = text_of(child(n, "uuid"));
	p->hostname = text_of(child(n, "hostname"));
	p->state_str = text_of(child(n, "stateStr"));
	if (!p->uuid || !p->hostname || !p->state_str)
		return -ENOMEM;
	if (!*p->hostname)
		return -EINVAL;
	if (int_or(n, "connected", 0, &p->connected) < 0 || int_or(n, "state", -1, &p->state) < 0)
		return -EINVAL;
	hn = child(n, "hostnames");
	for (xmlNode *c = hn ? hn->children : NULL; c; c = c->next) {
		char **v;
		if (!is_elem(c, "hostname"))
			continue;
		v = realloc(p->hostnames, (p->n_hostnames + 1) * sizeof *v);
		if (!v)
			return -ENOMEM;
		p->hostnames = v;
		if (!(v[p->n_hostnames] = text_of(c)))
			return -ENOMEM;
		p->n_hostnames++;
	}
	return 0;
}

int gx_parse_peers(const char *text, size_t len, struct gx_result *res, struct gx_peers *out,
		   char **err)
{
	xmlDoc *doc;
	xmlNode *ps;
	int r = parse_doc(text, len, &doc, res, err);

	memset(out, 0, sizeof *out);
	if (r != GX_OK)
		return r;
	ps = child(xmlDocGetRootElement(doc), "peerStatus");
	for (xmlNode *c = ps ? ps->children : NULL; c; c = c->next) {
		struct gx_peer *v;
		if (!is_elem(c, "peer"))
			continue;
		v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v)
			goto bad;
		out->v = v;
		out->n++;
		if (parse_peer(c, &v[out->n - 1]) < 0)
			goto bad;
	}
	if (res->op_ret == 0 && !ps) {
		set_err(err, "the gluster peer list has no <peerStatus> element");
		goto bad;
	}
	xmlFreeDoc(doc);
	return GX_OK;
bad:
	if (err && !*err)
		set_err(err, "the gluster peer list has a malformed <peer> element");
	gx_peers_free(out);
	gx_result_free(res);
	xmlFreeDoc(doc);
	return GX_BAD_XML;
}

static void brick_free(struct gx_brick *b)
{
	free(b->name);
	free(b->host);
	free(b->path);
	free(b->host_uuid);
}

void gx_volume_free(struct gx_volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->id);
	free(v->status_str);
	free(v->type_str);
	for (size_t i = 0; i < v->n_bricks; i++)
		brick_free(&v->bricks[i]);
	free(v->bricks);
	memset(v, 0, sizeof *v);
}

void gx_volumes_free(struct gx_volumes *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		gx_volume_free(&v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static int parse_brick(const xmlNode *n, struct gx_brick *b)
{
	memset(b, 0, sizeof *b);
	b->name = text_of(child(n, "name"));
	b->host_uuid = text_of(child(n, "hostUuid"));
	if (!b->name || !b->host_uuid)
		return -ENOMEM;
	if (int_or(n, "isArbiter", 0, &b->is_arbiter) < 0)
		return -EINVAL;
	return gx_split_brick(b->name, &b->host, &b->path);
}

static int parse_volume(const xmlNode *n, struct gx_volume *v)
{
	xmlNode *bricks;
	static const struct {
		const char *name;
		size_t off;
	} ints[] = {
		{"status", offsetof(struct gx_volume, status)},
		{"brickCount", offsetof(struct gx_volume, brick_count)},
		{"distCount", offsetof(struct gx_volume, dist_count)},
		{"replicaCount", offsetof(struct gx_volume, replica_count)},
		{"arbiterCount", offsetof(struct gx_volume, arbiter_count)},
		{"disperseCount", offsetof(struct gx_volume, disperse_count)},
		{"redundancyCount", offsetof(struct gx_volume, redundancy_count)},
		{"type", offsetof(struct gx_volume, type)},
	};

	memset(v, 0, sizeof *v);
	v->name = text_of(child(n, "name"));
	v->id = text_of(child(n, "id"));
	v->status_str = text_of(child(n, "statusStr"));
	v->type_str = text_of(child(n, "typeStr"));
	if (!v->name || !v->id || !v->status_str || !v->type_str)
		return -ENOMEM;
	if (!*v->name || !*v->id)
		return -EINVAL;
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		/* status, brickCount, replicaCount and type are always printed;
		 * the others are older or newer additions: 0 when absent. */
		if (int_or(n, ints[i].name, 0, (int *)((char *)v + ints[i].off)) < 0)
			return -EINVAL;
	}
	if (!child(n, "status") || !child(n, "brickCount") || !child(n, "replicaCount"))
		return -EINVAL;
	bricks = child(n, "bricks");
	for (xmlNode *c = bricks ? bricks->children : NULL; c; c = c->next) {
		struct gx_brick *b;
		if (!is_elem(c, "brick"))
			continue;
		b = realloc(v->bricks, (v->n_bricks + 1) * sizeof *b);
		if (!b)
			return -ENOMEM;
		v->bricks = b;
		v->n_bricks++;
		if (parse_brick(c, &b[v->n_bricks - 1]) < 0)
			return -EINVAL;
	}
	if (v->brick_count < 0 || (size_t)v->brick_count != v->n_bricks)
		return -EINVAL;
	return 0;
}

int gx_parse_volumes(const char *text, size_t len, struct gx_result *res, struct gx_volumes *out,
		     char **err)
{
	xmlDoc *doc;
	xmlNode *vi, *vols;
	int r = parse_doc(text, len, &doc, res, err);

	memset(out, 0, sizeof *out);
	if (r != GX_OK)
		return r;
	vi = child(xmlDocGetRootElement(doc), "volInfo");
	vols = child(vi, "volumes");
	for (xmlNode *c = vols ? vols->children : NULL; c; c = c->next) {
		struct gx_volume *v;
		if (!is_elem(c, "volume"))
			continue;
		v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v)
			goto bad;
		out->v = v;
		out->n++;
		if (parse_volume(c, &v[out->n - 1]) < 0)
			goto bad;
	}
	if (res->op_ret == 0 && !vols) {
		set_err(err, "the gluster volume info has no <volInfo><volumes> element");
		goto bad;
	}
	xmlFreeDoc(doc);
	return GX_OK;
bad:
	if (err && !*err)
		set_err(err, "the gluster volume info has a malformed <volume> element");
	gx_volumes_free(out);
	gx_result_free(res);
	xmlFreeDoc(doc);
	return GX_BAD_XML;
}

int gx_parse_volume_id(const char *text, size_t len, struct gx_result *res, char **id, char **err)
{
	xmlDoc *doc;
	xmlNode *root, *vol = NULL;
	int r = parse_doc(text, len, &doc, res, err);

	*id = NULL;
	if (r != GX_OK)
		return r;
	root = xmlDocGetRootElement(doc);
	for (xmlNode *c = root->children; c && !vol; c = c->next)
		if (is_elem(c, "volCreate") || is_elem(c, "volStart"))
			vol = child(c, "volume");
	if (vol && child(vol, "id")) {
		*id = text_of(child(vol, "id"));
		if (!*id) {
			gx_result_free(res);
			xmlFreeDoc(doc);
			set_err(err, "out of memory");
			return GX_BAD_XML;
		}
	}
	xmlFreeDoc(doc);
	return GX_OK;
}

void gx_result_free(struct gx_result *r)
{
	if (!r)
		return;
	free(r->op_errstr);
	free(r->output);
	r->op_errstr = r->output = NULL;
}

const struct gx_peer *gx_peers_find(const struct gx_peers *p, const char *host)
{
	for (size_t i = 0; p && host && i < p->n; i++) {
		if (strcmp(p->v[i].hostname, host) == 0)
			return &p->v[i];
		for (size_t j = 0; j < p->v[i].n_hostnames; j++)
			if (strcmp(p->v[i].hostnames[j], host) == 0)
				return &p->v[i];
	}
	return NULL;
}

const struct gx_brick *gx_volume_find_brick(const struct gx_volume *v, const char *host,
					    const char *path)
{
	for (size_t i = 0; v && i < v->n_bricks; i++)
		if (strcmp(v->bricks[i].host, host) == 0 && (!path || strcmp(v->bricks[i].path, path) == 0))
			return &v->bricks[i];
	return NULL;
}

#define DUP(f)                                                                                     \
	do {                                                                                       \
		if (src->f && !(dst->f = strdup(src->f)))                                          \
			goto oom;                                                                  \
	} while (0)

int gx_volume_copy(struct gx_volume *dst, const struct gx_volume *src)
{
	*dst = *src;
	dst->name = dst->id = dst->status_str = dst->type_str = NULL;
	dst->bricks = NULL;
	dst->n_bricks = 0;
	DUP(name);
	DUP(id);
	DUP(status_str);
	DUP(type_str);
	if (src->n_bricks) {
		dst->bricks = calloc(src->n_bricks, sizeof *dst->bricks);
		if (!dst->bricks)
			goto oom;
		for (size_t i = 0; i < src->n_bricks; i++) {
			struct gx_brick *d = &dst->bricks[i];
			const struct gx_brick *s = &src->bricks[i];
			dst->n_bricks++;
			d->is_arbiter = s->is_arbiter;
			if (!(d->name = strdup(s->name)) || !(d->host = strdup(s->host)) ||
			    !(d->path = strdup(s->path)) || !(d->host_uuid = strdup(s->host_uuid)))
				goto oom;
		}
	}
	return 0;
oom:
	gx_volume_free(dst);
	return -ENOMEM;
}

int gx_peers_copy(struct gx_peers *dst, const struct gx_peers *src)
{
	memset(dst, 0, sizeof *dst);
	if (!src->n)
		return 0;
	dst->v = calloc(src->n, sizeof *dst->v);
	if (!dst->v)
		return -ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		struct gx_peer *d = &dst->v[i];
		const struct gx_peer *s = &src->v[i];
		dst->n++;
		d->connected = s->connected;
		d->state = s->state;
		if (!(d->uuid = strdup(s->uuid)) || !(d->hostname = strdup(s->hostname)) ||
		    !(d->state_str = strdup(s->state_str)))
			goto oom;
		if (s->n_hostnames) {
			d->hostnames = calloc(s->n_hostnames, sizeof *d->hostnames);
			if (!d->hostnames)
				goto oom;
			for (size_t j = 0; j < s->n_hostnames; j++) {
				d->n_hostnames++;
				if (!(d->hostnames[j] = strdup(s->hostnames[j])))
					goto oom;
			}
		}
	}
	return 0;
oom:
	gx_peers_free(dst);
	return -ENOMEM;
}

/* ---- volume status, heal info summary ------------------------------------ */

void gx_brick_states_free(struct gx_brick_states *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].host);
		free(s->v[i].path);
		free(s->v[i].peer_id);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void gx_heal_free(struct gx_heal *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].host_uuid);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

int gx_parse_volume_status(const char *text, size_t len, struct gx_result *res, struct gx_brick_states *out,
			   char **err)
{
	xmlDoc *doc;
	xmlNode *vol;
	int r = parse_doc(text, len, &doc, res, err);

	memset(out, 0, sizeof *out);
	if (r != GX_OK)
		return r;
	vol = child(child(child(xmlDocGetRootElement(doc), "volStatus"), "volumes"), "volume");
	for (xmlNode *c = vol ? vol->children : NULL; c; c = c->next) {
		struct gx_brick_state b = {0}, *v;
		if (!is_elem(c, "node"))
			continue;
		b.host = text_of(child(c, "hostname"));
		b.path = text_of(child(c, "path"));
		b.peer_id = text_of(child(c, "peerid"));
		if (!b.host || !b.path || !b.peer_id || int_of(child(c, "status"), &b.online) < 0 ||
		    !(v = realloc(out->v, (out->n + 1) * sizeof *v))) {
			free(b.host);
			free(b.path);
			free(b.peer_id);
			goto bad;
		}
		out->v = v;
		if (b.path[0] != '/') { /* "Self-heal Daemon" on "localhost" */
			free(b.host);
			free(b.path);
			free(b.peer_id);
			continue;
		}
		b.online = b.online == 1;
		out->v[out->n++] = b;
	}
	if (res->op_ret == 0 && !vol) {
		set_err(err, "the gluster volume status has no <volStatus><volumes><volume> element");
		goto bad;
	}
	xmlFreeDoc(doc);
	return GX_OK;
bad:
	if (err && !*err)
		set_err(err, "the gluster volume status has a malformed <node> element");
	gx_brick_states_free(out);
	gx_result_free(res);
	xmlFreeDoc(doc);
	return GX_BAD_XML;
}

/* A count of a heal summary: absent is -1 (an unreachable brick). */
static int count_of(const xmlNode *n, const char *name, long long *out)
{
	int v, r = int_of(child(n, name), &v);
	*out = r == 0 && v >= 0 ? v : -1;
	return r == -ENOENT || r == 0 ? 0 : r;
}

int gx_parse_heal_summary(const char *text, size_t len, struct gx_result *res, struct gx_heal *out, char **err)
{
	xmlDoc *doc;
	xmlNode *bricks;
	int r = parse_doc(text, len, &doc, res, err);

	memset(out, 0, sizeof *out);
	if (r != GX_OK)
		return r;
	bricks = child(child(xmlDocGetRootElement(doc), "healInfo"), "bricks");
	for (xmlNode *c = bricks ? bricks->children : NULL; c; c = c->next) {
		struct gx_heal_brick b = {0}, *v;
		xmlChar *uuid;
		char *status;
		if (!is_elem(c, "brick"))
			continue;
		uuid = xmlGetProp(c, (const xmlChar *)"hostUuid");
		b.host_uuid = clean_text(uuid ? (const char *)uuid : "");
		xmlFree(uuid);
		b.name = text_of(child(c, "name"));
		status = text_of(child(c, "status"));
		if (!b.host_uuid || !b.name || !status || count_of(c, "numberOfEntriesInHealPending", &b.pending) < 0 ||
		    count_of(c, "numberOfEntriesInSplitBrain", &b.split_brain) < 0 ||
		    !(v = realloc(out->v, (out->n + 1) * sizeof *v))) {
			free(b.host_uuid);
			free(b.name);
			free(status);
			goto bad;
		}
		b.connected = strcmp(status, "Connected") == 0;
		free(status);
		out->v = v;
		out->v[out->n++] = b;
	}
	if (res->op_ret == 0 && !bricks) {
		set_err(err, "the gluster heal info summary has no <healInfo><bricks> element");
		goto bad;
	}
	xmlFreeDoc(doc);
	return GX_OK;
bad:
	if (err && !*err)
		set_err(err, "the gluster heal info summary has a malformed <brick> element");
	gx_heal_free(out);
	gx_result_free(res);
	xmlFreeDoc(doc);
	return GX_BAD_XML;
}
