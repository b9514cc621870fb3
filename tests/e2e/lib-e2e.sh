# shellcheck shell=bash
# Shared by the end-to-end tests: the harness plus an offline busybox image.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

E2E_IMAGE=localhost/jitbox:test

# build_image_archive OUT.tar: an oci-archive of a busybox image named
# $E2E_IMAGE, built offline with umoci and skopeo (cached in $JT_CACHE).
build_image_archive() {
	local out=$1 cache=${JT_CACHE:-$T_TMP} tpl w
	if [ -s "$cache/busybox-image.tar" ]; then
		cp "$cache/busybox-image.tar" "$out"
		return 0
	fi
	tpl=$(_t_rootfs_template) || return 1
	w=$(mktemp -d "$T_TMP/image.XXXXXX")
	(
		set -e
		cd "$w"
		umoci init --layout oci
		umoci new --image oci:busybox
		umoci unpack --image oci:busybox bundle
		cp -a "$tpl/." bundle/rootfs/
		rm -f bundle/rootfs/.done
		umoci repack --image oci:busybox bundle
		umoci config --image oci:busybox --config.cmd sh \
			--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			--config.workingdir / --os linux --architecture amd64
		skopeo copy -q "oci:oci:busybox" "oci-archive:busybox.tar:$E2E_IMAGE"
	) || {
		echo "building the busybox image failed"
		return 1
	}
	cp "$w/busybox.tar" "$cache/busybox-image.tar.tmp" && mv "$cache/busybox-image.tar.tmp" "$cache/busybox-image.tar"
	cp "$w/busybox.tar" "$out"
	rm -rf "$w"
}

# need_cmds CMD...: fail suite_setup when a command is missing
need_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || {
			echo "missing command: $c (run contrib/install-deps.sh)"
			return 1
		}
	done
}

# mounts_under DIR: mount points at or below DIR in the host namespace
mounts_under() { awk -v d="$1" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo; }

# umount_under DIR: lazily unmount everything below DIR, deepest first
umount_under() {
	mounts_under "$1" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# host_file_of PID CONTROLLER FILE: content of a cgroup file of PID
cg_read() { cat "$(cg_dir "$1" "$2")/$3"; }
