#!/bin/bash
# Build the demo's application rootfs once and cache it:
#   $JITRUN_DEMO_CACHE (default /var/cache/jitrun-demo)/rootfs
#
# 1. base: `debootstrap --variant=minbase bookworm` with python3 + python3-venv from
#    Debian's archive, and a wheelhouse made from Debian's python3-* packages
#    (demo/deb2wheel.py). Rebuilt only when its inputs change (build_base's text, the
#    package lists, mirror, deb2wheel.py: hash kept in base.stamp), or with --force.
# 2. app: demo/app copied to /app, the wheels to /app/wheels. Refreshed (cheap) when
#    any file under demo/app changes (app.stamp).
#
# Nothing of the app's dependencies is installed here: that is the job of the
# container's bootstrap (pip install into /app/.venv), which jitrun caches.
# Environment: JITRUN_DEMO_CACHE, DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=demo/lib.sh
. "$HERE/lib.sh"

SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS_PKGS=python3,python3-venv
WHEEL_PKGS=(python3-click python3-jinja2 python3-markupsafe python3-rich
            python3-markdown-it python3-mdurl python3-pygments)
CACHE=$JR_DEMO_CACHE
ROOTFS=$CACHE/rootfs

FORCE=0
[ "${1:-}" = --force ] && FORCE=1

jr_need_root
mkdir -p "$CACHE"
# One build at a time.
exec 9>"$CACHE/.lock"
flock 9

app_hash=$( cd "$HERE/app" &&
            find . -type f ! -path '*/__pycache__/*' ! -path './.venv/*' ! -path './wheels/*' \
                 -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

in_root() {  # run a command inside the rootfs being built, with a clean environment
    local root=$1; shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"
}

build_base() {
    local new=$CACHE/rootfs.new t0 t1
    t0=$(jr_now_ns)
    jr_apt_install debootstrap
    rm -rf "$new" "$CACHE/wheels.new"
    jr_log "debootstrap --variant=minbase --include=$ROOTFS_PKGS $SUITE (log: $CACHE/debootstrap.log)"
    if ! debootstrap --variant=minbase --include="$ROOTFS_PKGS" "$SUITE" "$new" "$MIRROR" \
            > "$CACHE/debootstrap.log" 2>&1; then
        tail -20 "$CACHE/debootstrap.log" >&2
        jr_die "debootstrap failed (full log: $CACHE/debootstrap.log)"
    fi

    jr_log "building the app's wheelhouse from Debian packages: ${WHEEL_PKGS[*]}"
    mkdir -p "$new/tmp/debs"
    cp "$HERE/deb2wheel.py" "$new/tmp/deb2wheel.py"
    in_root "$new" apt-get update -q > "$CACHE/apt.log" 2>&1 ||
        { cat "$CACHE/apt.log" >&2; jr_die "apt-get update in the rootfs failed"; }
    in_root "$new" sh -c "chown _apt /tmp/debs 2>/dev/null; cd /tmp/debs && apt-get download -q ${WHEEL_PKGS[*]}" \
        >> "$CACHE/apt.log" 2>&1 ||
        { cat "$CACHE/apt.log" >&2; jr_die "apt-get download in the rootfs failed"; }
    in_root "$new" sh -c 'python3 /tmp/deb2wheel.py /tmp/wheels /tmp/debs/*.deb' >&2
    mv "$new/tmp/wheels" "$CACHE/wheels.new"

    jr_log "trimming the rootfs (apt lists and archives, docs, man pages, locales)"
    in_root "$new" apt-get clean
    rm -rf "$new"/var/lib/apt/lists/* "$new"/tmp/* "$new"/var/tmp/* \
           "$new"/usr/share/man "$new"/usr/share/info "$new"/usr/share/locale/* \
           "$new"/var/log/*.log "$new"/var/cache/debconf/*-old
    find "$new/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
    : > "$new/etc/resolv.conf"
    echo jitrun-demo > "$new/etc/hostname"

    rm -rf "$ROOTFS" "$CACHE/wheels"
    mv "$new" "$ROOTFS"
    mv "$CACHE/wheels.new" "$CACHE/wheels"
    rm -f "$CACHE/app.stamp"
    echo "$base_hash" > "$CACHE/base.stamp"
    t1=$(jr_now_ns)
    { jr_s $((t1 - t0)); echo; } > "$CACHE/base.seconds"
    jr_log "base rootfs built in $(jr_s $((t1 - t0))) s ($(du -sh "$ROOTFS" | cut -f1))"
}

install_app() {
    jr_log "installing demo/app into the rootfs at /app"
    rm -rf "$ROOTFS/app"
    mkdir -p "$ROOTFS/app"
    (cd "$HERE/app" && tar --exclude=__pycache__ --exclude=./.venv --exclude=./wheels -cf - .) |
        tar -C "$ROOTFS/app" --no-same-owner -xf -
    cp -a "$CACHE/wheels" "$ROOTFS/app/wheels"
    chown -R 0:0 "$ROOTFS/app"
    echo "$app_hash" > "$CACHE/app.stamp"
}

# The base's inputs: the recipe (the text of build_base and in_root), the package
# lists, suite, mirror, architecture and deb2wheel.py. Editing the rest of this
# script does not rebuild the base.
arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
base_hash=$( { declare -f build_base in_root; cat "$HERE/deb2wheel.py"
               echo "$SUITE $ROOTFS_PKGS ${WHEEL_PKGS[*]} $MIRROR $arch"; } |
             sha256sum | cut -c1-16)
app_hash="$base_hash-$app_hash"

if [ "$FORCE" = 1 ] || [ ! -d "$ROOTFS/usr" ] || [ ! -d "$CACHE/wheels" ] ||
   [ "$(cat "$CACHE/base.stamp" 2>/dev/null)" != "$base_hash" ]; then
    build_base
else
    jr_log "base rootfs up to date ($ROOTFS, stamp $base_hash)"
fi
if [ "$(cat "$CACHE/app.stamp" 2>/dev/null)" != "$app_hash" ]; then
    install_app
fi
