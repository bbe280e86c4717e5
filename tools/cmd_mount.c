/* pitfs mount, and the same as mount(8)'s helper mount.pitfs: options
 * translated for fs/, nothing more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs/fs.h"
#include "tools/cmd.h"

const char cmd_mount_usage[] =
	"usage: pitfs mount REPO MOUNTPOINT [-f] [-d] [-o OPTIONS]\n"
	"\n"
	"Shows the repository as a read-only filesystem at MOUNTPOINT (see 'pitfs help\n"
	"ls' for the tree): every backup's files under /nodes, any moment of every table\n"
	"under /at, merged from every replica. Runs in the background, logging to\n"
	"syslog, until unmounted (fusermount3 -u MOUNTPOINT, or umount as root).\n"
	"  -f          stay in the foreground, log to stderr, unmount on Ctrl-C\n"
	"  -d          the same, with every FUSE request logged\n"
	"  -o OPTIONS  mount options, comma-separated, passed to FUSE: allow_other\n"
	"              (others may read it too; needs user_allow_other in\n"
	"              /etc/fuse.conf unless root), allow_root, ...; fstab's own\n"
	"              (defaults, noauto, user, nofail, _netdev, x-systemd.*) are\n"
	"              ignored. Private to the mounting user by default.\n"
	"As mount.pitfs (a link to pitfs by that name in /sbin), mount(8) runs it for\n"
	"/etc/fstab lines and systemd mount units of type pitfs.\n";

/* Options for mount(8) and systemd, not for FUSE. */
static bool fstab_only(const char *o, size_t n)
{
	static const char *const names[] = { "defaults", "auto", "noauto", "user", "users", "nouser", "owner",
					     "nofail", "_netdev", "rw", "ro", "exec", "noexec", "suid", "nosuid",
					     "dev", "nodev" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(o, names[i], n))
			return true;
	return (n > 2 && !strncmp(o, "x-", 2)) || (n >= 8 && !strncmp(o, "comment=", 8));
}

/* Appends the FUSE options of a comma-separated list to out. */
static int add_opts(char *out, size_t cap, const char *list)
{
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t len = strlen(out);
		if (n && !fstab_only(p, n)) {
			if (len + n + 2 > cap)
				return -1;
			snprintf(out + len, cap - len, "%s%.*s", len ? "," : "", (int)n, p);
		}
		p += n + (e != NULL);
	}
	return 0;
}

static int run(const char *repo, const char *mnt, struct fs_opts *o)
{
	struct pit_err err = { 0 };
	int rc = fs_mount(repo, mnt, o, &err);

	if (rc < 0)
		return op_error("%s", pit_err_msg(&err, rc));
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	struct fs_opts o = { 0 };
	const char *pos[2];
	char opts[4096] = "";
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f")) {
			o.foreground = true;
		} else if (!strcmp(argv[i], "-d")) {
			o.foreground = o.debug = true;
		} else if (!strcmp(argv[i], "-o") || !strncmp(argv[i], "-o", 2)) {
			const char *v = argv[i][2] ? argv[i] + 2 : i + 1 < argc ? argv[++i] : NULL;
			if (!v)
				return usage_error("mount", "-o needs a value");
			if (add_opts(opts, sizeof(opts), v) < 0)
				return usage_error("mount", "too many options");
		} else if (argv[i][0] == '-') {
			return usage_error("mount", "unknown option %s", argv[i]);
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			return usage_error("mount", "unexpected argument %s", argv[i]);
		}
	}
	if (npos != 2)
		return usage_error("mount", "needs REPO and MOUNTPOINT");
	o.fuse_opts = opts;
	return run(pos[0], pos[1], &o);
}

/* mount(8) runs helpers as: mount.pitfs SPEC DIR [-sfnv] [-N NS] [-o OPTIONS] [-t TYPE] */
int mount_helper(int argc, char **argv)
{
	struct fs_opts o = { 0 };
	const char *pos[2];
	char opts[4096] = "";
	int npos = 0;
	bool fake = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			if (add_opts(opts, sizeof(opts), argv[++i]) < 0)
				return usage_error("mount", "too many options");
		} else if ((!strcmp(argv[i], "-t") || !strcmp(argv[i], "-N")) && i + 1 < argc) {
			i++;
		} else if (argv[i][0] == '-') {
			fake |= strchr(argv[i], 'f') != NULL;	/* -f: fake, do everything but mount */
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		}
	}
	if (npos != 2) {
		fprintf(stderr, "usage: mount.pitfs REPO MOUNTPOINT [-o OPTIONS]\n");
		return EXIT_USAGE;
	}
	if (fake)
		return 0;
	o.fuse_opts = opts;
	return run(pos[0], pos[1], &o);
}
