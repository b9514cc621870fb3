#!/bin/bash
# jitrun demo: the same Python app container started twice, cold then warm.
#
# The container's config.json carries run.jitrun.* annotations whose bootstrap
# creates a venv, pip-installs the app's dependencies (offline, from wheels shipped
# in the image) and byte-compiles them. On the first (cold) run jitrun runs that
# bootstrap and caches its result as an overlay layer; on the second (warm) run it
# mounts the cached layer and the app starts at once.
#
#   ./demo/run.sh                          # build jitrun, the rootfs, run cold + warm
#   RUNTIME=/usr/sbin/runc ./demo/run.sh   # same bundle under another runtime: runc
#                                          # ignores the annotations, so the bootstrap
#                                          # is run as part of the command, both times
# Environment: RUNTIME, JITRUN_DEMO_CACHE (rootfs cache, default /var/cache/jitrun-demo),
# JITRUN_DEMO_WORK (bundle, state, cache; default /var/tmp/jitrun-demo),
# JITRUN_DEMO_DEBUG=1 (jitrun --debug --log WORK/jitrun.log), JITRUN_DEMO_TIMEOUT
# (seconds per run, default 900), DEBIAN_MIRROR.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=demo/lib.sh
. "$HERE/lib.sh"
jr_need_root

WORK=${JITRUN_DEMO_WORK:-/var/tmp/jitrun-demo}
BUNDLE=$WORK/bundle
CACHE_DIR=$WORK/cache
mkdir -p "$WORK"

# --- 1. the runtime ------------------------------------------------------------
if [ -z "${RUNTIME:-}" ]; then
    RT=$JR_REPO/src/jitrun
    jr_log "installing build dependencies"
    if [ -x "$JR_REPO/contrib/install-deps.sh" ]; then
        "$JR_REPO/contrib/install-deps.sh" > "$WORK/deps.log" 2>&1 ||
            { tail -20 "$WORK/deps.log" >&2; jr_die "contrib/install-deps.sh failed"; }
    else
        jr_apt_install autoconf automake libtool pkg-config gcc make libyajl-dev \
            libseccomp-dev libcap-dev libmount-dev libcmocka-dev
    fi
    jr_log "building jitrun (log: $WORK/build.log)"
    (
        cd "$JR_REPO"
        if [ ! -f Makefile ]; then ./autogen.sh && ./configure; fi
        make -j2
    ) > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; jr_die "building jitrun failed"; }
    [ -x "$RT" ] || jr_die "the build produced no $RT"
else
    RT=$(command -v "$RUNTIME") || jr_die "RUNTIME=$RUNTIME: not found"
fi
RT_NAME=$(basename "$RT")
IS_JITRUN=0
jr_is_jitrun "$RT" && IS_JITRUN=1
STATE=/run/jitrun-demo/$RT_NAME

# --- 2. the app rootfs ------------------------------------------------------------
"$HERE/build-rootfs.sh"
LOWER=$JR_DEMO_CACHE/rootfs

# --- 3. the bundle ---------------------------------------------------------------
jr_jit_config "$BUNDLE" "$IS_JITRUN" jitrun-demo "$JR_DEMO_BOOTSTRAP" requirements.txt /app \
    -- /app/.venv/bin/python /app/app.py --name "$RT_NAME"

GLOBAL=(--root "$STATE")
if [ "$IS_JITRUN" = 1 ]; then
    GLOBAL+=(--cache-dir "$CACHE_DIR")
    [ "${JITRUN_DEMO_DEBUG:-0}" = 1 ] && GLOBAL+=(--debug --log "$WORK/jitrun.log")
fi
jr_log "clearing the demo cache dir $CACHE_DIR"
rm -rf "$CACHE_DIR"
mkdir -p "$CACHE_DIR" "$STATE"

ID=""
cleanup() {
    if [ -n "$ID" ]; then "$RT" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true; fi
    jr_umount_rootfs "$BUNDLE"
}
trap cleanup EXIT

# run_once LABEL -> sets ELAPSED_NS. Each run gets a fresh copy-on-write rootfs,
# as a containerd snapshot would be (the cached rootfs is never written).
run_once() {
    local label=$1 rc=0
    ID=jitrun-demo-$label
    "$RT" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
    jr_mount_rootfs "$LOWER" "$BUNDLE" "$WORK/scratch-$label"
    printf '\n\033[1m---------------- %s run: %s %s run --bundle %s %s ----------------\033[0m\n' \
        "$label" "$RT_NAME" "${GLOBAL[*]}" "$BUNDLE" "$ID"
    jr_run_watched ELAPSED_NS "$RT" "${GLOBAL[@]}" run --bundle "$BUNDLE" "$ID" || rc=$?
    jr_umount_rootfs "$BUNDLE"
    rm -rf "$WORK/scratch-$label"
    [ "$rc" = 124 ] && jr_die "$label run hung: killed after ${JITRUN_DEMO_TIMEOUT:-900} s"
    [ "$rc" = 0 ] || jr_die "$label run failed with exit code $rc"
    ID=""
}

jr_watchdog_start "${JITRUN_DEMO_TIMEOUT:-900}"

# --- 4. cold, then warm -------------------------------------------------------------
run_once cold; COLD=$ELAPSED_NS
run_once warm; WARM=$ELAPSED_NS

echo
printf '\033[1m================ jitrun demo: %s ================\033[0m\n' "$RT_NAME"
printf '  cold start (bootstrap runs):  %8s s\n' "$(jr_s "$COLD")"
printf '  warm start (cached layer):    %8s s\n' "$(jr_s "$WARM")"
printf '  speed-up:                     %8s x\n' "$(jr_ratio "$COLD" "$WARM")"
if [ "$IS_JITRUN" = 1 ]; then
    printf '  extension cache:              %8s  (%s)\n' "$(du -sh "$CACHE_DIR" | cut -f1)" "$CACHE_DIR"
else
    echo "  ($RT_NAME ignores the run.jitrun.* annotations: the bootstrap ran both times)"
fi
