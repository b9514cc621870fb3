#!/usr/bin/env bash
# Hooks: all six kinds, their order, the state on stdin, env and args,
# failing hooks and hook timeouts.
. "$(dirname "$0")/../lib.sh"

# hook NAME [EXTRA-SHELL]: a host-side hook that saves its stdin to
# $T_DIR/hooks/NAME.json and appends NAME to $T_DIR/hooks/order.
hook() {
	jq -n --arg name "$1" --arg d "$T_DIR/hooks" --arg extra "${2:-}" \
		'{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/\($name).json; echo \($name) >> \($d)/order; echo \"$HOOKVAR $0 $1\" > \($d)/\($name).env; \($extra)", "arg0-\($name)", "arg1"],
		  env: ["HOOKVAR=var-\($name)", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

# all_hooks_bundle: bundle b with every hook kind; startContainer runs in the
# container and writes to /hooks, a bind mount of $T_DIR/hooks.
all_hooks_bundle() {
	mkdir -p hooks
	local h
	for h in prestart createRuntime createContainer poststart poststop; do
		hook "$h" >"hooks/$h.hook"
	done
	jq -n '{path: "/bin/sh", args: ["sh", "-c", "cat > /hooks/startContainer.json; echo startContainer >> /hooks/order; echo \"$HOOKVAR\" > /hooks/startContainer.env"],
		env: ["HOOKVAR=var-startContainer"]}' >hooks/startContainer.hook
	make_bundle b '.process.args = ["sh", "-c", "echo process >> /hooks/order; exec sleep 1000"]
		| .annotations = {"org.jitrun.hooktest": "yes"}
		| .mounts += [{"destination": "/hooks", "type": "bind", "source": ($ENV.T_DIR + "/hooks"), "options": ["rbind", "rw"]}]
		| .hooks = {}'
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		bundle_jq b '.hooks[$ENV.K] = [$ENV.H | fromjson]' K="$h" H="$(cat "hooks/$h.hook")"
	done
}

test_all_hooks_order_and_state() {
	all_hooks_bundle
	local id pid
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	assert_eq "$(head -n 3 hooks/order | tr '\n' ' ')" "prestart createRuntime createContainer " "hooks run by create"
	assert_not_contains "$(cat hooks/order)" startContainer "startContainer ran at create"
	expect_ok rt start "$id"
	wait_file_contains hooks/order poststart
	wait_file_contains hooks/order process
	# startContainer runs before the process (runc 1.1 runs poststart at create)
	assert_eq "$(grep -v poststart hooks/order | tr '\n' ' ')" "prestart createRuntime createContainer startContainer process "
	expect_ok rt kill "$id" KILL
	wait_status "$id" stopped
	assert_not_contains "$(cat hooks/order)" poststop "poststop ran before delete"
	expect_ok rt delete "$id"
	assert_eq "$(tail -n 1 hooks/order)" poststop "last hook"
	assert_eq "$(grep -c . hooks/order)" 7 "hook runs"

	local h s
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		s=$(cat "hooks/$h.json")
		assert_json "$s" "state on the stdin of $h"
		assert_jq "$s" .id "$id"
		assert_jq "$s" .bundle "$T_DIR/b"
		assert_jq "$s" '.annotations["org.jitrun.hooktest"]' yes
		assert_match "$(jq -r .ociVersion <<<"$s")" '^1\.'
	done
	# (runc 1.1 gives createContainer and startContainer the pid as seen in
	# the container: see container_hooks_get_host_pid)
	for h in prestart createRuntime poststart; do
		assert_jq "$(cat "hooks/$h.json")" .pid "$pid"
	done
	assert_jq "$(cat hooks/createRuntime.json)" .status creating
	assert_jq "$(cat hooks/createContainer.json)" .status creating
	assert_jq "$(cat hooks/poststop.json)" .status stopped
	# env and args reach the hooks
	assert_eq "$(cat hooks/createRuntime.env)" "var-createRuntime arg0-createRuntime arg1"
	assert_eq "$(cat hooks/startContainer.env)" var-startContainer
}

test_container_hooks_get_host_pid() {
	jitrun_only "runc 1.1 passes the pid inside the container"
	all_hooks_bundle
	local id pid
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	expect_ok rt start "$id"
	wait_file_contains hooks/order startContainer
	assert_jq "$(cat hooks/createContainer.json)" .pid "$pid"
	assert_jq "$(cat hooks/startContainer.json)" .pid "$pid"
}

test_poststart_runs_after_start() {
	jitrun_only "runc 1.1 runs poststart hooks at create"
	all_hooks_bundle
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	assert_eq "$(tr '\n' ' ' <hooks/order)" "prestart createRuntime createContainer " "hooks run by create"
	expect_ok rt start "$id"
	# poststart hooks have run when start returns
	assert_eq "$(grep -v process hooks/order | tr '\n' ' ')" "prestart createRuntime createContainer startContainer poststart "
	assert_jq "$(cat hooks/poststart.json)" .status running
}

test_hook_namespaces() {
	# createRuntime runs in the runtime's namespaces, createContainer and
	# startContainer in the container's
	mkdir -p hooks
	make_bundle b '.process.args = ["sleep", "1000"]
		| .mounts += [{"destination": "/hooks", "type": "bind", "source": ($ENV.T_DIR + "/hooks"), "options": ["rbind", "rw"]}]
		| .hooks = {
			createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "for n in mnt uts; do readlink /proc/self/ns/$n; done > \($ENV.T_DIR)/hooks/createRuntime.ns"]}],
			createContainer: [{path: "/bin/sh", args: ["sh", "-c", "for n in mnt uts; do readlink /proc/self/ns/$n; done > \($ENV.T_DIR)/hooks/createContainer.ns"]}],
			startContainer: [{path: "/bin/sh", args: ["sh", "-c", "for n in mnt uts; do readlink /proc/self/ns/$n; done > /hooks/startContainer.ns"]}]}'
	local id pid
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	local host_ns ctr_ns
	host_ns="$(ns_of $$ mnt) $(ns_of $$ uts)"
	ctr_ns="$(ns_of "$pid" mnt) $(ns_of "$pid" uts)"
	assert_ne "$host_ns" "$ctr_ns"
	assert_eq "$(tr '\n' ' ' <hooks/createRuntime.ns)" "$host_ns " "namespaces of createRuntime"
	assert_eq "$(tr '\n' ' ' <hooks/createContainer.ns)" "$ctr_ns " "namespaces of createContainer"
	assert_eq "$(tr '\n' ' ' <hooks/startContainer.ns)" "$ctr_ns " "namespaces of startContainer"
}

test_failing_create_hook_fails_create() {
	local kind id
	for kind in prestart createRuntime createContainer; do
		export KIND=$kind
		make_bundle "b-$kind" '.process.args = ["sh", "-c", "echo started"]
			| .hooks = {($ENV.KIND): [{path: "/bin/sh", args: ["sh", "-c", "echo hook-failing >&2; exit 3"]}]}'
		id=$(new_id)
		expect_fail rt create --bundle "$T_DIR/b-$kind" "$id"
		assert_not_contains "$OUT" started "the process ran although $kind failed"
		expect_fail rt state "$id"
		assert_contains "$ERR" "does not exist"
	done
	# the harness checks that no cgroup, mount, state or process is left
}

test_failing_start_hook_stops_container() {
	make_bundle b "$JQ_RW"' | .process.args = ["sh", "-c", "echo ran > /tmp/ran; exec sleep 1000"]
		| .hooks = {startContainer: [{path: "/bin/false"}]}'
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	rt start "$id" >/dev/null 2>&1 || true
	wait_status "$id" stopped
	assert_file_absent b/rootfs/tmp/ran "the process ran although startContainer failed"
	expect_ok rt delete "$id"
}

test_failing_start_hook_fails_start() {
	jitrun_only "runc 1.1 start succeeds and the container stops"
	make_bundle b '.process.args = ["sleep", "1000"] | .hooks = {startContainer: [{path: "/bin/false"}]}'
	local id
	id=$(new_id)
	rt_create "$id" "$T_DIR/b"
	expect_fail rt start "$id"
	assert_contains "$ERR" startContainer
}

test_failing_poststart_and_poststop_hooks() {
	make_bundle b '.process.args = ["sleep", "1000"] | .hooks = {
		poststart: [{path: "/bin/sh", args: ["sh", "-c", "exit 1"]}],
		poststop: [{path: "/bin/sh", args: ["sh", "-c", "exit 1"]}, {path: "/bin/sh", args: ["sh", "-c", "echo second > \($ENV.T_DIR)/poststop2"]}]}'
	local id
	id=$(new_id)
	# runc 1.1 fails create here (it runs poststart hooks at create); the
	# runtime-spec says a failing poststart hook is only warned about
	if rt create --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1; then
		rt start "$id" >/dev/null 2>&1 || true
	fi
	# whatever create/start reported, delete must clean up and a failing
	# poststop hook must not stop the others (runtime-spec: warn and go on)
	rt delete --force "$id" >/dev/null 2>&1 || true
	expect_fail rt state "$id"
	if is_jitrun; then
		assert_file_exists poststop2 "the poststop hook after a failing one did not run"
	fi
}

test_hook_timeout() {
	# the hook process is named after the test so that a leftover is found
	ln -s /bin/sleep "$T_DIR/$T_PREFIX-sleep"
	export SLEEPER=$T_DIR/$T_PREFIX-sleep
	make_bundle b '.process.args = ["sh", "-c", "echo started"] | .hooks = {
		createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "exec \($ENV.SLEEPER) 30"], timeout: 1}]}'
	local id
	id=$(new_id)
	expect_fail timeout 25 "$RUNTIME" --root "$T_ROOT" create --bundle "$T_DIR/b" "$id"
	assert_ne "$RC" 124 "create hung on a hook with a 1 s timeout"
	assert_not_contains "$OUT" started
	expect_fail rt state "$id"
	pgrep -f -- "$SLEEPER" >/dev/null && fail "the timed-out hook is still running"
	true
}

test_hook_missing_binary_fails() {
	make_bundle b '.hooks = {createRuntime: [{path: "/no/such/hook"}]}'
	local id
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	# one line naming the hook and why its exec failed
	is_jitrun && assert_eq "$ERR" "jitrun: createRuntime hook \`/no/such/hook\`: exec: No such file or directory"
	expect_fail rt state "$id"
}

test_run_runs_all_hooks() {
	all_hooks_bundle
	bundle_jq b '.process.args = ["sh", "-c", "echo process >> /hooks/order"]'
	local id
	id=$(new_id)
	expect_ok rt run --bundle "$T_DIR/b" "$id"
	assert_eq "$(grep -c . hooks/order)" 7
	assert_eq "$(grep -v poststart hooks/order | tr '\n' ' ')" "prestart createRuntime createContainer startContainer process poststop "
}

t_main "$@"
