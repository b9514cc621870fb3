#!/usr/bin/env bash
# Namespaces: new ones, shared ones, joined by path, user-namespace maps,
# hostname and domainname.
. "$(dirname "$0")/../lib.sh"

NS_SHOW='for n in pid net ipc uts mnt cgroup user; do echo "$n $(readlink /proc/self/ns/$n)"; done'

# inside_ns OUTPUT TYPE: the namespace link of TYPE printed by NS_SHOW
inside_ns() { awk -v t="$2" '$1 == t {print $2}' <<<"$1"; }

test_new_namespaces() {
	make_bundle b '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'
	OUT=$(run_sh b "$NS_SHOW")
	local n
	for n in pid net ipc uts mnt cgroup; do
		assert_ne "$(inside_ns "$OUT" $n)" "" "no $n namespace link inside"
		assert_ne "$(inside_ns "$OUT" $n)" "$(ns_of $$ $n)" "$n namespace is the host's"
	done
	assert_eq "$(inside_ns "$OUT" user)" "$(ns_of $$ user)" "user namespace should be the host's"
}

test_shared_namespaces() {
	# only a mount namespace: everything else is shared with the host
	make_bundle b '.linux.namespaces = [{"type":"mount"}] | .hostname = null'
	OUT=$(run_sh b "$NS_SHOW")
	local n
	for n in pid net ipc uts user; do
		assert_eq "$(inside_ns "$OUT" $n)" "$(ns_of $$ $n)" "$n namespace should be the host's"
	done
	assert_ne "$(inside_ns "$OUT" mnt)" "$(ns_of $$ mnt)"
}

test_pid_namespace_pid1() {
	make_bundle b
	OUT=$(run_sh b 'echo $$; ps -o pid,comm | wc -l')
	assert_eq "$(sed -n 1p <<<"$OUT")" 1 "pid of the container process"
	# header + sh + ps + wc
	assert_le "$(sed -n 2p <<<"$OUT")" 4 "host processes visible in ps"
}

test_network_namespace_only_lo() {
	make_bundle b
	OUT=$(run_sh b 'ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "')
	assert_eq "$OUT" "lo
lo"
}

test_time_namespace() {
	rt features | jq -e '.linux.namespaces | index("time")' >/dev/null ||
		skip "runtime does not list the time namespace in features"
	make_bundle b '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}}'
	# /proc/uptime reads CLOCK_BOOTTIME, shifted by the boottime offset
	OUT=$(run_sh b 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime')
	assert_ne "$(sed -n 1p <<<"$OUT")" "$(ns_of $$ time)"
	local host
	host=$(cut -d. -f1 /proc/uptime)
	assert_gt "$(sed -n 2p <<<"$OUT")" $((host + 86000)) "boottime offset"
}

test_time_namespace_exec() {
	rt features | jq -e '.linux.namespaces | index("time")' >/dev/null ||
		skip "runtime does not list the time namespace in features"
	make_bundle b '.linux.namespaces += [{"type":"time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}}
		| .process.args = ["sleep", "1000"]'
	local id host
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	# exec joins the time namespace (its helper cannot share the runtime's
	# memory to do so: it forks) and sees the container's clock
	expect_ok rt exec "$id" sh -c 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
	assert_eq "$(sed -n 1p <<<"$OUT")" "$(ns_of "$(rt_pid "$id")" time)" "time namespace of the exec process"
	host=$(cut -d. -f1 /proc/uptime)
	assert_gt "$(sed -n 2p <<<"$OUT")" $((host + 86000)) "boottime offset in the exec process"
}

test_hostname() {
	make_bundle b '.hostname = "jt-host"'
	OUT=$(run_sh b 'hostname; cat /proc/sys/kernel/hostname')
	assert_eq "$OUT" "jt-host
jt-host"
	assert_ne "$(hostname)" jt-host "the host's hostname changed"
}

test_domainname() {
	jitrun_only "runc 1.1 ignores domainname"
	make_bundle b '.hostname = "jt-host" | .domainname = "example.test"'
	OUT=$(run_sh b 'hostname; cat /proc/sys/kernel/domainname')
	assert_eq "$OUT" "jt-host
example.test"
	assert_ne "$(cat /proc/sys/kernel/domainname)" example.test "the host's domainname changed"
}

test_cgroup_namespace_root() {
	make_bundle b '.linux.namespaces += [{"type":"cgroup"}]'
	OUT=$(run_sh b 'cat /proc/self/cgroup')
	assert_match "$OUT" '(^|
)[0-9]+:memory:/(
|$)' "memory cgroup inside a cgroup namespace should be /"
}

test_user_namespace_maps() {
	make_bundle b '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c %u:%g /bin/busybox; exec sleep 1000"]'
	chown -R 100000:200000 b/rootfs
	local id pid
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	_five_lines() { [ "$(wc -l <"$id.out")" -ge 5 ]; }
	wait_for _five_lines
	# normalise the whitespace of the map files
	OUT=$(tr -s ' \t' ' ' <"$id.out" | sed 's/^ //')
	assert_eq "$OUT" "0 100000 65536
0 200000 65536
0
0
0:0"
	# from the host, the process runs as 100000:200000
	assert_match "$(grep '^Uid:' "/proc/$pid/status")" '^Uid:[[:space:]]+100000[[:space:]]'
	assert_match "$(grep '^Gid:' "/proc/$pid/status")" '^Gid:[[:space:]]+200000[[:space:]]'
	assert_ne "$(ns_of "$pid" user)" "$(ns_of $$ user)"
	# exec joins the user namespace
	expect_ok rt exec "$id" sh -c 'readlink /proc/self/ns/user; id -u'
	assert_eq "$(sed -n 1p <<<"$OUT")" "$(ns_of "$pid" user)" "user namespace of the exec process"
	assert_eq "$(sed -n 2p <<<"$OUT")" 0 "uid of the exec process in the container"
}

test_user_namespace_unmapped_files() {
	make_bundle b '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]'
	# rootfs stays owned by host root: it shows up as the overflow id
	OUT=$(run_sh b 'stat -c %u /bin/busybox; id -u')
	assert_eq "$OUT" "65534
0"
}

test_join_namespaces_by_path() {
	make_bundle a '.process.args = ["sleep", "1000"] | .hostname = "jt-first"'
	local a b pid n
	a=$(new_id)
	rt_run_d "$a" "$T_DIR/a"
	pid=$(rt_pid "$a")
	export NSPID=$pid
	make_bundle b '.linux.namespaces = [{"type":"mount"}, {"type":"pid"},
			{"type":"network", "path": "/proc/\($ENV.NSPID)/ns/net"},
			{"type":"ipc", "path": "/proc/\($ENV.NSPID)/ns/ipc"},
			{"type":"uts", "path": "/proc/\($ENV.NSPID)/ns/uts"}]
		| del(.hostname)'
	OUT=$(run_sh b "$NS_SHOW; hostname")
	for n in net ipc uts; do
		assert_eq "$(inside_ns "$OUT" $n)" "$(ns_of "$pid" $n)" "$n namespace was not joined"
	done
	assert_ne "$(inside_ns "$OUT" pid)" "$(ns_of "$pid" pid)" "pid namespace should be new"
	assert_eq "$(tail -n 1 <<<"$OUT")" jt-first "hostname of the joined uts namespace"
}

test_join_netns_bind_mount() {
	local name=$T_PREFIX
	ip netns add "$name" || skip "ip netns add failed"
	# expanded now: the function's locals are gone when the trap runs
	trap "ip netns del $name 2>/dev/null || true; _t_cleanup" EXIT
	# a marker in that netns: a dummy link if the kernel has them, else lo up
	local marker=jtdummy0
	ip -n "$name" link add "$marker" type dummy 2>/dev/null || marker=""
	ip -n "$name" link set lo up
	export NSPATH=/run/netns/$name
	make_bundle b '.linux.namespaces |= map(if .type == "network" then .path = $ENV.NSPATH else . end)'
	OUT=$(run_sh b 'readlink /proc/self/ns/net; echo $(ls /sys/class/net); cat /sys/class/net/lo/operstate')
	assert_eq "$(sed -n 1p <<<"$OUT")" "$(ip netns exec "$name" readlink /proc/self/ns/net)" "netns not joined"
	assert_eq "$(sed -n 3p <<<"$OUT")" unknown "lo of the joined netns is not up"
	if [ -n "$marker" ]; then
		assert_contains "$OUT" "$marker"
	fi
}

test_join_bad_namespace_path_fails() {
	make_bundle b '.linux.namespaces |= map(if .type == "network" then .path = "/no/such/netns" else . end)'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

t_main "$@"
