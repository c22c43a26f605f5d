/* Brick directory, FUSE mount and fstab entry on the node; see
 * gluster-node.h.  Facts: provider-apis.md §2.5-2.6. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cc-buf.h"
#include "gluster-node.h"
#include "cc-file.h"
#include "plugin-json.h"

#define T_MOUNT 60000
#define FSTAB_MAX (1u << 20)

bool gn_path_ok(const char *p)
{
	size_t n;
	if (!p || p[0] != '/' || (n = strlen(p)) > 1024)
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '\\')
			return false;
	/* component checks: no "", ".", ".." between slashes, no trailing '/' */
	for (const char *c = p; *c;) {
		const char *e;
		c++; /* past '/' */
		e = strchrnul(c, '/');
		if (e == c && (*e || c != p + 1))
			return false;
		if ((e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = e;
	}
	return true;
}

bool gn_volume_name_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > 64 || v[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-')
			return false;
	return true;
}

bool gn_host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
			return false;
	return true;
}

int gn_brick_dir_state(const char *brick_dir, bool *exists, bool *on_root, char **err)
{
	struct stat st, root;

	*exists = *on_root = false;
	*err = NULL;
	if (stat(brick_dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*err = cc_strdupf("cannot examine the brick directory %s: %s", brick_dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = cc_strdupf("the brick directory %s exists but is not a directory", brick_dir);
		return -ENOTDIR;
	}
	if (stat("/", &root) < 0) {
		*err = cc_strdupf("cannot examine /: %s", strerror(errno));
		return -errno;
	}
	*exists = true;
	*on_root = st.st_dev == root.st_dev;
	return 0;
}

int gn_read_volume_id(const char *path, char **id, char **err)
{
	unsigned char u[16];
	ssize_t n;

	*id = NULL;
	*err = NULL;
	n = getxattr(path, GLUSTER_VOLID_XATTR, u, sizeof u);
	if (n < 0) {
		if (errno == ENODATA || errno == ENOTSUP)
			return 0;
		if (errno == ERANGE) {
			*err = cc_strdupf("%s carries a malformed %s attribute (more than 16 bytes): this is not "
				   "a brick clusterctl can judge; use another directory",
				   path, GLUSTER_VOLID_XATTR);
			return -EINVAL;
		}
		*err = cc_strdupf("cannot read the %s attribute of %s: %s", GLUSTER_VOLID_XATTR, path,
			   strerror(errno));
		return -errno;
	}
	if (n != 16) {
		*err = cc_strdupf("%s carries a malformed %s attribute (%zd bytes, want 16); use another directory",
			   path, GLUSTER_VOLID_XATTR, n);
		return -EINVAL;
	}
	*id = cc_strdupf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		  u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return *id ? 0 : -ENOMEM;
}

int gn_brick_prepare(const char *brick_dir, const char *brick, bool allow_root, const char *want_id,
		     const char *volume, char **volume_id, bool *on_root, char **err)
{
	size_t dl = strlen(brick_dir);
	bool exists;
	struct stat st;
	int r;

	*volume_id = NULL;
	*on_root = false;
	*err = NULL;
	if (!gn_path_ok(brick) || !gn_path_ok(brick_dir) || strncmp(brick, brick_dir, dl) != 0 ||
	    brick[dl] != '/' || strchr(brick + dl + 1, '/')) {
		*err = cc_strdupf("the controller asked for the brick %s, which is not a directory directly "
			   "under this node's brick directory %s (--gluster-brick-dir): refusing it",
			   brick, brick_dir);
		return -EINVAL;
	}
	if ((r = gn_brick_dir_state(brick_dir, &exists, on_root, err)) < 0)
		return r;
	if (!exists) {
		if (!allow_root) {
			*err = cc_strdupf("the brick directory %s does not exist: provision a disk for GlusterFS "
				   "bricks and mount it there (see clusterctl-gluster(7)), or set "
				   "--gluster-brick-dir to where it is mounted",
				   brick_dir);
			return -ENOENT;
		}
		if ((r = cc_mkdir_p(brick_dir, 0755)) < 0) {
			*err = cc_strdupf("cannot create the brick directory %s: %s", brick_dir, strerror(-r));
			return r;
		}
		if ((r = gn_brick_dir_state(brick_dir, &exists, on_root, err)) < 0)
			return r;
	}
	if (*on_root && !allow_root) {
		*err = cc_strdupf("the brick directory %s is on the root file system; a full brick would fill "
			   "up /. Mount a dedicated disk there (see clusterctl-gluster(7)), or accept "
			   "it with --gluster-allow-root-brick",
			   brick_dir);
		return -EXDEV;
	}
	if (mkdir(brick, 0755) < 0 && errno != EEXIST) {
		*err = cc_strdupf("cannot create the brick %s: %s", brick, strerror(errno));
		return -errno;
	}
	if (lstat(brick, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*err = cc_strdupf("the brick %s exists but is not a directory: move it away or choose another "
			   "--gluster-brick-dir", brick);
		return -ENOTDIR;
	}
	if ((r = gn_read_volume_id(brick, volume_id, err)) < 0)
		return r;
	if (*volume_id && want_id && strcasecmp(*volume_id, want_id) != 0) {
		*err = cc_strdupf("the brick %s already belongs to another GlusterFS volume (its %s is %s, "
			   "volume %s is %s). clusterctl never deletes bricks: if that old volume's data "
			   "is not needed, clear the directory by hand (see clusterctl-gluster(7), "
			   "RECOVERY), or choose another --gluster-brick-dir",
			   brick, GLUSTER_VOLID_XATTR, *volume_id, volume, want_id);
		return -EEXIST;
	}
	return 0;
}

int gn_brick_clear_unserved(const char *brick, const char *want_id, char **err)
{
	char *id = NULL, *meta = NULL;
	struct dirent *e;
	DIR *d = NULL;
	int r;

	*err = NULL;
	if ((r = gn_read_volume_id(brick, &id, err)) < 0)
		return r;
	if (!id || !want_id || strcasecmp(id, want_id) != 0) {
		free(id);
		return 0;
	}
	if (getxattr(brick, "trusted.gfid", NULL, 0) >= 0 || errno != ENODATA) {
		*err = cc_strdupf("the brick %s carries the id of volume %s but is not in it, and a brick process "
			   "has served it (trusted.gfid is set): was it removed from the volume? clusterctl "
			   "never deletes bricks: clear it by hand (see clusterctl-gluster(7), RECOVERY)",
			   brick, id);
		r = -EEXIST;
		goto out;
	}
	if (!(d = opendir(brick))) {
		r = -errno;
		*err = cc_strdupf("cannot read the brick %s: %s", brick, strerror(errno));
		goto out;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".glusterfs"))
			continue;
		*err = cc_strdupf("the brick %s carries the id of volume %s but is not in it, and holds \"%.64s\": "
			   "clusterctl never deletes data: clear it by hand (see clusterctl-gluster(7), RECOVERY)",
			   brick, id, e->d_name);
		r = -EEXIST;
		goto out;
	}
	/* rmdir only removes an empty .glusterfs: anything in it stops us
	 * before the attribute is touched. */
	if (!(meta = cc_strdupf("%s/.glusterfs", brick))) {
		r = -ENOMEM;
		goto out;
	}
	if (rmdir(meta) < 0 && errno != ENOENT) {
		r = errno == ENOTEMPTY || errno == EEXIST ? -EEXIST : -errno;
		*err = cc_strdupf("the brick %s carries the id of volume %s but is not in it, and its .glusterfs "
			   "is not empty (%s): clear it by hand (see clusterctl-gluster(7), RECOVERY)",
			   brick, id, strerror(errno));
		goto out;
	}
	if (removexattr(brick, GLUSTER_VOLID_XATTR) < 0 && errno != ENODATA) {
		r = -errno;
		*err = cc_strdupf("cannot remove %s from %s: %s", GLUSTER_VOLID_XATTR, brick, strerror(errno));
		goto out;
	}
	r = 1;
out:
	if (d)
		closedir(d);
	free(meta);
	free(id);
	return r;
}

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134). */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int gn_mount_lookup(const char *mountinfo_path, const char *path, struct gn_mount *m, bool *found)
{
	FILE *f = fopen(mountinfo_path, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	memset(m, 0, sizeof *m);
	*found = false;
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *save = NULL, *tok, *mp = NULL, *fstype = NULL, *source = NULL;
		int field = 0;
		bool after_dash = false;
		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
			if (field == 4)
				mp = tok;
			else if (field > 5 && !after_dash && strcmp(tok, "-") == 0)
				after_dash = true;
			else if (after_dash && !fstype)
				fstype = tok;
			else if (after_dash && !source)
				source = tok;
		}
		if (!mp || !fstype || !source)
			continue;
		unescape(mp);
		if (strcmp(mp, path) != 0)
			continue;
		/* later lines are mounted on top: the last match wins */
		gn_mount_free(m);
		unescape(source);
		m->source = strdup(source);
		m->fstype = strdup(fstype);
		if (!m->source || !m->fstype) {
			r = -ENOMEM;
			break;
		}
		*found = true;
	}
	free(line);
	fclose(f);
	if (r < 0) {
		gn_mount_free(m);
		*found = false;
	}
	return r;
}

void gn_mount_free(struct gn_mount *m)
{
	free(m->source);
	free(m->fstype);
	m->source = m->fstype = NULL;
}

bool gn_mount_is_volume(const struct gn_mount *m, const char *volume)
{
	const char *c;
	if (!m->fstype || strcmp(m->fstype, "fuse.glusterfs") != 0 || !m->source)
		return false;
	c = strrchr(m->source, ':');
	if (!c)
		return false;
	c++;
	if (*c == '/')
		c++;
	return strcmp(c, volume) == 0;
}

static int dir_is_empty(const char *path, bool *empty)
{
	DIR *d = opendir(path);
	struct dirent *e;
	*empty = true;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			*empty = false;
			break;
		}
	}
	closedir(d);
	return 0;
}

static char *backup_list(const char *const *servers, size_t n)
{
	size_t len = 1;
	char *s;
	for (size_t i = 1; i < n; i++)
		len += strlen(servers[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (size_t i = 1; i < n; i++) {
		if (i > 1)
			strcat(s, ":");
		strcat(s, servers[i]);
	}
	return s;
}

int gn_mount_volume(const struct clusterctl_host *h, const char *volume, const char *const *servers,
		    size_t n, const char *path, char **err)
{
	struct gn_mount m;
	struct clusterctl_run_result res;
	bool found, empty;
	char *source = NULL, *backups = NULL, *opt = NULL;
	const char *argv[10];
	size_t k = 0;
	int r;

	*err = NULL;
	memset(&res, 0, sizeof res);
	if (n == 0) {
		*err = cc_strdupf("internal error: no volfile server to mount %s from", volume);
		return -EINVAL;
	}
	if ((r = gn_mount_lookup("/proc/self/mountinfo", path, &m, &found)) < 0) {
		*err = cc_strdupf("cannot read /proc/self/mountinfo: %s", strerror(-r));
		return r;
	}
	if (found) {
		bool ours = gn_mount_is_volume(&m, volume);
		if (!ours)
			*err = cc_strdupf("%s is already a mount point of something else (%s, type %s): clusterctl "
				   "will not mount volume %s over it. Unmount it, or choose another "
				   "--gluster-mount",
				   path, m.source, m.fstype, volume);
		gn_mount_free(&m);
		return ours ? 0 : -EBUSY;
	}
	if ((r = cc_mkdir_p(path, 0755)) < 0) {
		*err = cc_strdupf("cannot create the mount point %s: %s", path, strerror(-r));
		return r;
	}
	if ((r = dir_is_empty(path, &empty)) < 0) {
		*err = cc_strdupf("cannot read the mount point %s: %s", path, strerror(-r));
		return r;
	}
	if (!empty) {
		*err = cc_strdupf("the mount point %s is not empty: mounting volume %s there would hide its "
			   "files. Move them away (they may belong on the volume once it is mounted), or "
			   "choose another --gluster-mount",
			   path, volume);
		return -ENOTEMPTY;
	}
	source = cc_strdupf("%s:/%s", servers[0], volume);
	backups = backup_list(servers, n);
	if (!source || !backups) {
		r = -ENOMEM;
		*err = cc_strdupf("out of memory");
		goto out;
	}
	argv[k++] = "mount";
	argv[k++] = "-t";
	argv[k++] = "glusterfs";
	if (*backups) {
		opt = cc_strdupf("backup-volfile-servers=%s", backups);
		if (!opt) {
			r = -ENOMEM;
			goto out;
		}
		argv[k++] = "-o";
		argv[k++] = opt;
	}
	argv[k++] = source;
	argv[k++] = path;
	argv[k] = NULL;
	r = h->run(h->ctx, argv, NULL, NULL, T_MOUNT, &res);
	if (r < 0) {
		*err = cc_strdupf("cannot run mount: %s", strerror(-r));
		goto out;
	}
	if (res.exit_status != 0 || res.timed_out) {
		char *log = strdup(path + 1), *txt = res.err && *res.err ? res.err : res.out;
		for (char *c = log; c && *c; c++)
			if (*c == '/')
				*c = '-';
		/* the helper's own words, one line */
		for (char *c = txt; c && *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		*err = cc_strdupf("mounting volume %s from %s at %s failed%s: %.300s. Check that the volume is "
			   "started (gluster volume status %s), that this host reaches %s on TCP 24007 and "
			   "the brick ports, and the client log /var/log/glusterfs/%s.log",
			   volume, servers[0], path, res.timed_out ? " (timed out)" : "",
			   txt && *txt ? txt : "no message", volume, servers[0], log ? log : "");
		free(log);
		r = -EIO;
		goto out;
	}
	/* mount.glusterfs can exit 0 although the FUSE client died at once:
	 * believe only the kernel's mount table. */
	if ((r = gn_mount_lookup("/proc/self/mountinfo", path, &m, &found)) < 0) {
		*err = cc_strdupf("cannot read /proc/self/mountinfo: %s", strerror(-r));
		goto out;
	}
	if (!found || !gn_mount_is_volume(&m, volume)) {
		*err = cc_strdupf("mount reported success but volume %s is not mounted at %s: see the client "
			   "log under /var/log/glusterfs/",
			   volume, path);
		r = -EIO;
	}
	gn_mount_free(&m);
out:
	h->run_result_free(&res);
	free(source);
	free(backups);
	free(opt);
	return r;
}

char *gn_fstab_options(const char *const *servers, size_t n, bool holds_brick)
{
	char *b = backup_list(servers, n), *s;
	if (!b)
		return NULL;
	/* _netdev: after the network.  With a brick here the local glusterd
	 * serves part of the volume: wait for it (systemd.mount(5)). */
	s = cc_strdupf("defaults,_netdev%s%s%s", *b ? ",backup-volfile-servers=" : "", b,
		holds_brick ? ",x-systemd.requires=glusterd.service" : "");
	free(b);
	return s;
}

int gn_fstab_ensure(const char *fstab, const char *volume, const char *source, const char *path,
		    const char *options, bool *changed, char **err)
{
	char *data = NULL, *want = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	mode_t mode = 0644;
	bool done = false;
	struct stat st;
	FILE *f;
	int r = 0;

	*changed = false;
	*err = NULL;
	want = cc_strdupf("%s %s glusterfs %s 0 0", source, path, options);
	if (!want)
		return -ENOMEM;
	f = fopen(fstab, "re");
	if (f) {
		if (fstat(fileno(f), &st) == 0) {
			mode = st.st_mode & 07777;
			if (st.st_size > (off_t)FSTAB_MAX) {
				fclose(f);
				*err = cc_strdupf("%s is larger than 1 MiB: refusing to edit it", fstab);
				r = -EFBIG;
				goto out;
			}
		}
		data = calloc(1, FSTAB_MAX + 1);
		if (!data) {
			fclose(f);
			r = -ENOMEM;
			goto out;
		}
		len = fread(data, 1, FSTAB_MAX, f);
		fclose(f);
	} else if (errno != ENOENT) {
		*err = cc_strdupf("cannot read %s: %s", fstab, strerror(errno));
		r = -errno;
		goto out;
	}
	out = malloc(len + strlen(want) + 3);
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < len;) {
		size_t e = i;
		char *line, *save = NULL, *fld[4] = {0};
		int nf = 0;
		while (e < len && data[e] != '\n')
			e++;
		line = strndup(data + i, e - i);
		if (!line) {
			r = -ENOMEM;
			goto out;
		}
		for (char *t = strtok_r(line, " \t", &save); t && nf < 4; t = strtok_r(NULL, " \t", &save))
			fld[nf++] = t;
		if (nf >= 3 && fld[0][0] != '#') {
			char *mp = fld[1];
			unescape(mp);
			if (strcmp(mp, path) == 0) {
				struct gn_mount m = {.source = fld[0], .fstype = "fuse.glusterfs"};
				if (strcmp(fld[2], "glusterfs") != 0 || !gn_mount_is_volume(&m, volume)) {
					*err = cc_strdupf("%s already has an entry for %s (%s, type %s): clusterctl "
						   "will not replace it. Remove it, or choose another "
						   "--gluster-mount",
						   fstab, path, fld[0], fld[2]);
					free(line);
					r = -EEXIST;
					goto out;
				}
				/* our volume: keep one entry, the current one */
				free(line);
				if (!done) {
					memcpy(out + olen, want, strlen(want));
					olen += strlen(want);
					out[olen++] = '\n';
					done = true;
				}
				i = e < len ? e + 1 : e;
				continue;
			}
		}
		free(line);
		memcpy(out + olen, data + i, e - i);
		olen += e - i;
		out[olen++] = '\n';
		i = e < len ? e + 1 : e;
	}
	if (!done) {
		memcpy(out + olen, want, strlen(want));
		olen += strlen(want);
		out[olen++] = '\n';
	}
	if (olen == len && memcmp(out, data, len) == 0)
		goto out;
	if ((r = cc_write_file_atomic(fstab, out, olen, mode)) < 0) {
		*err = cc_strdupf("cannot write %s: %s", fstab, strerror(-r));
		goto out;
	}
	*changed = true;
out:
	if (r < 0 && !*err)
		*err = cc_strdupf("cannot update %s: %s", fstab, strerror(-r));
	free(data);
	free(want);
	free(out);
	return r;
}
