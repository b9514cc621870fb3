#!/usr/bin/env bash
# End to end with containerd: a private containerd (own config, root, state
# and socket) whose runc v2 shim runs $RUNTIME (`ctr run --runc-binary`).
. "$(dirname "$0")/lib-e2e.sh"
. "$(dirname "$0")/extcache-e2e.sh"

# suite_setup: start the daemon, import the image
suite_setup() {
	need_cmds containerd ctr containerd-shim-runc-v2 umoci skopeo || return 1
	CD=$T_TMP/containerd
	NS=jt$$
	SOCK=$CD/containerd.sock
	RUNC_ROOT=$CD/runtime-root
	mkdir -p "$CD" "$RUNC_ROOT"
	cat >"$CD/config.toml" <<-EOF
		version = 2
		root = "$CD/root"
		state = "$CD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$SOCK"
		[ttrpc]
		  address = "$SOCK.ttrpc"
		[debug]
		  address = "$CD/debug.sock"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CD/opt"
	EOF
	(cd "$CD" && exec containerd --config "$CD/config.toml" >"$CD/containerd.log" 2>&1) &
	CTRD_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -S "$SOCK" ] && ctr -a "$SOCK" version >/dev/null 2>&1 && break
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	ctr -a "$SOCK" version >/dev/null 2>&1 || {
		echo "containerd did not start:"
		tail -n 20 "$CD/containerd.log"
		return 1
	}
	build_image_archive "$CD/busybox.tar" || return 1
	c images import "$CD/busybox.tar" || return 1
	c images ls -q | grep -qx "$E2E_IMAGE" || {
		echo "image $E2E_IMAGE not imported: $(c images ls -q)"
		return 1
	}
	export CD NS SOCK RUNC_ROOT CTRD_PID
}

suite_teardown() {
	local rc=0 left
	if [ -n "${CTRD_PID:-}" ]; then
		c images rm "$E2E_IMAGE" >/dev/null 2>&1 || true
		kill "$CTRD_PID" 2>/dev/null
		wait "$CTRD_PID" 2>/dev/null
	fi
	left=$(pgrep -f -- "-address $SOCK" | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "shim processes left after the daemon stopped: $left"
		# shellcheck disable=SC2086
		kill -9 $left 2>/dev/null
		rc=1
	fi
	# containerd makes a cgroup parent per namespace; the runtime removes
	# only the containers' own cgroups
	find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "$NS" -exec rmdir {} \; 2>/dev/null
	left=$(mounts_under "$CD")
	if [ -n "$left" ]; then
		echo "mounts left under $CD: $left"
		umount_under "$CD"
		rc=1
	fi
	return $rc
}

c() { timeout -k 5 120 ctr -a "$SOCK" -n "$NS" "$@"; }
# crun ARGS...: `ctr run` through $RUNTIME
crun() { c run --runc-binary "$RUNTIME" --runc-root "$RUNC_ROOT" "$@"; }

# task_pid ID / task_status ID: from `ctr task ls`
task_pid() { c task ls | awk -v id="$1" '$1 == id {print $2}'; }
task_status() { c task ls | awk -v id="$1" '$1 == id {print $3}'; }
_task_is() { [ "$(task_status "$1")" = "$2" ]; }
wait_task() { wait_for _task_is "$1" "$2"; }

# remove the containers of the current test, then wait for their shims
t_cleanup_hook() {
	local id i
	for id in $(c containers ls -q 2>/dev/null | grep -F -- "$T_PREFIX"); do
		c task kill -s SIGKILL "$id" >/dev/null 2>&1
		c task delete -f "$id" >/dev/null 2>&1
		c containers delete "$id" >/dev/null 2>&1
	done
	for ((i = 0; i < 100; i++)); do
		pgrep -f -- "-id $T_PREFIX" >/dev/null || break
		sleep 0.1
	done
}

test_run_stdout() {
	OUT=$(crun --rm "$E2E_IMAGE" "$(new_id)" sh -c 'echo hello from $(cat /etc/os-release | grep ^ID=)')
	assert_eq "$OUT" "hello from ID=busybox"
}

test_exit_code() {
	local rc=0
	crun --rm "$E2E_IMAGE" "$(new_id)" sh -c 'exit 7' </dev/null >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 7 "exit code through ctr run"
}

test_annotations_reach_runtime() {
	local id
	id=$(new_id)
	crun -d --annotation org.jitrun.e2e=yes "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	# the shim keeps the runtime's state under <runc-root>/<namespace>
	OUT=$("$RUNTIME" --root "$RUNC_ROOT/$NS" state "$id")
	assert_jq "$OUT" .status running
	assert_jq "$OUT" '.annotations["org.jitrun.e2e"]' yes
}

test_exec_user_cwd_env() {
	local id rc=0
	id=$(new_id)
	crun -d --env FOO=bar --cwd /home "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	OUT=$(c task exec --exec-id e1 "$id" sh -c 'echo $FOO; pwd; id -u')
	assert_eq "$OUT" "bar
/home
0"
	OUT=$(c task exec --exec-id e2 --user 1000 --cwd /tmp "$id" sh -c 'id -u; id -g; pwd')
	assert_eq "$OUT" "1000
1000
/tmp"
	c task exec --exec-id e3 "$id" sh -c 'exit 3' || rc=$?
	assert_eq "$rc" 3 "exit code of ctr task exec"
	assert_eq "$(task_status "$id")" RUNNING
}

test_ps() {
	local id pid
	id=$(new_id)
	crun -d "$E2E_IMAGE" "$id" sh -c 'sleep 1000 & exec sleep 999' >/dev/null
	pid=$(task_pid "$id")
	_two() { [ "$(c task ps "$id" | tail -n +2 | grep -c .)" = 2 ]; }
	wait_for _two
	OUT=$(c task ps "$id")
	assert_contains "$OUT" "$pid"
}

test_pause_resume() {
	local id pid
	id=$(new_id)
	crun -d "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	pid=$(task_pid "$id")
	c task pause "$id"
	assert_eq "$(task_status "$id")" PAUSED
	[ -d /sys/fs/cgroup/freezer ] && assert_eq "$(cg_read "$pid" freezer freezer.state)" FROZEN
	c task resume "$id"
	assert_eq "$(task_status "$id")" RUNNING
	[ -d /sys/fs/cgroup/freezer ] && assert_eq "$(cg_read "$pid" freezer freezer.state)" THAWED
	true
}

test_kill_reaches_trap() {
	local id
	id=$(new_id)
	mkdir -p shared
	crun -d --mount "type=bind,src=$T_DIR/shared,dst=/shared,options=rbind:rw" "$E2E_IMAGE" "$id" \
		sh -c 'trap "echo got-term > /shared/t; exit 0" TERM; echo up > /shared/up; while :; do sleep 0.1; done' >/dev/null
	wait_file_contains shared/up up
	c task kill -s SIGTERM "$id"
	wait_file_contains shared/t got-term
	wait_task "$id" STOPPED
	c task delete "$id" >/dev/null
	c containers delete "$id"
}

test_sigkill_and_delete() {
	local id pid
	id=$(new_id)
	crun -d "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	pid=$(task_pid "$id")
	c task kill -s SIGKILL "$id"
	wait_task "$id" STOPPED
	c task delete "$id" >/dev/null 2>&1
	c containers delete "$id"
	assert_dead "$pid"
	assert_file_absent "$RUNC_ROOT/$NS/$id" "runtime state left after delete"
	if c task ls -q | grep -qx "$id"; then fail "task still listed"; fi
}

test_tty() {
	local id
	id=$(new_id)
	# ctr -t needs a controlling terminal: inpty.py gives it one and, unlike
	# script(1), never types an EOF into it
	OUT=$("$PYTHON" "$TESTS_DIR/helpers/inpty.py" 60 ctr -a "$SOCK" -n "$NS" run --runc-binary "$RUNTIME" \
		--runc-root "$RUNC_ROOT" --rm -t "$E2E_IMAGE" "$id" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo in-tty' \
		</dev/null | tr -d '\r') || true
	if [[ $OUT != *in-tty* ]]; then
		echo "--- diagnostics: tasks, runtime state, processes"
		c task ls || true
		"$RUNTIME" --root "$RUNC_ROOT/$NS" list || true
		ps -eo pid,ppid,pgid,stat,wchan:20,args | grep -E "containerd-shim|jitrun|ctr |$id" | grep -v grep || true
	fi
	assert_match "$OUT" '/dev/pts/[0-9]+'
	assert_contains "$OUT" in-tty
}

test_memory_limit_in_host_cgroup() {
	[ -d /sys/fs/cgroup/memory ] || skip "no v1 memory controller"
	local id pid
	id=$(new_id)
	crun -d --memory-limit 67108864 "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	pid=$(task_pid "$id")
	assert_eq "$(cg_read "$pid" memory memory.limit_in_bytes)" 67108864
	assert_contains "$(cg_dir "$pid" memory)" "$id"
}

test_oom_kill() {
	local rc=0
	crun --rm --memory-limit 33554432 "$E2E_IMAGE" "$(new_id)" dd if=/dev/zero of=/dev/null bs=64M count=1 \
		</dev/null >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 137 "exit code of an OOM-killed task"
}

test_detached_logs() {
	local id
	id=$(new_id)
	crun -d --log-uri "file://$T_DIR/ctr.log" "$E2E_IMAGE" "$id" sh -c 'echo logged-out; echo logged-err >&2; exec sleep 1000' >/dev/null
	wait_file_contains ctr.log logged-out
	wait_file_contains ctr.log logged-err
}

test_read_only_root() {
	OUT=$(crun --rm --read-only "$E2E_IMAGE" "$(new_id)" sh -c 'touch /x 2>&1; touch /tmp/y 2>&1; echo done')
	assert_contains "$OUT" "Read-only file system"
	assert_contains "$OUT" "done"
}

# ---------------------------------------------------------------- extension cache

# ectr ARGS...: `ctr run` through the cache wrapper (ece_setup), with the
# bootstrap counter dir bind mounted at /count
ectr() {
	c run --runc-binary "$ECE_RT" --runc-root "$RUNC_ROOT" \
		--mount "type=bind,src=$ECE_COUNT,dst=/count,options=rbind:rw" "$@"
}

# ectr_rm ID: kill and remove a detached container
ectr_rm() {
	c task kill -s SIGKILL "$1"
	wait_task "$1" STOPPED
	c task delete "$1" >/dev/null
	c containers delete "$1"
}

test_extcache_cold_then_warm() {
	ece_setup
	ece_annotations
	local id
	OUT=$(ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" cat /opt/ext.txt)
	assert_eq "$(ece_runs)" 1 "cold run: bootstrap runs"
	# the bootstrap's stdout is the container's, before the app's
	assert_eq "$OUT" "bootstrap-output
built" "cold run output"
	OUT=$(ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" cat /opt/ext.txt)
	assert_eq "$OUT" built "warm run output"
	assert_eq "$(ece_runs)" 1 "warm run: the bootstrap ran again"
	# a running container holds the layer and sees it from exec too
	id=$(new_id)
	ectr -d "${ECE_ANN[@]}" "$E2E_IMAGE" "$id" sleep 1000 >/dev/null
	OUT=$(c task exec --exec-id e1 "$id" cat /opt/ext.txt)
	assert_eq "$OUT" built "exec in a warm container"
	assert_jq "$(ece_list)" '.[0].inUse' true
	assert_eq "$(ece_runs)" 1
	ectr_rm "$id"
	ece_assert_one_idle_entry
}

test_extcache_no_annotation_no_cache() {
	ece_setup
	OUT=$(ectr --rm --annotation run.jitrun.app=demo-e2e "$E2E_IMAGE" "$(new_id)" sh -c 'ls /opt 2>&1; echo plain')
	assert_contains "$OUT" plain
	assert_not_contains "$OUT" ext.txt
	assert_file_absent "$ECE_CACHE" "a container without a bootstrap touched the cache"
}

test_extcache_new_version_bootstraps() {
	ece_setup
	ece_annotations
	ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" true >/dev/null
	ECE_VERSION=1.0.1
	ece_annotations
	OUT=$(ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" cat /opt/ext.txt)
	assert_contains "$OUT" built
	assert_eq "$(ece_runs)" 2 "a new version must bootstrap"
	ECE_VERSION=1.0.0
	ece_annotations
	OUT=$(ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" cat /opt/ext.txt)
	assert_eq "$OUT" built
	assert_eq "$(ece_runs)" 2 "the first version's layer was not reused"
	assert_jq "$(ece_list)" 'map(.version) | sort | join(" ")' "1.0.0 1.0.1"
	assert_eq "$(ece_mounts)" ""
}

test_extcache_bootstrap_failure_reaches_ctr() {
	ece_setup
	ECE_BOOTSTRAP='["/bin/sh","-c","echo run >> /count/n; exit 3"]'
	ece_annotations
	expect_fail ectr --rm "${ECE_ANN[@]}" "$E2E_IMAGE" "$(new_id)" true
	assert_contains "$ERR" "bootstrap exited with 3"
	assert_eq "$(ece_runs)" 1
	assert_jq "$(ece_list)" length 0
	assert_eq "$(ece_mounts)" ""
}

test_zz_nothing_left_behind() {
	[ -z "$(c containers ls -q)" ] || fail "containers left: $(c containers ls -q)"
	[ -z "$(c task ls -q)" ] || fail "tasks left: $(c task ls -q)"
	if [ -d "$RUNC_ROOT/$NS" ]; then
		[ -z "$(ls -A "$RUNC_ROOT/$NS")" ] || fail "runtime state left: $(ls -A "$RUNC_ROOT/$NS")"
	fi
	local x
	x=$(pgrep -f -- "containerd-shim-runc-v2 -namespace $NS" | tr '\n' ' ')
	[ -z "$x" ] || fail "shims left: $x"
	x=$(mounts_under "$CD/state")
	[ -z "$x" ] || fail "mounts left: $x"
	x=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path "*/$NS/*" 2>/dev/null)
	[ -z "$x" ] || fail "cgroups left: $x"
}

t_main "$@"
