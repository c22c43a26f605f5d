#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "join-secret.h"
#include "util.h"
#include "join-token.h"

int join_token_parse(const char *text, struct join_token *out, char **err)
{
	size_t pl = strlen(JOIN_TOKEN_PREFIX);
	const char *p, *secret;

	memset(out, 0, sizeof *out);
	if (strncmp(text, JOIN_TOKEN_PREFIX, pl) != 0) {
		out->secret = strdup(text);
		return out->secret ? 0 : -ENOMEM;
	}
	p = text + pl;
	for (int i = 0; i < 64; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
			*err = cc_strdupf("the join token's pin (after %s) must be 64 lower-case hex digits; copy the "
					  "whole token that 'clusterctl master init' printed",
					  JOIN_TOKEN_PREFIX);
			return -EINVAL;
		}
	if (p[64] != '-' || strlen(secret = p + 65) < 16) {
		*err = cc_strdupf("the join token must be %s<64 hex digits>-<secret of 16 or more characters>; "
				  "copy the whole token that 'clusterctl master init' printed",
				  JOIN_TOKEN_PREFIX);
		return -EINVAL;
	}
	memcpy(out->pin, p, 64);
	out->pin[64] = '\0';
	out->secret = strdup(secret);
	return out->secret ? 0 : -ENOMEM;
}

void join_token_free(struct join_token *t)
{
	if (t->secret) {
		/* Not optimised away: the pointer escapes to free. */
		memset(t->secret, 0, strlen(t->secret));
		free(t->secret);
	}
	memset(t, 0, sizeof *t);
}

char *join_token_format(const char *pin, const char *secret)
{
	return cc_strdupf("%s%s-%s", JOIN_TOKEN_PREFIX, pin, secret);
}

int join_token_ensure(const char *state_dir, const char *name, const char *pin, char **token, bool *created,
		      bool *repinned, char **err)
{
	struct cc_buf path = CC_BUF_INIT;
	struct join_token tok = {.secret = NULL};
	char *text = NULL, *line = NULL;
	int r;

	*token = NULL;
	*created = *repinned = false;
	cc_buf_printf(&path, "%s/%s", state_dir, name);
	if (path.oom)
		return -ENOMEM;
	r = join_secret_read(path.buf, &text, err);
	if (r == -ENOENT) {
		if (!(text = random_hex(32))) {
			r = -EIO;
			*err = cc_strdupf("cannot get random bytes for %s", path.buf);
			goto out;
		}
		*created = true;
		r = 0;
	}
	if (r < 0 || (r = join_token_parse(text, &tok, err)) < 0)
		goto out;
	{
		/* Kept, but never readable by others. */
		struct stat st;
		if (!*created && stat(path.buf, &st) == 0 && (st.st_mode & 077))
			chmod(path.buf, 0600);
	}
	if (!*created && strcmp(tok.pin, pin) == 0) {
		*token = text;
		text = NULL;
		goto out;
	}
	if (!(*token = join_token_format(pin, tok.secret)) || !(line = cc_strdupf("%s\n", *token))) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = cc_write_file_atomic(path.buf, line, strlen(line), 0600)) < 0) {
		*err = cc_strdupf("cannot write the token to %s: %s", path.buf, strerror(-r));
		goto out;
	}
	*repinned = !*created;
out:
	if (r < 0) {
		free(*token);
		*token = NULL;
	}
	if (line) {
		memset(line, 0, strlen(line));
		free(line);
	}
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	join_token_free(&tok);
	cc_buf_free(&path);
	return r;
}
