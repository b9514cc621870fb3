#!/usr/bin/env bash
# The just-in-time extension cache (issue 3): cold/warm, invalidation,
# whiteouts, single-flight, crash safety, failures, verify, gc.
. "$(dirname "$0")/../lib.sh"

# ec_bundle [JQ-FILTER]: bundle b whose bootstrap counts its runs in
# $T_DIR/host/count (a bind mount, outside the rootfs), installs
# /app/installed, deletes /base/file and replaces /base/dir.  The cache is
# $T_DIR/cache (JITRUN_CACHE_DIR).
ec_bundle() {
	export JITRUN_CACHE_DIR=$T_DIR/cache
	mkdir -p "$T_DIR/host"
	make_bundle b '.process.args = ["sh", "-c", "cat /app/installed"]
		| .process.cwd = "/app"
		| .mounts += [{"destination": "/host", "type": "bind", "source": ($ENV.T_DIR + "/host"), "options": ["rbind", "rw"]}]
		| .annotations = {
			"run.jitrun.bootstrap": (["sh", "-c", "echo run >> /host/count; echo installed-$(cat /app/deps.lock) > /app/installed; rm /base/file; rm -rf /base/dir; mkdir /base/dir; echo new > /base/dir/new; " + ($ENV.EXTRA // "")] | tojson),
			"run.jitrun.app": "demo",
			"run.jitrun.version": "1.0.0",
			"run.jitrun.manifest": "deps.lock"}'
	mkdir -p b/rootfs/app b/rootfs/base/dir
	echo v1 >b/rootfs/app/deps.lock
	echo base >b/rootfs/base/file
	echo inner >b/rootfs/base/dir/inner
	[ $# -gt 0 ] && bundle_jq b "$1"
	return 0
}

# ec_ann KEY VALUE: set annotation run.jitrun.KEY.
ec_ann() { bundle_jq b '.annotations["run.jitrun." + $ENV.K] = $ENV.V' K="$1" V="$2"; }
# ec_args 'shell code': the container's own command.
ec_args() { bundle_jq b '.process.args = ["sh", "-c", $ENV.C]' C="$1"; }

# ec_run: run a container of bundle b, print its stdout.
ec_run() {
	local id
	id=$(new_id)
	rt run --bundle "$T_DIR/b" "$id" </dev/null 2>>"$T_DIR/ec_run.err" || {
		local rc=$?
		sed 's/^/  ec_run stderr: /' "$T_DIR/ec_run.err" >&2
		return $rc
	}
}

runs() { if [ -f "$T_DIR/host/count" ]; then wc -l <"$T_DIR/host/count"; else echo 0; fi; }
entries() { "$RUNTIME" cache list --format json | jq length; }
staging_left() { find "$T_DIR/cache/staging" -mindepth 1 -maxdepth 1 | wc -l; }
no_test_procs() { ! pgrep -f -- "$T_PREFIX" >/dev/null; }

# kill9_container ID: kill -9 every jitrun process of a container being
# created (the CLI and the container init), as a crash would.  The cgroups
# of a container killed before its state was written are not the cache's
# business (no state: `delete --force` cannot find them): removed here so
# the leak check looks at what the cache left.
kill9_container() {
	local id=$1 p
	# only the runtime's processes name the full container id (the
	# bootstrap's command names the test prefix only)
	for p in $(pgrep -f -- "$id"); do
		kill -9 "$p" 2>/dev/null || true
	done
	wait || true
	wait_for -t 10 no_test_procs
	rt delete --force "$id" >/dev/null 2>&1 || true
	find /sys/fs/cgroup -depth -maxdepth 8 -type d -name "$id" -exec rmdir {} + 2>/dev/null || true
}

# all_sealed: every entry's seal (sync + digest, in the background) is done
all_sealed() { [ "$("$RUNTIME" cache list --format json | jq '[.[] | select(.sealed | not)] | length')" = 0 ]; }
# sealers: how many `cache seal` of this test's cache run ([c]: not pgrep's own caller)
sealers() { pgrep -f -- "--cache-dir $T_DIR/cache [c]ache seal" | wc -l; }
sealers_are() { [ "$(sealers)" = "$1" ]; }

trash_left() { find "$T_DIR/cache/trash" -mindepth 1 -maxdepth 1 | wc -l; }
trash_empty() { [ "$(trash_left)" = 0 ]; }
spares() { find "$T_DIR/cache/spare" -mindepth 1 -maxdepth 1 -name 's.*' | wc -l; }
spares_are() { [ "$(spares)" = "$1" ]; }

test_delete_moves_container_dirs_to_trash_emptied_in_batches() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	local before
	before=$(trash_left)
	# one delete: a rename into trash/, no removal on delete's path
	ec_run >/dev/null
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0
	assert_eq "$(trash_left)" $((before + 1)) "delete did not move the container's dirs into trash"
	assert_match "$(ls "$T_DIR/cache/trash")" 'c-.*[.][0-9a-f]{16}'
	# the 32nd dir in trash starts the background emptier (before: none)
	for i in $(seq $((31 - $(trash_left)))); do ec_run >/dev/null; done
	assert_eq "$(trash_left)" 31
	ec_run >/dev/null
	wait_for -t 20 trash_empty
	# the dirs of containers that wrote nothing came back as spares, and the
	# pool was topped up: the next create takes one with a rename
	wait_for spares_are 64
	ec_run >/dev/null
	assert_eq "$(spares)" 63
	# and the CLI empties it on demand
	assert_eq "$(trash_left)" 1
	expect_ok "$RUNTIME" cache empty-trash
	assert_eq "$(trash_left)" 0
	assert_eq "$(spares)" 64
	expect_fail "$RUNTIME" cache empty-trash extra
	assert_contains "$ERR" "unexpected argument"
}

test_no_annotation_no_cache() {
	jitrun_only
	ec_bundle 'del(.annotations)'
	ec_args 'echo plain'
	assert_eq "$(ec_run)" plain
	assert_file_absent "$T_DIR/cache" "a container without the annotation touched the cache"
}

test_cold_then_warm() {
	jitrun_only
	ec_bundle
	assert_eq "$(ec_run)" installed-v1 "cold run sees the bootstrap's files"
	assert_eq "$(runs)" 1
	assert_eq "$(ec_run)" installed-v1 "warm run sees the layer"
	assert_eq "$(runs)" 1 "the bootstrap ran again on a hit"
	wait_for all_sealed
	local list
	list=$("$RUNTIME" cache list --format json)
	assert_jq "$list" 'length' 1
	assert_jq "$list" '.[0].app' demo
	assert_jq "$list" '.[0].version' 1.0.0
	assert_jq "$list" '.[0].os' busybox
	assert_jq "$list" '.[0].inUse' false
	assert_jq "$list" '.[0].digest | startswith("sha256:")' true
	# delete removed the per-container dirs, the layer stays
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0
	assert_eq "$(staging_left)" 0
	# cache dir is private
	assert_eq "$(stat -c %a "$T_DIR/cache")" 700
	# inspect by prefix
	local key
	key=$(printf '%s' "$list" | jq -r '.[0].key')
	expect_ok "$RUNTIME" cache inspect "${key:0:10}"
	assert_jq "$OUT" '.key' "$key"
}

test_commit_is_sealed_in_background() {
	jitrun_only
	ec_bundle
	# the sealer create starts sleeps first: the entry stays unsealed
	assert_eq "$(JITRUN_TEST_SEAL_DELAY=60 ec_run)" installed-v1
	local list key
	list=$("$RUNTIME" cache list --format json)
	key=$(printf '%s' "$list" | jq -r '.[0].key')
	assert_jq "$list" '.[0].sealed' false
	assert_jq "$list" '.[0].digest' null
	assert_file_contains "$T_DIR/cache/layers/$key/unsealed" "$(cat /proc/sys/kernel/random/boot_id)"
	wait_for sealers_are 1
	assert_match "$(pgrep -af -- "--cache-dir $T_DIR/cache [c]ache seal")" "cache seal $key\$"
	# an unsealed entry from this boot is a hit, and no second sealer starts
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(runs)" 1 "an unsealed entry was not used"
	assert_eq "$(sealers)" 1
	# a sealer that dies leaves the entry unsealed; the next create starts another
	pkill -9 -f -- "--cache-dir $T_DIR/cache [c]ache seal"
	wait_for sealers_are 0
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].sealed' false
	assert_eq "$(ec_run)" installed-v1
	wait_for all_sealed
	assert_file_absent "$T_DIR/cache/layers/$key/unsealed"
	list=$("$RUNTIME" cache list --format json)
	assert_jq "$list" '.[0].digest | startswith("sha256:")' true
	assert_jq "$list" '.[0].size > 0' true
	assert_jq "$list" '.[0].fileCount > 0' true
	assert_eq "$(runs)" 1
	expect_ok "$RUNTIME" cache verify
	# by hand: nothing left to seal
	expect_ok "$RUNTIME" cache seal
	expect_ok "$RUNTIME" cache seal "${key:0:8}"
}

# An entry committed in an earlier boot and never sealed may be torn (its
# data was in the page cache when the machine went down): never used,
# rebuilt by the next create, reported by verify, removed by gc.
test_torn_entry_is_replaced() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	expect_ok "$RUNTIME" cache seal
	local key mark
	key=$("$RUNTIME" cache list --format json | jq -r '.[0].key')
	mark=$T_DIR/cache/layers/$key/unsealed
	echo 00000000-0000-4000-8000-000000000000 >"$mark"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].torn' true
	expect_fail "$RUNTIME" cache verify
	assert_contains "$OUT" "CORRUPTED: committed before the machine restarted"
	expect_fail "$RUNTIME" cache seal "$key"
	assert_contains "$ERR" "never sealed"
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(runs)" 2 "a torn entry was used"
	assert_eq "$(entries)" 1
	wait_for all_sealed
	expect_ok "$RUNTIME" cache verify
	echo 00000000-0000-4000-8000-000000000000 >"$mark"
	expect_ok "$RUNTIME" cache gc
	assert_contains "$OUT" "torn"
	assert_eq "$(entries)" 0
	assert_eq "$(trash_left)" 0
}

# An entry whose layer dir went missing (removed by hand): the runtime
# fails to make the hit's overlay, says which dir, and leaves no container
# dir (its in-use marker), state, cgroup or mount behind (the leak check).
test_broken_entry_fails_cleanly() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	local key
	key=$("$RUNTIME" cache list --format json | jq -r '.[0].key')
	rm -rf "$T_DIR/cache/layers/$key/layer"
	expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_contains "$ERR" "layers/$key/layer"
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0 "a container dir was left"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' false
	assert_eq "$(runs)" 1
}

# hit_overlay_log FILE: run a container of bundle b with debug lines in
# FILE, print its stdout.
hit_overlay_log() {
	rt --debug --log "$1" run --bundle "$T_DIR/b" "$(new_id)" </dev/null
}

# A hit's dirs and overlay are made after the fork when the init creates a
# network namespace (meanwhile), before it otherwise (the host's network,
# or one joined by path).  Either way the container runs on the layer, and
# a broken entry fails the create with the same error, leaving nothing.
test_hit_overlay_before_or_after_fork() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	cp b/config.json "$T_DIR/netns.json"
	bundle_jq b 'del(.linux.namespaces[] | select(.type == "network"))'
	cp b/config.json "$T_DIR/hostnet.json"
	bundle_jq b '.linux.namespaces += [{"type": "network", "path": "/proc/self/ns/net"}]'
	cp b/config.json "$T_DIR/joined.json"
	local kind
	for kind in netns hostnet joined; do
		cp "$T_DIR/$kind.json" b/config.json
		assert_eq "$(hit_overlay_log "$T_DIR/$kind.log")" installed-v1 "$kind: no layer"
		assert_contains "$(cat "$T_DIR/$kind.log")" "prepared in"
	done
	assert_contains "$(cat "$T_DIR/netns.log")" "its dirs and overlay come after the fork"
	assert_not_contains "$(cat "$T_DIR/hostnet.log")" "after the fork"
	assert_not_contains "$(cat "$T_DIR/joined.log")" "after the fork"
	assert_eq "$(runs)" 1
	local key
	key=$("$RUNTIME" cache list --format json | jq -r '.[0].key')
	mv "$T_DIR/cache/layers/$key/layer" "$T_DIR/layer.away"
	for kind in netns hostnet; do
		cp "$T_DIR/$kind.json" b/config.json
		expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
		assert_contains "$ERR" "layers/$key/layer"
	done
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0 "a container dir was left"
	assert_eq "$(grep -c "$T_DIR/cache" /proc/self/mountinfo)" 0 "a mount of the cache was left"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' false
	mv "$T_DIR/layer.away" "$T_DIR/cache/layers/$key/layer"
	assert_eq "$(hit_overlay_log "$T_DIR/again.log")" installed-v1 "no layer once it is back"
	assert_eq "$(runs)" 1
}

# A hit is prepared before the fork (the runtime records it at once), so a
# create that fails later must undo it: once in the init (a spec mount
# that cannot be made, after the overlay was attached), once in the
# runtime (a createRuntime hook that fails while the init waits).  Nothing
# of the container may stay in the cache, and the layer is not in use.
test_failed_create_on_hit_leaves_nothing() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	cp b/config.json "$T_DIR/good.json"
	create_fails_on_hit '.mounts += [{"destination": "/nope", "type": "bind", "source": "/nonexistent-jitrun-test", "options": ["bind"]}]' \
		nonexistent-jitrun-test
	create_fails_on_hit '.hooks.createRuntime = [{"path": "/bin/false"}]' createRuntime
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0 "a container dir was left"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' false
	assert_eq "$(grep -c "$T_DIR/cache" /proc/self/mountinfo)" 0 "a mount of the cache was left"
	assert_eq "$(runs)" 1
}
# create_fails_on_hit JQ-FILTER WORD: a create of good.json changed by
# JQ-FILTER fails, names WORD, and leaves neither its cache dir nor its state.
create_fails_on_hit() {
	local id
	cp "$T_DIR/good.json" b/config.json
	bundle_jq b "$1"
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	assert_contains "$ERR" "$2"
	assert_file_absent "$T_DIR/cache/containers/$id"
	assert_file_absent "$T_ROOT/$id"
}

# In a user namespace the init is an unprivileged user on the host, which
# can use neither the root-only cache nor root-owned upper dirs: refused
# with a clear error before anything is created.
test_user_namespace_refused() {
	jitrun_only
	ec_bundle '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_contains "$ERR" "does not support containers with a user namespace"
	assert_eq "$(runs)" 0
	assert_file_absent "$T_DIR/cache/containers"
}

test_readonly_root_on_hit() {
	jitrun_only
	ec_bundle '.root.readonly = true'
	ec_run >/dev/null
	ec_args 'cat /app/installed; touch /app/x 2>/dev/null && echo writable || echo readonly'
	assert_eq "$(ec_run | tr '\n' ' ')" "installed-v1 readonly "
	assert_eq "$(runs)" 1
}

# overlay_work_in_cache: run a container on a hit that stays up, report whether
# the overlay's work dirs are in the cache (writable root) or not (a
# read-only root's upper is a detached tmpfs).
overlay_work_in_cache() {
	local id
	ec_args 'cat /app/installed; exec sleep 100'
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	wait_file_contains "$T_DIR/$id.out" installed-v1
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' true
	find "$T_DIR/cache/containers/$id/work" -mindepth 1 | wc -l
	rt delete --force "$id" >/dev/null
}

test_readonly_root_hit_upper_on_tmpfs() {
	jitrun_only
	ec_bundle '.root.readonly = true'
	ec_run >/dev/null
	assert_eq "$(overlay_work_in_cache)" 0 "a read-only root's overlay used work dirs in the cache"
	bundle_jq b '.root.readonly = false'
	assert_ne "$(overlay_work_in_cache)" 0 "a writable root's overlay has no work dirs in the cache"
	assert_eq "$(runs)" 1
}

test_writes_stay_per_container() {
	jitrun_only
	ec_bundle '.root.readonly = false'
	ec_args 'cat /app/installed; echo mine > /app/installed; cat /app/installed'
	assert_eq "$(ec_run | tr '\n' ' ')" "installed-v1 mine "
	assert_eq "$(ec_run | tr '\n' ' ')" "installed-v1 mine " "a container's write leaked into the layer"
}

test_whiteouts() {
	jitrun_only
	ec_bundle
	ec_args 'ls /base | tr "\n" " "; echo; ls /base/dir | tr "\n" " "'
	local cold warm
	cold=$(ec_run)
	warm=$(ec_run)
	assert_eq "$(runs)" 1
	assert_eq "$cold" "$(printf 'dir \nnew ')" "cold: deleted file / replaced dir"
	assert_eq "$warm" "$cold" "warm: whiteouts lost in the layer"
}

test_invalidate_version() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	ec_ann version 1.0.1
	ec_run >/dev/null
	assert_eq "$(runs)" 2 "a new version must bootstrap"
	ec_ann version 1.0.0
	ec_run >/dev/null
	assert_eq "$(runs)" 2 "the old version's layer is still there"
	assert_eq "$(entries)" 2
}

test_invalidate_manifest() {
	jitrun_only
	ec_bundle
	assert_eq "$(ec_run)" installed-v1
	echo v2 >b/rootfs/app/deps.lock
	assert_eq "$(ec_run)" installed-v2
	assert_eq "$(runs)" 2
	echo v1 >b/rootfs/app/deps.lock
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(runs)" 2
}

test_invalidate_arch() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	JITRUN_TEST_ARCH=arm64 ec_run >/dev/null
	assert_eq "$(runs)" 2
	JITRUN_TEST_ARCH=arm/v7 ec_run >/dev/null
	assert_eq "$(runs)" 3
	JITRUN_TEST_ARCH=arm64 ec_run >/dev/null
	assert_eq "$(runs)" 3
	assert_contains "$("$RUNTIME" cache list --format json | jq -r '.[] | .architecture + "/" + .variant' | sort | tr '\n' ' ')" "arm/v7"
}

test_invalidate_compat_major() {
	jitrun_only
	ec_bundle
	ec_ann compat major
	ec_ann version 2.3.1
	ec_run >/dev/null
	ec_ann version 2.9.0
	ec_run >/dev/null
	assert_eq "$(runs)" 1 "2.9.0 must reuse 2.3.1's layer under compat=major"
	ec_ann version 3.0.0
	ec_run >/dev/null
	assert_eq "$(runs)" 2 "3.0.0 must not reuse a 2.x layer"
	ec_ann compat exact
	ec_ann version 2.9.0
	ec_run >/dev/null
	assert_eq "$(runs)" 3 "exact must not reuse a compat=major layer"
}

test_parallel_single_flight() {
	jitrun_only
	ec_bundle
	ec_ann bootstrap '["sh", "-c", "echo run >> /host/count; sleep 1; echo installed-par > /app/installed"]'
	local i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		(ec_run >"$T_DIR/par.$i" 2>&1) &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6 7 8; do
		wait "${pids[i - 1]}" || fail "parallel create $i failed: $(cat "$T_DIR/par.$i")"
	done
	assert_eq "$(runs)" 1 "8 parallel creates of one key ran the bootstrap more than once"
	for i in 1 2 3 4 5 6 7 8; do
		assert_eq "$(cat "$T_DIR/par.$i")" installed-par "container $i"
	done
	assert_eq "$(entries)" 1
}

test_bootstrap_failure() {
	jitrun_only
	ec_bundle
	ec_ann bootstrap '["sh", "-c", "echo run >> /host/count; echo partial > /app/installed; exit 3"]'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_contains "$ERR" "bootstrap exited with 3"
	assert_eq "$(entries)" 0
	assert_eq "$(staging_left)" 0
	# a later create takes over and succeeds
	ec_ann bootstrap '["sh", "-c", "echo run >> /host/count; echo fixed > /app/installed"]'
	assert_eq "$(ec_run)" fixed
}

# A cache on a full filesystem: the bootstrap that fills it fails, and so
# does a commit that finds no room left; each error says the filesystem is
# full (the bootstrap's own ENOSPC is only in the container's output), and
# leaves no entry, staging dir, container dir or mount.  Once the space is
# back, the next create commits.
test_full_cache_filesystem() {
	jitrun_only
	ec_bundle
	mkdir -p "$T_DIR/cache"
	mount -t tmpfs -o size=4m tmpfs "$T_DIR/cache" || fail "mount a small tmpfs for the cache"
	local id fill='dd if=/dev/zero of=/app/fill bs=64k 2>/dev/null'
	ec_ann bootstrap "[\"sh\", \"-c\", \"$fill\"]"
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_contains "$ERR" "bootstrap exited with 1 (the cache's filesystem is full: 0 KiB free under \`$T_DIR/cache\`)"
	ec_ann bootstrap "[\"sh\", \"-c\", \"$fill; true\"]"
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_contains "$ERR" "commit the layer of demo 1.0.0: "
	assert_contains "$ERR" "No space left on device (the cache's filesystem is full"
	assert_eq "$(entries)" 0
	assert_eq "$(staging_left)" 0
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0 "a container dir was left"
	assert_eq "$(grep -c "$T_DIR/cache/" /proc/self/mountinfo)" 0 "a mount in the cache was left"
	ec_ann bootstrap '["sh", "-c", "echo run >> /host/count; echo small > /app/installed"]'
	assert_eq "$(ec_run)" small
	assert_eq "$(entries)" 1
	wait_for -t 30 all_sealed
	umount "$T_DIR/cache" || umount -l "$T_DIR/cache"
}

test_bootstrap_timeout() {
	jitrun_only
	ec_bundle
	ec_ann timeout 1
	# the marker puts the test prefix on the command line: a survivor is a leak
	ec_ann bootstrap "[\"sh\", \"-c\", \"sleep 97 & sleep 98; : $T_PREFIX\"]"
	local id t0 t1
	id=$(new_id)
	t0=$(date +%s)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	t1=$(date +%s)
	assert_contains "$ERR" "bootstrap timed out after 1 s"
	assert_le $((t1 - t0)) 10 "the timeout was not enforced"
	assert_eq "$(pgrep -f -- "$T_PREFIX" | wc -l)" 0 "bootstrap processes survived the timeout"
	assert_eq "$(entries)" 0
	assert_eq "$(staging_left)" 0
}

test_kill9_during_bootstrap() {
	jitrun_only
	ec_bundle
	ec_ann bootstrap "[\"sh\", \"-c\", \"echo start >> /host/started; sleep 99; : $T_PREFIX\"]"
	local id
	id=$(new_id)
	rt run --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1 &
	wait_file_contains "$T_DIR/host/started" start
	kill9_container "$id"
	assert_eq "$(entries)" 0 "a killed bootstrap left an entry"
	assert_eq "$(staging_left)" 1 "expected the killed bootstrap's staging dir"
	# the next create cleans the stale staging dir and builds the entry
	ec_bundle
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(entries)" 1
	assert_eq "$(staging_left)" 0
}

test_kill9_of_the_bootstrap() {
	jitrun_only
	ec_bundle
	# the bootstrap's shell carries the test prefix on its command line
	ec_ann bootstrap "[\"sh\", \"-c\", \"echo start >> /host/started; sleep 99; : $T_PREFIX\"]"
	local id
	id=$(new_id)
	(
		rc=0
		rt run --bundle "$T_DIR/b" "$id" </dev/null >"$T_DIR/run.out" 2>"$T_DIR/run.err" || rc=$?
		echo $rc >"$T_DIR/run.rc"
	) &
	wait_file_contains "$T_DIR/host/started" start
	local p exe
	exe=$(readlink -f "$RUNTIME")
	for p in $(pgrep -f -- ": $T_PREFIX"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" != "$exe" ] && kill -9 "$p"
	done
	wait || true
	assert_ne "$(cat "$T_DIR/run.rc")" 0
	assert_file_contains "$T_DIR/run.err" "bootstrap exited with 137"
	assert_eq "$(entries)" 0
	assert_eq "$(staging_left)" 0
}

test_kill9_during_commit() {
	jitrun_only
	ec_bundle
	local id
	id=$(new_id)
	JITRUN_TEST_COMMIT_DELAY=30 rt run --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1 &
	# meta.json in a staging dir: the commit is in progress
	wait_for bash -c "ls '$T_DIR'/cache/staging/*/meta.json"
	kill9_container "$id"
	assert_eq "$(entries)" 0 "an interrupted commit left an entry"
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(runs)" 2
	assert_eq "$(entries)" 1
	assert_eq "$(staging_left)" 0
	expect_ok "$RUNTIME" cache verify
}

test_verify_detects_change() {
	jitrun_only
	ec_bundle
	ec_run >/dev/null
	expect_ok "$RUNTIME" cache verify
	assert_contains "$OUT" ": ok"
	local f
	f=$(echo "$T_DIR"/cache/layers/*/layer/app/installed)
	echo tampered >"$f"
	expect_fail "$RUNTIME" cache verify
	assert_contains "$OUT" "CORRUPTED"
	echo installed-v1 >"$f"
	expect_ok "$RUNTIME" cache verify
}

# --cache-max-size (here $JITRUN_CACHE_MAX_SIZE, 1 byte: every entry not in
# use is over it): each commit starts a background `cache gc --max-size`
# instead of a plain seal.  It seals the new entry, keeps it while its
# container exists, and removes the older one once its container is gone.
gc_chores() { pgrep -f -- "--cache-dir $T_DIR/cache [c]ache gc --max-size" | wc -l; }
no_gc_chore() { [ "$(gc_chores)" = 0 ]; }
# create_then_gc DEPS: create a container (left in `created`) whose manifest
# holds DEPS, wait for the gc its commit started; prints the container id.
create_then_gc() {
	local id
	id=$(new_id)
	echo "$1" >b/rootfs/app/deps.lock
	rt create --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1 || fail "create with deps $1"
	wait_for -t 30 no_gc_chore
	echo "$id"
}
test_max_size_kept_after_each_commit() {
	jitrun_only
	ec_bundle
	export JITRUN_CACHE_MAX_SIZE=1
	local id
	id=$(create_then_gc v1)
	assert_eq "$(entries)" 1 "the gc removed an entry in use"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].sealed' true
	expect_ok rt delete --force "$id"
	# a new key: its commit starts the gc that removes the first entry
	id=$(create_then_gc v2)
	assert_eq "$(entries)" 1 "the size bound was not kept"
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' true
	expect_ok rt delete --force "$id"
	# without a bound, a commit leaves the other entries alone
	unset JITRUN_CACHE_MAX_SIZE
	echo v3 >b/rootfs/app/deps.lock
	assert_eq "$(ec_run)" installed-v3
	wait_for -t 30 all_sealed
	assert_eq "$(entries)" 2
	# by hand, `cache gc` without --max-size keeps the bound too
	JITRUN_CACHE_MAX_SIZE=1 expect_ok "$RUNTIME" cache gc
	assert_eq "$(entries)" 0 "cache gc ignored \$JITRUN_CACHE_MAX_SIZE"
}

test_gc_keeps_in_use() {
	jitrun_only
	ec_bundle
	ec_args 'cat /app/installed; sleep 1000'
	local id old
	ec_ann version 0.9.0
	ec_args 'cat /app/installed'
	ec_run >/dev/null
	old=$("$RUNTIME" cache list --format json | jq -r '.[0].key')
	ec_ann version 1.0.0
	ec_args 'sleep 1000'
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	assert_eq "$(entries)" 2
	expect_ok "$RUNTIME" cache gc --max-size 0
	assert_contains "$OUT" "removed $old"
	assert_eq "$(entries)" 1
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' true
	expect_fail "$RUNTIME" cache rm "$("$RUNTIME" cache list --format json | jq -r '.[0].key')"
	assert_contains "$ERR" "in use"
	rt delete --force "$id"
	expect_ok "$RUNTIME" cache gc --max-age 1h
	assert_eq "$(entries)" 1 "--max-age removed a fresh entry"
	expect_ok "$RUNTIME" cache gc --max-size 0
	assert_eq "$(entries)" 0
}

# A container nobody deletes (the host rebooted: its processes and its
# state in /run are gone) must not pin its layer and dirs forever.
test_gc_frees_what_gone_containers_held() {
	jitrun_only
	ec_bundle
	ec_args 'sleep 1000'
	local miss hit id
	miss=$(new_id)
	hit=$(new_id)
	rt_create "$miss" "$T_DIR/b" # its init made its dir after the bootstrap
	rt_create "$hit" "$T_DIR/b"  # the runtime made this one, before the fork
	assert_eq "$(runs)" 1
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 -maxdepth 1 | wc -l)" 2
	for id in "$miss" "$hit"; do
		rt kill "$id" KILL
		wait_status "$id" stopped
	done
	# stopped, not deleted: they still exist, and so does their use
	expect_ok "$RUNTIME" cache gc --max-size 0
	assert_eq "$(entries)" 1 "gc removed the layer of existing containers"
	for id in "$miss" "$hit"; do mv "$T_ROOT/$id" "$T_DIR/saved-$id"; done
	assert_jq "$("$RUNTIME" cache list --format json)" '.[0].inUse' false
	expect_ok "$RUNTIME" cache gc --max-size 0
	assert_contains "$OUT" removed
	assert_eq "$(entries)" 0
	assert_eq "$(find "$T_DIR/cache/containers" -mindepth 1 | wc -l)" 0 "gc left the gone containers' dirs"
	# their state back (for the cgroups): delete finds nothing left to do in the cache
	for id in "$miss" "$hit"; do
		mv "$T_DIR/saved-$id" "$T_ROOT/$id"
		rt delete "$id"
	done
}

# Layers go to the kernel as fds (Linux 6.13+), else as /proc/self/fd
# paths; JITRUN_TEST_OVERLAY_PATHS=1 takes the older kernels' way here.
test_overlay_layers_as_fds_or_paths() {
	jitrun_only
	ec_bundle
	local root_line='grep " / / " /proc/self/mountinfo; cat /app/installed' out k
	ec_args "$root_line"
	out=$(ec_run)
	k=$(uname -r)
	if [ "$(printf '%s\n' 6.13 "${k%%-*}" | sort -V | head -1)" = 6.13 ]; then
		assert_contains "$out" "lowerdir+=$T_DIR/cache/layers/"
	else
		assert_contains "$out" "lowerdir=/proc/self/fd/"
	fi
	assert_contains "$out" installed-v1
	# the same with paths: a miss (a new version), a hit, a read-only hit
	export JITRUN_TEST_OVERLAY_PATHS=1
	ec_ann version 2.0.0
	out=$(ec_run)
	assert_contains "$out" "lowerdir=/proc/self/fd/"
	assert_contains "$out" installed-v1
	assert_eq "$(runs)" 2
	assert_contains "$(ec_run)" installed-v1
	bundle_jq b '.root.readonly = true'
	out=$(ec_run)
	assert_contains "$out" "lowerdir=/proc/self/fd/"
	assert_contains "$out" installed-v1
	assert_eq "$(runs)" 2
}

test_mode_ro() {
	jitrun_only
	ec_bundle
	ec_ann mode ro
	assert_eq "$(ec_run)" installed-v1 "ro miss still runs the bootstrap"
	assert_eq "$(entries)" 0 "ro committed a layer"
	ec_ann mode rw
	ec_run >/dev/null
	assert_eq "$(runs)" 2
	ec_ann mode ro
	assert_eq "$(ec_run)" installed-v1
	assert_eq "$(runs)" 2 "ro did not use the existing layer"
}

test_bad_annotations() {
	jitrun_only
	ec_bundle
	ec_ann compat sometimes
	expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_contains "$ERR" "run.jitrun.compat"
	ec_ann compat exact
	ec_ann manifest missing.lock
	expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_contains "$ERR" "missing.lock"
}

t_main "$@"
