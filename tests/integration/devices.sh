#!/usr/bin/env bash
# Devices: the default /dev, extra linux.devices, the devices cgroup.
. "$(dirname "$0")/../lib.sh"

test_default_devices() {
	make_bundle b
	OUT=$(run_sh b 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T %a" /dev/$d)"; done
		for l in fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		[ -c /dev/ptmx ] && echo ptmx-char
		[ -d /dev/shm ] && echo shm-dir; [ -d /dev/pts ] && echo pts-dir; [ -d /dev/mqueue ] && echo mqueue-dir')
	assert_contains "$OUT" "null character special file 1:3 666"
	assert_contains "$OUT" "zero character special file 1:5 666"
	assert_contains "$OUT" "full character special file 1:7 666"
	assert_contains "$OUT" "random character special file 1:8 666"
	assert_contains "$OUT" "urandom character special file 1:9 666"
	assert_contains "$OUT" "tty character special file 5:0 666"
	assert_contains "$OUT" "fd -> /proc/self/fd"
	assert_contains "$OUT" "stdin -> /proc/self/fd/0"
	assert_contains "$OUT" "stdout -> /proc/self/fd/1"
	assert_contains "$OUT" "stderr -> /proc/self/fd/2"
	assert_contains "$OUT" ptmx-char
	assert_contains "$OUT" shm-dir
	assert_contains "$OUT" pts-dir
	assert_contains "$OUT" mqueue-dir
}

test_default_devices_work() {
	make_bundle b
	OUT=$(run_sh b 'echo x > /dev/null && echo null-ok
		echo "zero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")"
		echo x > /dev/full 2>/dev/null || echo full-enospc
		echo "urandom=$(head -c 16 /dev/urandom | wc -c)"
		echo "random=$(head -c 4 /dev/random | wc -c)"
		echo via-fd > /dev/stdout
		ls /dev/fd/ | tr "\n" " "; echo')
	assert_contains "$OUT" null-ok
	assert_contains "$OUT" zero=00000000
	assert_contains "$OUT" full-enospc
	assert_contains "$OUT" urandom=16
	assert_contains "$OUT" random=4
	assert_contains "$OUT" via-fd
}

test_no_host_devices() {
	make_bundle b
	OUT=$(run_sh b 'ls /dev | tr "\n" " "')
	# only the default set: no disks, no kmsg, no mem
	assert_not_contains "$OUT" kmsg
	assert_not_contains "$OUT" " mem "
	assert_not_contains "$OUT" vda
	assert_not_contains "$OUT" sda
}

test_devices_cgroup_denies_access() {
	# with every capability, a device node made by mknod still cannot be
	# opened unless the devices cgroup allows it (10:229 is /dev/fuse)
	make_bundle b "$JQ_RW | $JQ_ALLCAPS"
	OUT=$(run_sh b 'mknod /tmp/fuse c 10 229 || echo mknod-refused
		dd if=/tmp/fuse of=/dev/null bs=1 count=0 2>&1 && echo fuse-open-ok
		mknod /tmp/null c 1 3 || echo null-mknod-refused; head -c 1 /tmp/null; echo "read-null-rc=$?"; true')
	assert_not_contains "$OUT" fuse-open-ok "the devices cgroup let an unlisted device be opened"
	if [[ $OUT != *mknod-refused* ]]; then
		assert_match "$OUT" 'Operation not permitted|Permission denied'
	fi
	assert_not_contains "$OUT" null-mknod-refused
	assert_contains "$OUT" read-null-rc=0
}

test_devices_cgroup_host_view() {
	[ -d /sys/fs/cgroup/devices ] || skip "no v1 devices controller"
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id pid list
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	list=$(cat "$(cg_dir "$pid" devices)/devices.list")
	assert_not_contains "$list" "a *:* rwm" "the container may use every device"
	assert_contains "$list" "c 1:3 rwm"
	assert_contains "$list" "c 1:5 rwm"
	assert_contains "$list" "c 1:9 rwm"
}

test_extra_device() {
	# 10:229 is /dev/fuse; opening it without mounting anything is harmless
	make_bundle b '.linux.devices = [{"path": "/dev/jtfuse", "type": "c", "major": 10, "minor": 229,
			"fileMode": 416, "uid": 1000, "gid": 2000}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	OUT=$(run_sh b 'stat -c "%F %t:%T %a %u:%g" /dev/jtfuse; dd if=/dev/jtfuse of=/dev/null bs=1 count=0 2>/dev/null && echo open-ok')
	# 416 = 0640; 10:229 in hex is a:e5
	assert_eq "$OUT" "character special file a:e5 640 1000:2000
open-ok"
}

test_extra_device_denied_by_cgroup() {
	make_bundle b '.linux.devices = [{"path": "/dev/jtfuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"},
			{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "w"}]'
	OUT=$(run_sh b 'dd if=/dev/jtfuse of=/dev/null bs=1 count=0 2>&1 && echo read-open-ok; echo')
	assert_not_contains "$OUT" read-open-ok "a device allowed for writing only was opened for reading"
	assert_match "$OUT" 'Operation not permitted|Permission denied'
}

t_main "$@"
