#include "autoconfig.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cc-buf.h"
#include "http-unix.h"
#include "util.h"

struct sink {
	struct cc_buf sb;
	bool too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (s->sb.len + n > HTTP_UNIX_MAX_BODY) {
		s->too_big = true;
		return 0;
	}
	cc_buf_append(&s->sb, ptr, n);
	return s->sb.oom ? 0 : n;
}

struct hdr_sink {
	struct http_unix_header *caps;
	size_t n;
	bool oom;
};

static void hdr_reset(struct hdr_sink *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->caps[i].value);
		hs->caps[i].value = NULL;
	}
}

/* libcurl hands one header line at a time (not NUL-terminated, with its
 * CRLF); a new status line starts a new response (1xx), so earlier
 * captures are dropped. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct hdr_sink *hs = userdata;
	size_t n = size * nmemb, i;
	const char *colon;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		hdr_reset(hs);
		return n;
	}
	colon = memchr(ptr, ':', n);
	if (!colon)
		return n;
	for (i = 0; i < hs->n; i++) {
		size_t nl = strlen(hs->caps[i].name), vl;
		const char *v = colon + 1, *end = ptr + n;
		if ((size_t)(colon - ptr) != nl || strncasecmp(ptr, hs->caps[i].name, nl) != 0)
			continue;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
			end--;
		vl = (size_t)(end - v);
		free(hs->caps[i].value);
		hs->caps[i].value = NULL;
		if (vl > HTTP_UNIX_MAX_HEADER || memchr(v, '\0', vl))
			continue;
		hs->caps[i].value = strndup(v, vl);
		if (!hs->caps[i].value) {
			hs->oom = true;
			return 0; /* abort the transfer */
		}
	}
	return n;
}

static _Thread_local const atomic_int *cancel_flag;

void http_unix_set_cancel(const atomic_int *flag) { cancel_flag = flag; }

static int on_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return atomic_load((const atomic_int *)p) ? 1 : 0;
}

int http_unix_global_init(void) { return curl_global_init(CURL_GLOBAL_NOTHING) == CURLE_OK ? 0 : -ENOMEM; }
void http_unix_global_cleanup(void) { curl_global_cleanup(); }

static int curl_to_errno(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	case CURLE_WRITE_ERROR: return -EFBIG;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR: return -ECONNRESET;
	default: return -EIO;
	}
}

int http_unix_request(const char *socket_path, const char *method, const char *url,
		      const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		      struct clusterctl_http_response *resp)
{
	return http_unix_request_hdr(socket_path, method, url, headers, body, body_len, timeout_ms, resp,
				     NULL, 0);
}

int http_unix_request_hdr(const char *socket_path, const char *method, const char *url,
			  const char *const headers[], const char *body, size_t body_len, int timeout_ms,
			  struct clusterctl_http_response *resp, struct http_unix_header *caps, size_t ncaps)
{
	struct hdr_sink hs = {caps, caps ? ncaps : 0, false};
	struct sink sink = {CC_BUF_INIT, false};
	struct curl_slist *hl = NULL;
	char *ct = NULL;
	CURLcode cc;
	CURL *h;
	int r = 0;

	memset(resp, 0, sizeof *resp);
	for (size_t i = 0; i < hs.n; i++)
		caps[i].value = NULL;
	if (strlen(socket_path) >= 108)
		return -ENAMETOOLONG;
	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : 30000));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	if (cancel_flag) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)cancel_flag);
	}
	if (hs.n) {
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &hs);
	}
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	/* No "Expect: 100-continue" round trip on small JSON bodies. */
	hl = curl_slist_append(hl, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);

	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		r = hs.oom ? -ENOMEM : sink.too_big ? -EFBIG : curl_to_errno(cc);
		/* Tell "no daemon here" from "daemon refused us". */
		if (r == -ECONNREFUSED && access(socket_path, F_OK) < 0)
			r = -ENOENT;
		else if (r == -ECONNREFUSED && access(socket_path, W_OK) < 0)
			r = -EACCES;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	cc_buf_append(&sink.sb, "", 0);
	if (sink.sb.oom) {
		r = -ENOMEM;
		goto out;
	}
	resp->body_len = sink.sb.len;
	resp->body = cc_buf_detach(&sink.sb);
	resp->content_type = ct ? strdup(ct) : NULL;
out:
	if (r < 0)
		hdr_reset(&hs);
	cc_buf_free(&sink.sb);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	return r;
}

void http_unix_response_free(struct clusterctl_http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->content_type);
	resp->body = resp->content_type = NULL;
	resp->body_len = 0;
}
