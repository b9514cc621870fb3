#!/usr/bin/env bash
# exec: --process FILE, the short form, -d, --pid-file, exit codes, namespaces.
. "$(dirname "$0")/../lib.sh"

# start_sleeper: a running container "$ID" from bundle b with an env var set.
start_sleeper() {
	make_bundle b "$JQ_RW"' | .process.args = ["sleep", "1000"]
		| .process.env += ["FROM_CONFIG=cfg", "OVERRIDE=cfg"]'
	ID=$(new_id)
	rt_run_d "$ID" "$T_DIR/b"
}

test_exec_process_file() {
	start_sleeper
	cat >process.json <<-'EOF'
		{
		  "terminal": false,
		  "user": {"uid": 1000, "gid": 1000, "additionalGids": [2000, 3000]},
		  "args": ["sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G; echo ${FROM_CONFIG:-unset}"],
		  "env": ["PATH=/bin:/usr/bin", "FOO=from-process-file"],
		  "cwd": "/tmp",
		  "noNewPrivileges": true
		}
	EOF
	expect_ok rt exec --process "$T_DIR/process.json" "$ID"
	assert_eq "$(sed -n 1p <<<"$OUT")" from-process-file "env"
	assert_eq "$(sed -n 2p <<<"$OUT")" /tmp "cwd"
	assert_eq "$(sed -n 3p <<<"$OUT")" 1000 "uid"
	assert_eq "$(sed -n 4p <<<"$OUT")" 1000 "gid"
	assert_eq "$(sed -n 5p <<<"$OUT" | tr ' ' '\n' | sort -n | tr '\n' ' ')" "1000 2000 3000 " "groups"
	# the process file replaces the whole environment
	assert_eq "$(sed -n 6p <<<"$OUT")" unset "env of config.json leaked into --process"
}

test_exec_process_file_status_and_caps() {
	start_sleeper
	cat >process.json <<-'EOF'
		{
		  "args": ["sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"],
		  "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0},
		  "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
		                   "permitted": ["CAP_KILL"]},
		  "noNewPrivileges": true
		}
	EOF
	expect_ok rt exec --process "$T_DIR/process.json" "$ID"
	# CAP_CHOWN = bit 0, CAP_KILL = bit 5
	assert_contains "$OUT" "CapEff:	0000000000000020"
	assert_contains "$OUT" "CapBnd:	0000000000000021"
	assert_contains "$OUT" "NoNewPrivs:	1"
}

test_exec_short_form() {
	start_sleeper
	expect_ok rt exec --env FOO=short --env OVERRIDE=exec --cwd /home --user 1000:1000 "$ID" \
		sh -c 'echo $FOO; pwd; id -u; id -g; echo $FROM_CONFIG; echo $OVERRIDE'
	assert_eq "$OUT" "short
/home
1000
1000
cfg
exec"
}

test_exec_exit_code() {
	start_sleeper
	local rc=0
	rt exec "$ID" sh -c 'echo out; echo err >&2; exit 5' >out 2>err </dev/null || rc=$?
	assert_eq "$rc" 5 "exec exit code"
	assert_eq "$(cat out)" out
	assert_contains "$(cat err)" err
	rc=0
	rt exec "$ID" true </dev/null || rc=$?
	assert_eq "$rc" 0
	assert_eq "$(rt_status "$ID")" running
}

test_exec_stdin() {
	start_sleeper
	OUT=$(printf 'line1\nline2\n' | rt exec "$ID" sh -c 'while read l; do echo "<$l>"; done')
	assert_eq "$OUT" "<line1>
<line2>"
}

test_exec_missing_binary_fails() {
	start_sleeper
	expect_fail rt exec "$ID" /no/such/binary
	assert_eq "$(rt_status "$ID")" running "a failed exec hurt the container"
}

test_exec_detach_pid_file() {
	start_sleeper
	local init pid
	init=$(rt_pid "$ID")
	expect_ok rt exec -d --pid-file "$T_DIR/exec.pid" "$ID" sleep 999
	assert_file_exists exec.pid
	pid=$(cat exec.pid)
	assert_gt "$pid" 1
	pid_alive "$pid" || fail "exec -d process $pid is not running"
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 999 "
	expect_ok rt ps --format json "$ID"
	assert_jq "$OUT" "index($pid) != null" true
	kill -9 "$pid"
	assert_eq "$(rt_status "$ID")" running
}

test_exec_joins_namespaces_and_cgroups() {
	start_sleeper
	local init pid ns c
	init=$(rt_pid "$ID")
	expect_ok rt exec -d --pid-file "$T_DIR/exec.pid" "$ID" sleep 999
	pid=$(cat exec.pid)
	for ns in pid net ipc uts mnt; do
		assert_eq "$(ns_of "$pid" "$ns")" "$(ns_of "$init" "$ns")" "$ns namespace of the exec process"
	done
	assert_ne "$(ns_of "$pid" pid)" "$(ns_of $$ pid)" "exec process in the host pid ns"
	for c in memory pids cpu freezer; do
		assert_eq "$(cg_dir "$pid" "$c")" "$(cg_dir "$init" "$c")" "$c cgroup of the exec process"
	done
	# in the container's pid namespace, the exec'd shell is not pid 1
	expect_ok rt exec "$ID" sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
	assert_ne "$(sed -n 1p <<<"$OUT")" 1
	assert_eq "$(sed -n 2p <<<"$OUT")" "sleep 1000 "
}

test_exec_in_stopped_container_fails() {
	make_bundle b '.process.args = ["true"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	wait_status "$id" stopped
	expect_fail rt exec "$id" true
}

test_exec_many() {
	start_sleeper
	local i out=""
	for i in 1 2 3 4 5 6 7 8; do
		out+=$(rt exec "$ID" sh -c "echo $i")
	done
	assert_eq "$out" 12345678
	expect_ok rt ps --format json "$ID"
	assert_jq "$OUT" length 1
}

t_main "$@"
