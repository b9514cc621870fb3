#!/usr/bin/env bash
# cgroups: limits visible in the host's cgroup files, cgroupsPath, update,
# OOM.  Written for v1/hybrid hosts (this one); v2-only checks are skipped.
. "$(dirname "$0")/../lib.sh"

# the tests put containers under a parent named jitrun-tests: remove it
# when empty (the runtime only removes the container's own cgroup)
rm_test_parents() { find /sys/fs/cgroup -maxdepth 6 -depth -type d -name jitrun-tests -exec rmdir {} \; 2>/dev/null || true; }

need_v1() { [ -d "/sys/fs/cgroup/$1" ] || skip "no v1 $1 controller here"; }

# start_limited JQ-RESOURCES: a running sleeper with those resources, sets ID PID
start_limited() {
	export RES=$1
	make_bundle b '.linux.resources += ($ENV.RES | fromjson) | .process.args = ["sleep", "1000"]'
	ID=$(new_id)
	rt_run_d "$ID" "$T_DIR/b"
	PID=$(rt_pid "$ID")
}

test_memory_limits() {
	need_v1 memory
	start_limited '{"memory": {"limit": 67108864, "reservation": 33554432, "swap": 67108864}}'
	local d
	d=$(cg_dir "$PID" memory)
	assert_eq "$(cat "$d/memory.limit_in_bytes")" 67108864 memory.limit_in_bytes
	assert_eq "$(cat "$d/memory.soft_limit_in_bytes")" 33554432 memory.soft_limit_in_bytes
	if [ -f "$d/memory.memsw.limit_in_bytes" ]; then
		assert_eq "$(cat "$d/memory.memsw.limit_in_bytes")" 67108864 memory.memsw.limit_in_bytes
	fi
	grep -qx "$PID" "$d/cgroup.procs" || fail "pid $PID not in $d/cgroup.procs"
	expect_ok rt events --stats "$ID"
	assert_jq "$OUT" .data.memory.usage.limit 67108864
}

test_cpu_shares_quota() {
	need_v1 cpu
	start_limited '{"cpu": {"shares": 512, "quota": 50000, "period": 100000}}'
	local d
	d=$(cg_dir "$PID" cpu)
	assert_eq "$(cat "$d/cpu.shares")" 512 cpu.shares
	assert_eq "$(cat "$d/cpu.cfs_quota_us")" 50000 cpu.cfs_quota_us
	assert_eq "$(cat "$d/cpu.cfs_period_us")" 100000 cpu.cfs_period_us
}

test_pids_limit() {
	need_v1 pids
	start_limited '{"pids": {"limit": 50}}'
	assert_eq "$(cat "$(cg_dir "$PID" pids)/pids.max")" 50 pids.max
}

test_pids_limit_enforced() {
	# the inner shell gives up at its first failed fork; the outer one goes on
	make_bundle b "$JQ_RW"' | .linux.resources.pids = {"limit": 5}
		| .process.args = ["sh", "-c", "sh -c \"for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1000 & done\"; echo done > /tmp/done; exec sleep 999"]'
	local id pid d n
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	wait_file_contains b/rootfs/tmp/done "done"
	d=$(cg_dir "$pid" pids)
	assert_eq "$(cat "$d/pids.max")" 5
	n=$(grep -c . "$d/cgroup.procs")
	assert_le "$n" 5 "processes in a cgroup with pids.max=5"
	assert_gt "$n" 1 "no sleep process started"
	assert_contains "$(cat "$id.err")" "fork" "the shell did not report failed forks"
	if [ -f "$d/pids.events" ]; then
		assert_match "$(cat "$d/pids.events")" '^max [1-9]' "pids.events"
	fi
}

test_cpuset() {
	need_v1 cpuset
	export LAST=$(($(nproc) - 1))
	start_limited '{"cpu": {"cpus": "'"$LAST"'", "mems": "0"}}'
	local d
	d=$(cg_dir "$PID" cpuset)
	assert_eq "$(cat "$d/cpuset.cpus")" "$LAST" cpuset.cpus
	assert_eq "$(cat "$d/cpuset.mems")" 0 cpuset.mems
	expect_ok rt exec "$ID" sh -c 'grep Cpus_allowed_list /proc/self/status'
	assert_match "$OUT" "Cpus_allowed_list:[[:space:]]+$LAST\$"
}

test_default_cgroup_per_container() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local a b pa pb c
	a=$(new_id)
	b=$(new_id)
	rt_run_d "$a" "$T_DIR/b"
	rt_run_d "$b" "$T_DIR/b"
	pa=$(rt_pid "$a")
	pb=$(rt_pid "$b")
	for c in memory pids cpu freezer devices; do
		[ -d "/sys/fs/cgroup/$c" ] || continue
		assert_ne "$(cg_dir "$pa" "$c")" "$(cg_dir "$pb" "$c")" "two containers share a $c cgroup"
		assert_ne "$(cg_dir "$pa" "$c")" "$(cg_dir $$ "$c")" "the container is in the caller's $c cgroup"
	done
}

test_absolute_cgroups_path() {
	export CGP=/jitrun-tests/$T_PREFIX-abs
	make_bundle b '.linux.cgroupsPath = $ENV.CGP | .linux.resources.memory = {"limit": 50331648} | .process.args = ["sleep", "1000"]'
	local id pid c
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	for c in memory pids cpu freezer; do
		[ -d "/sys/fs/cgroup/$c" ] || continue
		assert_eq "$(cg_dir "$pid" "$c")" "/sys/fs/cgroup/$c$CGP" "$c cgroup"
	done
	assert_eq "$(cat "/sys/fs/cgroup/memory$CGP/memory.limit_in_bytes")" 50331648
	expect_ok rt delete --force "$id"
	for c in memory pids cpu freezer; do
		assert_file_absent "/sys/fs/cgroup/$c$CGP" "cgroup left after delete"
	done
	rm_test_parents
}

test_relative_cgroups_path() {
	export CGP=jitrun-tests/$T_PREFIX-rel
	make_bundle b '.linux.cgroupsPath = $ENV.CGP | .linux.resources.pids = {"limit": 42} | .process.args = ["sleep", "1000"]'
	local id pid d
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	# relative to a place the runtime chooses
	d=$(cg_dir "$pid" pids)
	assert_match "$d" "/$CGP\$" "pids cgroup of a relative cgroupsPath"
	assert_eq "$(cat "$d/pids.max")" 42
	expect_ok rt delete --force "$id"
	assert_file_absent "$d" "cgroup left after delete"
	rm_test_parents
}

test_update_resources_stdin() {
	need_v1 memory
	start_limited '{"memory": {"limit": 67108864}, "pids": {"limit": 50}, "cpu": {"shares": 512}}'
	echo '{"memory": {"limit": 134217728}, "cpu": {"shares": 256, "quota": 20000, "period": 100000}, "pids": {"limit": 99}}' >res.json
	rt update --resources - "$ID" <res.json || fail "update --resources - failed"
	assert_eq "$(cat "$(cg_dir "$PID" memory)/memory.limit_in_bytes")" 134217728 memory.limit_in_bytes
	assert_eq "$(cat "$(cg_dir "$PID" cpu)/cpu.shares")" 256 cpu.shares
	assert_eq "$(cat "$(cg_dir "$PID" cpu)/cpu.cfs_quota_us")" 20000 cpu.cfs_quota_us
	assert_eq "$(cat "$(cg_dir "$PID" pids)/pids.max")" 99 pids.max
	assert_eq "$(rt_status "$ID")" running
	# from a file too
	echo '{"pids": {"limit": 77}}' >res2.json
	expect_ok rt update --resources "$T_DIR/res2.json" "$ID"
	assert_eq "$(cat "$(cg_dir "$PID" pids)/pids.max")" 77 pids.max
	assert_eq "$(cat "$(cg_dir "$PID" memory)/memory.limit_in_bytes")" 134217728 "memory limit changed by an update without memory"
}

test_update_flags() {
	need_v1 memory
	start_limited '{"memory": {"limit": 67108864}, "pids": {"limit": 50}}'
	expect_ok rt update --memory 104857600 --cpu-quota 30000 --cpu-period 100000 --pids-limit 33 --cpuset-cpus 0 "$ID"
	assert_eq "$(cat "$(cg_dir "$PID" memory)/memory.limit_in_bytes")" 104857600 memory.limit_in_bytes
	assert_eq "$(cat "$(cg_dir "$PID" cpu)/cpu.cfs_quota_us")" 30000 cpu.cfs_quota_us
	assert_eq "$(cat "$(cg_dir "$PID" pids)/pids.max")" 33 pids.max
	assert_eq "$(cat "$(cg_dir "$PID" cpuset)/cpuset.cpus")" 0 cpuset.cpus
}

test_update_bad_input_fails() {
	start_limited '{"pids": {"limit": 50}}'
	echo 'this is not json' >bad.json
	expect_fail rt update --resources "$T_DIR/bad.json" "$ID"
	expect_fail rt update --resources - "nosuch-$T_PREFIX"
	assert_eq "$(rt_status "$ID")" running
	[ -d /sys/fs/cgroup/pids ] && assert_eq "$(cat "$(cg_dir "$PID" pids)/pids.max")" 50
	true
}

test_oom_kill() {
	need_v1 memory
	# dd allocates its 64 MiB block and fills it: over a 32 MiB limit
	make_bundle b '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
		| .process.args = ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]'
	local id rc=0
	id=$(new_id)
	rt run --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 137 "exit code of an OOM-killed container"
}

test_oom_kill_detached_state() {
	need_v1 memory
	make_bundle b '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}
		| .process.args = ["sh", "-c", "sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=1; exec sleep 1000"]'
	local id pid d
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	d=$(cg_dir "$pid" memory)
	_oom_counted() { grep -qE '^oom_kill [1-9]' "$d/memory.oom_control"; }
	wait_for _oom_counted
	# dd was killed, the shell goes on
	assert_eq "$(rt_status "$id")" running
	assert_eq "$(cat "$d/memory.limit_in_bytes")" 33554432
}

t_main "$@"
