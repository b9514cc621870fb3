#!/usr/bin/env bash
# End to end with podman (`podman --runtime $RUNTIME`), with private
# containers.conf, storage.conf and registries.conf, run from a scratch dir
# (conmon 2.1.6 drops its oom marker into its cwd).
. "$(dirname "$0")/lib-e2e.sh"
. "$(dirname "$0")/extcache-e2e.sh"

suite_setup() {
	need_cmds podman conmon umoci skopeo || return 1
	PD=$T_TMP/podman
	mkdir -p "$PD/work"
	# ulimits podman asks for must fit under this host's hard limits
	local nofile nproc
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	[ "$nofile" -gt 1048576 ] && nofile=1048576
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] && nproc=32768
	[ "$nproc" -gt 32768 ] && nproc=32768
	cat >"$PD/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
		netns = "none"
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		lock_type = "file"
		events_logger = "file"
		events_logfile_path = "$PD/events.log"
		tmp_dir = "$PD/tmp"
		volume_path = "$PD/volumes"
		[network]
		network_config_dir = "$PD/net"
	EOF
	cat >"$PD/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		runroot = "$PD/runroot"
		graphroot = "$PD/graphroot"
	EOF
	echo 'unqualified-search-registries = []' >"$PD/registries.conf"
	export CONTAINERS_CONF=$PD/containers.conf
	export CONTAINERS_STORAGE_CONF=$PD/storage.conf
	export CONTAINERS_REGISTRIES_CONF=$PD/registries.conf
	NPROC=$nproc
	export PD NPROC
	build_image_archive "$PD/busybox.tar" || return 1
	p load -i "$PD/busybox.tar" || return 1
	p image exists "$E2E_IMAGE" || {
		echo "image $E2E_IMAGE not loaded"
		return 1
	}
}

suite_teardown() {
	local rc=0 left
	p rm -a -f -t 0 >/dev/null 2>&1
	p rmi -a -f >/dev/null 2>&1
	p system reset -f >/dev/null 2>&1
	left=$(pgrep -f -- "conmon.*$PD" | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "conmon processes left: $left"
		# shellcheck disable=SC2086
		kill -9 $left 2>/dev/null
		rc=1
	fi
	# containers/storage keeps its overlay dir mounted until reset; only
	# mounts of containers count as leftovers
	left=$(mounts_under "$PD" | grep -E '/merged$|/userdata/' || true)
	if [ -n "$left" ]; then
		echo "container mounts left: $left"
		rc=1
	fi
	umount_under "$PD"
	# podman's cgroup parent (and conmon's cgroup in it), if no other podman
	# uses them
	local d
	for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
		[ -d "$d" ] && rmdir "$d/conmon" "$d" 2>/dev/null
	done
	return $rc
}

# p ARGS...: podman with the runtime under test ($P_RUNTIME if a test sets
# it, e.g. a wrapper), from the scratch dir.
# (The runtime keeps its default --root: podman 4.3 does not pass
# --runtime-flag to the cleanup process that conmon starts, and no
# static_dir either: the cleanup process derives it from --root.)
p() {
	(cd "$PD/work" && timeout -k 5 180 podman --runtime "${P_RUNTIME:-$RUNTIME}" \
		--cgroup-manager cgroupfs --events-backend file "$@")
}
# rtstate CID: the runtime's own view of a podman container
rtstate() { "$RUNTIME" state "$1"; }
prun() { p run --network none "$@"; }

inspect() { p inspect -f "$2" "$1"; }

t_cleanup_hook() {
	local id
	for id in $(p ps -a --format '{{.Names}}' 2>/dev/null | grep -F -- "$T_PREFIX"); do
		p rm -f -t 0 "$id" >/dev/null 2>&1
	done
}

test_run_stdout() {
	OUT=$(prun --rm --name "$(new_id)" "$E2E_IMAGE" sh -c 'echo hello from $(grep ^ID= /etc/os-release)')
	assert_eq "$OUT" "hello from ID=busybox"
}

test_exit_code() {
	local rc=0
	prun --rm --name "$(new_id)" "$E2E_IMAGE" sh -c 'exit 7' >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 7 "exit code through podman run"
}

test_annotations_reach_runtime() {
	local id
	id=$(new_id)
	prun -d --name "$id" --annotation org.jitrun.e2e=yes "$E2E_IMAGE" sleep 1000 >/dev/null
	local cid
	cid=$(inspect "$id" '{{.Id}}')
	OUT=$(rtstate "$cid")
	assert_jq "$OUT" .status running
	assert_jq "$OUT" '.annotations["org.jitrun.e2e"]' yes
}

test_exec() {
	local id rc=0
	id=$(new_id)
	prun -d --name "$id" --env FOO=bar "$E2E_IMAGE" sleep 1000 >/dev/null
	OUT=$(p exec "$id" sh -c 'echo $FOO; id -u')
	assert_eq "$OUT" "bar
0"
	OUT=$(p exec --user 1000:1000 --workdir /tmp --env X=y "$id" sh -c 'id -u; pwd; echo $X')
	assert_eq "$OUT" "1000
/tmp
y"
	p exec "$id" sh -c 'exit 3' || rc=$?
	assert_eq "$rc" 3 "exit code of podman exec"
	assert_eq "$(inspect "$id" '{{.State.Status}}')" running
}

test_top_and_ps() {
	local id
	id=$(new_id)
	prun -d --name "$id" "$E2E_IMAGE" sleep 1000 >/dev/null
	OUT=$(p top "$id")
	assert_contains "$OUT" "sleep 1000"
	OUT=$(p ps --format '{{.Names}} {{.Status}}')
	assert_match "$OUT" "$id Up"
}

test_pause_resume() {
	local id pid
	id=$(new_id)
	prun -d --name "$id" "$E2E_IMAGE" sleep 1000 >/dev/null
	pid=$(inspect "$id" '{{.State.Pid}}')
	p pause "$id" >/dev/null
	assert_eq "$(inspect "$id" '{{.State.Status}}')" paused
	[ -d /sys/fs/cgroup/freezer ] && assert_eq "$(cg_read "$pid" freezer freezer.state)" FROZEN
	p unpause "$id" >/dev/null
	assert_eq "$(inspect "$id" '{{.State.Status}}')" running
	[ -d /sys/fs/cgroup/freezer ] && assert_eq "$(cg_read "$pid" freezer freezer.state)" THAWED
	true
}

test_kill_reaches_trap() {
	local id
	id=$(new_id)
	prun -d --name "$id" "$E2E_IMAGE" sh -c 'trap "echo got-term; exit 42" TERM; echo up; while :; do sleep 0.1; done' >/dev/null
	_up() { p logs "$id" | grep -q up; }
	wait_for _up
	p kill -s TERM "$id" >/dev/null
	OUT=$(p wait "$id")
	assert_eq "$OUT" 42 "exit code after the trap"
	assert_contains "$(p logs "$id")" got-term
	p rm "$id" >/dev/null
}

test_sigkill_and_rm() {
	local id pid cid
	id=$(new_id)
	prun -d --name "$id" "$E2E_IMAGE" sleep 1000 >/dev/null
	pid=$(inspect "$id" '{{.State.Pid}}')
	cid=$(inspect "$id" '{{.Id}}')
	p kill "$id" >/dev/null
	OUT=$(p wait "$id")
	assert_eq "$OUT" 137
	p rm "$id" >/dev/null
	assert_dead "$pid"
	expect_fail rtstate "$cid"
	assert_contains "$ERR" "does not exist"
}

test_tty() {
	OUT=$(prun --rm -t --name "$(new_id)" "$E2E_IMAGE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo in-tty' </dev/null | tr -d '\r')
	assert_match "$OUT" '/dev/pts/[0-9]+'
	assert_contains "$OUT" in-tty
}

test_memory_limit_in_host_cgroup() {
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory controller"
	local id pid
	id=$(new_id)
	prun -d --name "$id" --memory 64m "$E2E_IMAGE" sleep 1000 >/dev/null
	pid=$(inspect "$id" '{{.State.Pid}}')
	assert_eq "$(cg_read "$pid" memory memory.limit_in_bytes)" 67108864
	assert_contains "$(cg_dir "$pid" memory)" "$(inspect "$id" '{{.Id}}')"
}

test_oom_kill() {
	local id rc=0
	id=$(new_id)
	prun --name "$id" --memory 32m --memory-swap 32m "$E2E_IMAGE" dd if=/dev/zero of=/dev/null bs=64M count=1 \
		>/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 137 "exit code of an OOM-killed container"
	assert_eq "$(inspect "$id" '{{.State.ExitCode}}')" 137
	p rm "$id" >/dev/null
}

test_detached_logs() {
	local id
	id=$(new_id)
	prun -d --name "$id" "$E2E_IMAGE" sh -c 'echo logged-out; echo logged-err >&2; exec sleep 1000' >/dev/null
	_logged() { p logs "$id" 2>&1 | grep -q logged-err; }
	wait_for _logged
	assert_contains "$(p logs "$id" 2>/dev/null)" logged-out
	assert_contains "$(p logs "$id" 2>&1 >/dev/null)" logged-err
}

test_user_workdir_env() {
	OUT=$(prun --rm --name "$(new_id)" --user 1000:1000 --workdir /tmp --env FOO=bar "$E2E_IMAGE" \
		sh -c 'id -u; id -g; pwd; echo $FOO')
	assert_eq "$OUT" "1000
1000
/tmp
bar"
}

test_read_only_root() {
	OUT=$(prun --rm --name "$(new_id)" --read-only "$E2E_IMAGE" sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok')
	assert_contains "$OUT" "Read-only file system"
	assert_contains "$OUT" tmp-ok
}

test_ulimits() {
	# podman adds its own NPROC default once --ulimit is given: keep it low
	OUT=$(prun --rm --name "$(new_id)" --ulimit nofile=512:1000 --ulimit "nproc=$NPROC:$NPROC" "$E2E_IMAGE" sh -c 'ulimit -n; ulimit -Hn')
	assert_eq "$OUT" "512
1000"
}

# ---------------------------------------------------------------- extension cache

# epod_setup: the cache wrapper (ece_setup) becomes the runtime of the test
epod_setup() {
	ece_setup
	P_RUNTIME=$ECE_RT
}

# epod_annotations: ece_annotations, each value quoted for podman, whose
# --annotation is a comma-separated list (CSV): a JSON array unquoted would
# be split at its commas.
epod_annotations() {
	local i
	ece_annotations
	for ((i = 1; i < ${#ECE_ANN[@]}; i += 2)); do
		ECE_ANN[i]="\"${ECE_ANN[i]//\"/\"\"}\""
	done
}

# epod ARGS...: `podman run` with the bootstrap counter dir at /count
epod() { prun -v "$ECE_COUNT:/count" "$@"; }

test_extcache_cold_then_warm() {
	epod_setup
	epod_annotations
	local id cold
	cold=$(new_id)
	OUT=$(epod --name "$cold" "${ECE_ANN[@]}" "$E2E_IMAGE" cat /opt/ext.txt)
	assert_eq "$(ece_runs)" 1 "cold run: bootstrap runs"
	assert_contains "$OUT" built "cold run output"
	# the bootstrap's stdout is in the container's log, before the app's
	assert_eq "$(p logs "$cold" 2>/dev/null)" "bootstrap-output
built" "cold container's log"
	OUT=$(inspect "$cold" '{{index .Config.Annotations "run.jitrun.bootstrap"}}')
	assert_eq "$OUT" "$ECE_BOOTSTRAP" "the annotation reached podman intact"
	p rm "$cold" >/dev/null
	OUT=$(epod --rm --name "$(new_id)" "${ECE_ANN[@]}" "$E2E_IMAGE" cat /opt/ext.txt)
	assert_eq "$OUT" built "warm run output"
	assert_eq "$(ece_runs)" 1 "warm run: the bootstrap ran again"
	# a running container holds the layer and sees it from exec too
	id=$(new_id)
	epod -d --name "$id" "${ECE_ANN[@]}" "$E2E_IMAGE" sleep 1000 >/dev/null
	OUT=$(p exec "$id" cat /opt/ext.txt)
	assert_eq "$OUT" built "exec in a warm container"
	assert_jq "$(ece_list)" '.[0].inUse' true
	assert_eq "$(ece_runs)" 1
	p rm -f -t 0 "$id" >/dev/null
	ece_assert_one_idle_entry
}

test_extcache_no_annotation_no_cache() {
	epod_setup
	OUT=$(epod --rm --name "$(new_id)" --annotation run.jitrun.app=demo-e2e "$E2E_IMAGE" sh -c 'ls /opt 2>&1; echo plain')
	assert_contains "$OUT" plain
	assert_not_contains "$OUT" ext.txt
	assert_file_absent "$ECE_CACHE" "a container without a bootstrap touched the cache"
}

test_extcache_new_version_bootstraps() {
	epod_setup
	epod_annotations
	epod --rm --name "$(new_id)" "${ECE_ANN[@]}" "$E2E_IMAGE" true >/dev/null
	ECE_VERSION=1.0.1
	epod_annotations
	OUT=$(epod --rm --name "$(new_id)" "${ECE_ANN[@]}" "$E2E_IMAGE" cat /opt/ext.txt)
	assert_contains "$OUT" built
	assert_eq "$(ece_runs)" 2 "a new version must bootstrap"
	ECE_VERSION=1.0.0
	epod_annotations
	OUT=$(epod --rm --name "$(new_id)" "${ECE_ANN[@]}" "$E2E_IMAGE" cat /opt/ext.txt)
	assert_eq "$OUT" built
	assert_eq "$(ece_runs)" 2 "the first version's layer was not reused"
	assert_jq "$(ece_list)" 'map(.version) | sort | join(" ")' "1.0.0 1.0.1"
	assert_eq "$(ece_mounts)" ""
}

test_extcache_bootstrap_failure_reaches_podman() {
	epod_setup
	ECE_BOOTSTRAP='["/bin/sh","-c","echo run >> /count/n; exit 3"]'
	epod_annotations
	expect_fail epod --rm --name "$(new_id)" "${ECE_ANN[@]}" "$E2E_IMAGE" true
	assert_contains "$ERR" "bootstrap exited with 3"
	assert_eq "$(ece_runs)" 1
	assert_jq "$(ece_list)" length 0
	assert_eq "$(ece_mounts)" ""
}

test_zz_nothing_left_behind() {
	OUT=$(p ps -a -q)
	[ -z "$OUT" ] || fail "containers left: $OUT"
	# every container this file made is gone from the runtime's state
	local cid
	[ -s "$PD/events.log" ] || fail "no podman events log"
	local n=0
	for cid in $(jq -r 'select(.Type == "container") | .ID' "$PD/events.log" | sort -u); do
		"$RUNTIME" state "$cid" >/dev/null 2>&1 && fail "runtime state left for $cid"
		n=$((n + 1))
	done
	echo "checked the runtime state of $n containers" >&2
	local x
	x=$(pgrep -f -- "conmon.*$PD" | tr '\n' ' ')
	[ -z "$x" ] || fail "conmon left: $x"
	x=$(mounts_under "$PD" | grep -E '/merged$|/userdata/' || true)
	[ -z "$x" ] || fail "container mounts left: $x"
	x=$(find /sys/fs/cgroup -maxdepth 3 -type d -name 'libpod-*' 2>/dev/null)
	[ -z "$x" ] || fail "libpod cgroups left: $x"
}

t_main "$@"
