#!/usr/bin/env bash
# Failed creates: each must exit non-zero with a clear message and leave no
# mount, cgroup, state dir or process behind (the harness checks the rest).
. "$(dirname "$0")/../lib.sh"

# CASES: name -> jq filter that breaks the bundle
declare -A CASES=(
	[bad_mount_source]='.mounts += [{"destination": "/data", "type": "bind", "source": "/no/such/dir/jt", "options": ["rbind"]}]'
	[bad_mount_type]='.mounts += [{"destination": "/data", "type": "nosuchfs", "source": "none"}]'
	[missing_binary]='.process.args = ["/no/such/binary"]'
	[missing_binary_in_path]='.process.args = ["no-such-command-jt"]'
	[bad_seccomp_profile]='.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}'
	[failing_hook]='.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}]}'
	[missing_rootfs]='.root.path = "no-such-rootfs"'
	[bad_namespace_type]='.linux.namespaces += [{"type": "bogus"}]'
	[bad_cpuset]='.linux.resources.cpu = {"cpus": "999"}'
	[bad_cwd_is_file]='.process.cwd = "/etc/passwd"'
)

# check_failed_create NAME: create with the broken bundle must fail cleanly
check_failed_create() {
	local name=$1 id
	make_bundle "b-$name" "${CASES[$name]}"
	# the process would announce itself
	bundle_jq "b-$name" 'if .process.args == ["sh"] then .process.args = ["sh", "-c", "echo started"] else . end'
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b-$name" "$id"
	[ -n "$ERR" ] || fail "$name: no error message"
	assert_not_contains "$OUT" started "$name: the process started"
	expect_fail rt state "$id"
	assert_contains "$ERR" "does not exist"
	# no process of this container is left (cgroups and mounts are checked
	# by the harness after the test)
	[ -z "$(_t_test_pids)" ] || fail "$name: processes left: $(_t_test_pids)"
	rm -rf "b-$name"
}

test_bad_mount_source() { check_failed_create bad_mount_source; }
test_bad_mount_type() { check_failed_create bad_mount_type; }
test_missing_binary() { check_failed_create missing_binary; }
test_missing_binary_in_path() { check_failed_create missing_binary_in_path; }
test_bad_seccomp_profile() { check_failed_create bad_seccomp_profile; }
test_failing_hook() { check_failed_create failing_hook; }
test_missing_rootfs() { check_failed_create missing_rootfs; }
test_bad_namespace_type() { check_failed_create bad_namespace_type; }
test_bad_cpuset() { check_failed_create bad_cpuset; }
test_bad_cwd_is_file() { check_failed_create bad_cwd_is_file; }

test_run_failure_leaves_nothing() {
	local name id
	for name in bad_mount_source missing_binary failing_hook bad_seccomp_profile; do
		make_bundle "b-$name" "${CASES[$name]}"
		id=$(new_id)
		expect_fail rt run --bundle "$T_DIR/b-$name" "$id"
		expect_fail rt state "$id"
		rm -rf "b-$name"
	done
}

test_invalid_config_json() {
	make_bundle b
	echo '{"ociVersion": "1.0.2", "process": ' >b/config.json
	local id
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_missing_config_json() {
	make_bundle b
	rm b/config.json
	local id
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_bad_container_id() {
	make_bundle b
	local id
	for id in "../$T_PREFIX-escape" "a/$T_PREFIX" ""; do
		expect_fail rt create --bundle "$T_DIR/b" "$id"
	done
	assert_file_absent "$T_DIR/$T_PREFIX-escape" "an id with .. escaped the state dir"
	assert_file_absent "$T_ROOT/a"
}

test_error_message_format() {
	jitrun_only "one 'jitrun: <what>: <why>' line per error"
	local name id
	for name in bad_mount_source missing_binary bad_seccomp_profile failing_hook missing_rootfs; do
		make_bundle "b-$name" "${CASES[$name]}"
		id=$(new_id)
		expect_fail rt create --bundle "$T_DIR/b-$name" "$id"
		assert_match "$ERR" '^jitrun: [^:]+: .+' "$name: error format"
		assert_eq "$(grep -c . <<<"$ERR")" 1 "$name: error lines"
	done
	expect_fail rt create --bundle "$T_DIR/b-bad_mount_source" "$(new_id)"
	assert_contains "$ERR" /no/such/dir/jt "the bad mount source is not named"
	expect_fail rt create --bundle "$T_DIR/b-missing_binary" "$(new_id)"
	assert_contains "$ERR" /no/such/binary "the missing binary is not named"
}

test_log_json_error() {
	make_bundle b "${CASES[bad_mount_source]}"
	local id
	id=$(new_id)
	expect_fail "$RUNTIME" --root "$T_ROOT" --log "$T_DIR/log.json" --log-format json create --bundle "$T_DIR/b" "$id"
	assert_file_exists log.json
	# every line is a JSON object; the last error explains the failure
	local last
	while read -r line; do
		assert_json "$line" "log line is not JSON"
	done <log.json
	last=$(jq -c 'select(.level == "error")' log.json | tail -n 1)
	[ -n "$last" ] || fail "no error line in the json log: $(cat log.json)"
	assert_jq "$last" '.msg | length > 0' true
	assert_jq "$last" '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' true
}

t_main "$@"
