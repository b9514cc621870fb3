# shellcheck shell=bash
# Shared by containerd.sh and podman.sh: the just-in-time extension cache
# (issue 3) driven through a client with annotations.
#
# Neither client hands a per-test environment to the runtime (containerd's
# shim inherits the daemon's environment; conmon passes only a few variables
# on), so each test gets its own cache through a wrapper that runs $RUNTIME
# with --cache-dir.

# ece_setup: per-test cache dir $ECE_CACHE, counter dir $ECE_COUNT (bind
# mounted at /count, outside the rootfs, so a bootstrap run leaves a trace
# that no layer can hide) and the runtime wrapper $ECE_RT.
ece_setup() {
	jitrun_only "the extension cache"
	ECE_CACHE=$T_DIR/cache
	ECE_COUNT=$T_DIR/count
	ECE_RT=$T_DIR/jitrun-with-cache
	mkdir -p "$ECE_COUNT"
	cat >"$ECE_RT" <<-EOF
		#!/bin/sh
		exec '$RUNTIME' --cache-dir '$ECE_CACHE' "\$@"
	EOF
	chmod 755 "$ECE_RT"
	ECE_BOOTSTRAP='["/bin/sh","-c","mkdir -p /opt; echo built > /opt/ext.txt; echo run >> /count/n; echo bootstrap-output"]'
	ECE_APP=demo-e2e
	ECE_VERSION=1.0.0
}

# ece_annotations: the annotation arguments of a cached container, one
# `--annotation K=V` pair per annotation.
ece_annotations() {
	ECE_ANN=(--annotation "run.jitrun.bootstrap=$ECE_BOOTSTRAP"
		--annotation "run.jitrun.app=$ECE_APP"
		--annotation "run.jitrun.version=$ECE_VERSION")
}

# ece_runs: how many times the bootstrap ran
ece_runs() { if [ -f "$ECE_COUNT/n" ]; then grep -c . "$ECE_COUNT/n"; else echo 0; fi; }

# ece_list: `cache list --format json` of the test's cache
ece_list() { "$RUNTIME" --cache-dir "$ECE_CACHE" cache list --format json; }

# ece_mounts: lines of /proc/mounts naming the cache dir (a mount point in
# it, or an overlay with a layer of it as lower dir)
ece_mounts() { grep -F -- "$ECE_CACHE" /proc/mounts || true; }

# ece_assert_one_idle_entry: exactly one layer, for our app and version, not
# in use, intact, no per-container dirs and nothing mounted.
ece_assert_one_idle_entry() {
	local list
	list=$(ece_list)
	assert_jq "$list" length 1 "cache entries"
	assert_jq "$list" '.[0].app' "$ECE_APP"
	assert_jq "$list" '.[0].version' "$ECE_VERSION"
	assert_jq "$list" '.[0].os' busybox
	assert_jq "$list" '.[0].inUse' false
	assert_eq "$(ece_mounts)" "" "mounts of the cache dir left"
	if [ -d "$ECE_CACHE/containers" ]; then
		assert_eq "$(find "$ECE_CACHE/containers" -mindepth 1 | wc -l)" 0 "per-container dirs left"
	fi
	expect_ok "$RUNTIME" --cache-dir "$ECE_CACHE" cache verify
}
