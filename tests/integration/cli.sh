#!/usr/bin/env bash
# The runc command-line contract: version, spec, features, create/start/state,
# list, kill, delete, run, ps, pause/resume, events.
. "$(dirname "$0")/../lib.sh"

test_version() {
	expect_ok "$RUNTIME" --version
	local l1 l2 l3
	l1=$(sed -n 1p <<<"$OUT")
	l2=$(sed -n 2p <<<"$OUT")
	l3=$(sed -n 3p <<<"$OUT")
	# go-runc parses "<name> version X", then "commit: ..." and "spec: ..."
	assert_match "$l1" '^[a-z]+ version [0-9]+\.[0-9]+'
	assert_match "$l2" '^commit: .+'
	assert_match "$l3" '^spec: 1\.[0-9]+\.[0-9]+'
}

test_version_is_three_lines() {
	jitrun_only
	expect_ok "$RUNTIME" --version
	assert_eq "$(wc -l <<<"$OUT")" 3 "--version line count"
	assert_match "$OUT" '^jitrun version [0-9]+\.[0-9]+\.[0-9]+'
}

test_spec_default_runs() {
	mkdir -p spec
	expect_ok rt spec --bundle "$T_DIR/spec"
	local c
	c=$(cat spec/config.json)
	assert_json "$c"
	assert_match "$(jq -r .ociVersion <<<"$c")" '^1\.[0-9]+\.[0-9]+'
	assert_jq "$c" .root.path rootfs
	assert_jq "$c" '[.linux.namespaces[].type] | (index("pid") != null and index("mount") != null)' true
	assert_jq "$c" '.process.args | length > 0' true
	# a second spec must not overwrite the first
	echo '{"x":1}' >spec/config.json
	expect_fail rt spec --bundle "$T_DIR/spec"
	assert_eq "$(cat spec/config.json)" '{"x":1}' "spec overwrote config.json"
	# the default spec is runnable once given a rootfs and a command
	mkdir -p spec2
	expect_ok rt spec --bundle "$T_DIR/spec2"
	make_bundle "$T_DIR/b"
	cp spec2/config.json b/config.json
	bundle_jq b '.process.terminal = false | .process.args = ["sh", "-c", "echo spec-ok"]'
	OUT=$(rt run --bundle "$T_DIR/b" "$(new_id)")
	assert_eq "$OUT" spec-ok
}

test_spec_rootless() {
	mkdir -p spec
	expect_ok rt spec --rootless --bundle "$T_DIR/spec"
	local c
	c=$(cat spec/config.json)
	assert_jq "$c" '[.linux.namespaces[].type] | index("user") != null' true
	assert_jq "$c" '.linux.uidMappings | length > 0' true
	assert_jq "$c" '.linux.gidMappings | length > 0' true
}

test_features() {
	expect_ok rt features
	assert_json "$OUT"
	assert_match "$(jq -r .ociVersionMin <<<"$OUT")" '^1\.'
	assert_match "$(jq -r .ociVersionMax <<<"$OUT")" '^1\.'
	assert_jq "$OUT" '.hooks | index("createRuntime") != null and index("poststop") != null' true
	assert_jq "$OUT" '.mountOptions | index("ro") != null and index("nosuid") != null' true
	assert_jq "$OUT" '.linux.namespaces | index("pid") != null and index("user") != null' true
	assert_jq "$OUT" '.linux.capabilities | index("CAP_SYS_ADMIN") != null' true
	assert_jq "$OUT" '.linux.seccomp.enabled' true
}

test_lifecycle_states() {
	make_bundle b "$JQ_RW"' | .process.args = ["sh", "-c", "echo ran > /tmp/ran; exec sleep 1000"]
		| .annotations = {"org.jitrun.test": "yes", "other": "two words"}'
	local id pid
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	OUT=$(rt state "$id")
	assert_jq "$OUT" .id "$id"
	assert_jq "$OUT" .status created
	assert_jq "$OUT" .bundle "$T_DIR/b"
	assert_jq "$OUT" '.annotations["org.jitrun.test"]' yes
	assert_jq "$OUT" '.annotations.other' "two words"
	assert_match "$(jq -r .ociVersion <<<"$OUT")" '^1\.'
	assert_match "$(jq -r .created <<<"$OUT")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$'
	pid=$(jq -r .pid <<<"$OUT")
	assert_gt "$pid" 1 "state pid"
	[ -d "/proc/$pid" ] || fail "state pid $pid is not running"
	assert_ne "$(ns_of "$pid" mnt)" "$(ns_of $$ mnt)" "mount namespace of the init process"
	assert_file_contains "/proc/$pid/root/etc/os-release" ID=busybox
	assert_file_absent b/rootfs/tmp/ran "the user process ran before start"

	expect_ok rt start "$id"
	wait_file_contains b/rootfs/tmp/ran ran
	OUT=$(rt state "$id")
	assert_jq "$OUT" .status running
	assert_jq "$OUT" .pid "$pid"
	assert_eq "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "sleep 1000 " "the init pid runs the user process"

	expect_ok rt kill "$id" KILL
	wait_status "$id" stopped
	expect_ok rt delete "$id"
	expect_fail rt state "$id"
	assert_contains "$ERR" "does not exist"
	assert_dead "$pid"
}

test_state_of_exited_container() {
	make_bundle b '.process.args = ["true"]'
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	expect_ok rt start "$id"
	wait_status "$id" stopped
	OUT=$(rt state "$id")
	assert_jq "$OUT" .status stopped
	assert_jq "$OUT" .id "$id"
	expect_ok rt delete "$id"
}

test_create_pid_file() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b" --pid-file "$T_DIR/pidfile"
	assert_file_exists pidfile
	assert_eq "$(cat pidfile)" "$(rt_pid "$id")" "pid file content"
}


# The intermediate reports the init's pid after its clone, while the init
# already runs: on a busy machine the init's READY may come first.  The
# runtime must wait for the pid (it once went on with pid 0, and its
# cleanup's kill(0, SIGKILL) killed its own process group).
test_create_init_ready_before_its_pid() {
	jitrun_only
	make_bundle b '.process.args = ["sh", "-c", "echo hi"]'
	local id pid
	id=$(new_id)
	JITRUN_TEST_INIT_PID_DELAY=300 rt_create "$id" "$T_DIR/b" --pid-file "$T_DIR/pidfile"
	pid=$(rt_pid "$id")
	assert_ne "$pid" 0 "state pid"
	assert_eq "$(cat pidfile)" "$pid" "pid file content"
	assert_eq "$(rt_status "$id")" created
	assert_eq "$(JITRUN_TEST_INIT_PID_DELAY=300 rt run --bundle "$T_DIR/b" "$(new_id)")" hi
}
test_create_duplicate_id_fails() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id pid
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	assert_eq "$(rt_status "$id")" created "the first container was disturbed"
	assert_eq "$(rt_pid "$id")" "$pid"
}

test_start_twice_fails() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	expect_ok rt start "$id"
	expect_fail rt start "$id"
	assert_eq "$(rt_status "$id")" running
}

test_list() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	expect_ok rt list --format json
	[[ $OUT == null || $OUT == "[]" ]] || fail "list of nothing: '$OUT'"
	local a b
	a=$(new_id)
	b=$(new_id)
	rt_create "$a" "$T_DIR/b"
	rt_run_d "$b" "$T_DIR/b"
	expect_ok rt list -q
	assert_eq "$(sort <<<"$OUT" | tr '\n' ' ')" "$(printf '%s\n' "$a" "$b" | sort | tr '\n' ' ')" "list -q"
	expect_ok rt list --format json
	assert_jq "$OUT" 'length' 2
	assert_jq "$OUT" ".[] | select(.id == \"$a\") | .status" created
	assert_jq "$OUT" ".[] | select(.id == \"$b\") | .status" running
	assert_jq "$OUT" ".[] | select(.id == \"$b\") | .pid" "$(rt_pid "$b")"
	assert_jq "$OUT" ".[] | select(.id == \"$b\") | .bundle" "$T_DIR/b"
	expect_ok rt list
	assert_contains "$OUT" "$a"
	assert_contains "$OUT" "$b"
}

test_kill_signal_numbers_and_names() {
	make_bundle b "$JQ_RW"' | .process.args = ["sh", "-c",
		"trap \"echo USR1 >> /tmp/sig\" USR1; trap \"echo USR2 >> /tmp/sig\" USR2; trap \"echo HUP >> /tmp/sig\" HUP; trap \"echo TERM >> /tmp/sig; exit 7\" TERM; echo ready > /tmp/ready; while :; do sleep 0.1; done"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	wait_file_contains b/rootfs/tmp/ready ready
	expect_ok rt kill "$id" 10 # SIGUSR1 on x86
	wait_file_contains b/rootfs/tmp/sig USR1
	expect_ok rt kill "$id" USR2
	wait_file_contains b/rootfs/tmp/sig USR2
	expect_ok rt kill "$id" SIGHUP
	wait_file_contains b/rootfs/tmp/sig HUP
	assert_eq "$(rt_status "$id")" running
	expect_ok rt kill "$id" # default: SIGTERM
	wait_file_contains b/rootfs/tmp/sig TERM
	wait_status "$id" stopped
	assert_eq "$(tr '\n' ' ' <b/rootfs/tmp/sig)" "USR1 USR2 HUP TERM "
	expect_fail rt kill "$id" NOSUCHSIGNAL
}

test_kill_bad_signal_fails() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	expect_fail rt kill "$id" SIGNOPE
	expect_fail rt kill "$id" 99999
	assert_eq "$(rt_status "$id")" running
}

test_kill_all_without_pidns() {
	make_bundle b "$JQ_NO_PIDNS"' | .process.args = ["sh", "-c", "sleep 1001 & sleep 1002 & wait"]'
	local id pid cg
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	cg=$(cg_dir "$pid" pids)
	_three_procs() { [ "$(wc -l <"$cg/cgroup.procs")" -ge 3 ]; }
	wait_for _three_procs
	expect_ok rt kill --all "$id" KILL
	wait_status "$id" stopped
	_no_procs() { [ ! -s "$cg/cgroup.procs" ]; }
	wait_for _no_procs
	pgrep -x -f 'sleep 100[12]' >/dev/null && fail "sleep processes survived kill --all"
	expect_ok rt delete "$id"
}

test_delete_running_needs_force() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id pid
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	expect_fail rt delete "$id"
	assert_eq "$(rt_status "$id")" running "a failed delete changed the container"
	expect_ok rt delete --force "$id"
	expect_fail rt state "$id"
	assert_dead "$pid" "the init process survived delete --force"
}

test_delete_created_container() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id pid
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	expect_ok rt delete --force "$id"
	expect_fail rt state "$id"
	assert_dead "$pid"
}

test_missing_container_errors() {
	local id=nosuch-$T_PREFIX
	expect_fail rt state "$id"
	assert_contains "$ERR" "does not exist"
	expect_fail rt delete "$id"
	assert_contains "$ERR" "does not exist"
	expect_ok rt delete --force "$id"
	expect_fail rt kill "$id" KILL
	expect_fail rt start "$id"
	expect_fail rt pause "$id"
	expect_fail rt exec "$id" true
	expect_fail rt ps "$id"
}

test_missing_container_error_format() {
	jitrun_only "one-line 'jitrun: ...' errors"
	local id=nosuch-$T_PREFIX
	expect_fail rt state "$id"
	assert_eq "$(wc -l <<<"$ERR")" 1 "error line count"
	assert_match "$ERR" '^jitrun: .*does not exist'
	assert_contains "$ERR" "$id"
}

test_bad_command_fails() {
	expect_fail "$RUNTIME" --root "$T_ROOT" no-such-command
	expect_fail "$RUNTIME" --root "$T_ROOT" create
	expect_fail "$RUNTIME" --root "$T_ROOT" create --bundle "$T_DIR/nonexistent" "$(new_id)"
}

test_run_stdout_stderr_exit_code() {
	make_bundle b '.process.args = ["sh", "-c", "echo to-out; echo to-err >&2; exit 42"]'
	local id rc=0
	id=$(new_id)
	rt run --bundle "$T_DIR/b" "$id" >out 2>err </dev/null || rc=$?
	assert_eq "$rc" 42 "run exit code"
	assert_eq "$(cat out)" to-out
	assert_contains "$(cat err)" to-err
	expect_fail rt state "$id"
}

test_run_stdin_passthrough() {
	make_bundle b '.process.args = ["sh", "-c", "read l; echo got:$l"]'
	OUT=$(echo hello | rt run --bundle "$T_DIR/b" "$(new_id)")
	assert_eq "$OUT" got:hello
}

test_run_killed_exit_code() {
	make_bundle b "$JQ_RW"' | .process.args = ["sh", "-c", "echo up > /tmp/up; exec sleep 1000"]'
	local id rc=0 runpid
	id=$(new_id)
	rt run --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1 &
	runpid=$!
	wait_file_contains b/rootfs/tmp/up up
	wait_status "$id" running
	expect_ok rt kill "$id" KILL
	wait "$runpid" || rc=$?
	assert_eq "$rc" 137 "exit code of a SIGKILLed container"
}

test_run_detach() {
	make_bundle b '.process.args = ["sh", "-c", "echo detached-out; exec sleep 1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	assert_eq "$(rt_status "$id")" running
	wait_file_contains "$id.out" detached-out
	expect_ok rt delete --force "$id"
}

test_run_missing_binary_fails() {
	make_bundle b '.process.args = ["/no/such/binary"]'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_ps() {
	make_bundle b '.process.args = ["sh", "-c", "sleep 1000 & exec sleep 999"]'
	local id pid
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	_two() { [ "$(rt ps --format json "$id" | jq length)" = 2 ]; }
	wait_for _two
	expect_ok rt ps --format json "$id"
	assert_jq "$OUT" 'type' array
	assert_jq "$OUT" "index($pid) != null" true
	assert_jq "$OUT" 'map(type == "number") | all' true
	local other
	other=$(jq ".[] | select(. != $pid)" <<<"$OUT")
	assert_eq "$(tr '\0' ' ' <"/proc/$other/cmdline")" "sleep 1000 "
	expect_ok rt ps "$id"
	assert_contains "$OUT" PID
	assert_contains "$OUT" "$pid"
	assert_contains "$OUT" "sleep 999"
}

test_pause_resume() {
	make_bundle b "$JQ_RW"' | .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done"]'
	local id pid fz
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	wait_for test -s b/rootfs/tmp/n
	expect_ok rt pause "$id"
	assert_eq "$(rt_status "$id")" paused
	if [ -d /sys/fs/cgroup/freezer ]; then
		fz=$(cg_dir "$pid" freezer)
		assert_eq "$(cat "$fz/freezer.state")" FROZEN "host freezer.state"
	else
		fz=$(cg_dir "$pid" unified)
		assert_eq "$(cat "$fz/cgroup.freeze")" 1 "host cgroup.freeze"
	fi
	# a frozen container makes no progress
	local n1 n2
	n1=$(cat b/rootfs/tmp/n)
	sleep 0.5
	n2=$(cat b/rootfs/tmp/n)
	assert_eq "$n2" "$n1" "counter moved while paused"
	expect_ok rt resume "$id"
	assert_eq "$(rt_status "$id")" running
	[ -d /sys/fs/cgroup/freezer ] && assert_eq "$(cat "$fz/freezer.state")" THAWED
	_moved() { [ "$(cat b/rootfs/tmp/n)" != "$n1" ]; }
	wait_for _moved
	# pausing a paused container or resuming a running one is an error
	expect_fail rt resume "$id"
	expect_ok rt pause "$id"
	expect_fail rt pause "$id"
	expect_ok rt delete --force "$id"
	assert_dead "$pid"
}

test_events_stats() {
	make_bundle b '.process.args = ["sh", "-c", "sleep 1000 & exec sleep 999"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	_two() { [ "$(rt ps --format json "$id" | jq length)" = 2 ]; }
	wait_for _two
	expect_ok rt events --stats "$id"
	assert_eq "$(wc -l <<<"$OUT")" 1 "events --stats prints one line"
	assert_json "$OUT"
	assert_jq "$OUT" .type stats
	assert_jq "$OUT" .id "$id"
	assert_jq "$OUT" .data.pids.current 2
	assert_jq "$OUT" '.data.memory.usage.usage > 0' true
	assert_jq "$OUT" '.data.cpu.usage.total > 0' true
}

t_main "$@"
