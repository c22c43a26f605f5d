/* The node's own file-system work: the brick directory, the FUSE mount
 * and its persistent entry.  Nothing here ever removes a file, a brick or
 * an attribute: a conflict is reported, the admin decides.  One narrow
 * exception, gn_brick_clear_unserved(): the tag glusterd itself left on a
 * brick that never served a byte. */
#ifndef CLUSTERCTL_GLUSTER_NODE_H
#define CLUSTERCTL_GLUSTER_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include <clusterctl/host.h>

/* The extended attribute glusterd stamps on every brick root. */
#define GLUSTER_VOLID_XATTR "trusted.glusterfs.volume-id"

/* A path we are willing to create, mount or write into fstab: absolute,
 * no "." or ".." components, no "//", no blanks or control bytes (fstab
 * fields are blank-separated), at most 1024 bytes. */
bool gn_path_ok(const char *p);
/* A GlusterFS volume name: [A-Za-z0-9_-], not starting with '-', <= 64. */
bool gn_volume_name_ok(const char *v);
/* An IPv4 address or a DNS name usable as a volfile server / brick host. */
bool gn_host_ok(const char *h);

/* The brick-dir itself: whether it exists, and whether it sits on the
 * root file system (same st_dev as "/"). */
int gn_brick_dir_state(const char *brick_dir, bool *exists, bool *on_root, char **err);

/* Read GLUSTER_VOLID_XATTR of path as a UUID string; *id NULL (and 0)
 * when the attribute is absent. */
int gn_read_volume_id(const char *path, char **id, char **err);

/* Make `brick` (which must be brick_dir + "/" + one component) ready:
 * brick_dir must exist (it is created only with allow_root, since a
 * missing disk mount would otherwise put the brick on "/"), must not be on
 * the root file system unless allow_root, the brick directory is created
 * when missing, and its volume-id attribute, when present, must equal
 * want_id (NULL: any id is reported, not judged).  *volume_id gets the
 * attribute (NULL when none), *on_root the root-fs verdict. */
int gn_brick_prepare(const char *brick_dir, const char *brick, bool allow_root, const char *want_id,
		     const char *volume, char **volume_id, bool *on_root, char **err);

/* A brick tagged with want_id (the volume's own id) that is not in the
 * volume: glusterd's add-brick staging tags the new brick on its host
 * even when another peer's staging then refuses (one that cannot reach
 * the new host yet, as over a mesh overlay before every node has it as a
 * peer), and every later add-brick fails on the tag ("already part of a
 * volume").  Clear it, but only on a brick that never served: no
 * trusted.gfid on its root (a brick process sets it when it starts) and
 * nothing in it but an empty .glusterfs.  Returns 1 when cleared, 0 when
 * the brick carries no or another id, -EEXIST (with *err) when it holds
 * anything else: a person must look. */
int gn_brick_clear_unserved(const char *brick, const char *want_id, char **err);

/* What is mounted at path (the topmost mount), from mountinfo_path
 * (normally /proc/self/mountinfo).  *found false when nothing is. */
struct gn_mount {
	char *source;  /* "198.51.100.11:/clusterctl" */
	char *fstype;  /* "fuse.glusterfs" */
};
int gn_mount_lookup(const char *mountinfo_path, const char *path, struct gn_mount *m, bool *found);
void gn_mount_free(struct gn_mount *m);
/* The mount is a FUSE GlusterFS mount of `volume` (from any server). */
bool gn_mount_is_volume(const struct gn_mount *m, const char *volume);

/* Mount `volume` at path from servers[0], the others as backup volfile
 * servers.  A mount of that volume already there is success; anything
 * else mounted there, or a non-empty directory, is an error. */
int gn_mount_volume(const struct clusterctl_host *h, const char *volume, const char *const *servers,
		    size_t n, const char *path, char **err);

/* fstab options for the volume: _netdev, the backup servers, and when the
 * node holds a brick an ordering on its glusterd. malloc'd. */
char *gn_fstab_options(const char *const *servers, size_t n, bool holds_brick);
/* Make `fstab` hold exactly one entry for path: "SOURCE PATH glusterfs
 * OPTIONS 0 0".  An entry of the same volume is replaced when it differs;
 * an entry of anything else at path is an error.  The file is replaced
 * atomically.  *changed says whether it was written. */
int gn_fstab_ensure(const char *fstab, const char *volume, const char *source, const char *path,
		    const char *options, bool *changed, char **err);

#endif
