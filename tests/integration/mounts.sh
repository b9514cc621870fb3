#!/usr/bin/env bash
# Mounts: bind (ro/rw, file), tmpfs with size, proc, sysfs, mqueue, devpts,
# cgroup, masked and readonly paths, readonly root.
. "$(dirname "$0")/../lib.sh"

# mount_opts MOUNTS-TEXT MOUNTPOINT: "type options" of MOUNTPOINT in a
# /proc/mounts text (the last one when stacked).
mount_line() { awk -v m="$2" '$2 == m {l = $3 " " $4} END {print l}' <<<"$1"; }

test_bind_ro_and_rw() {
	mkdir -p ro rw
	echo host-data >ro/file
	make_bundle b '.mounts += [
		{"destination": "/ro", "type": "bind", "source": ($ENV.T_DIR + "/ro"), "options": ["rbind", "ro"]},
		{"destination": "/rw", "type": "bind", "source": ($ENV.T_DIR + "/rw"), "options": ["bind", "rw"]}]'
	OUT=$(run_sh b 'cat /ro/file; touch /ro/new 2>/dev/null && echo ro-writable; echo from-container > /rw/new; cat /proc/mounts')
	assert_eq "$(sed -n 1p <<<"$OUT")" host-data
	assert_not_contains "$OUT" ro-writable "a ro bind mount was writable"
	assert_file_absent ro/new
	assert_eq "$(cat rw/new)" from-container "write through the rw bind mount"
	assert_match "$(mount_line "$OUT" /ro)" '(^| |,)ro(,|$)'
	assert_match "$(mount_line "$OUT" /rw)" '(^| |,)rw(,|$)'
}

test_bind_file() {
	echo file-content >hostfile
	make_bundle b '.mounts += [{"destination": "/etc/hostfile", "type": "bind", "source": ($ENV.T_DIR + "/hostfile"), "options": ["bind", "ro"]}]'
	OUT=$(run_sh b 'cat /etc/hostfile; [ -f /etc/hostfile ] && echo is-file')
	assert_eq "$OUT" "file-content
is-file"
}

test_bind_creates_missing_destination() {
	mkdir -p src
	echo deep >src/f
	make_bundle b '.mounts += [{"destination": "/new/deep/dir", "type": "bind", "source": ($ENV.T_DIR + "/src"), "options": ["rbind"]}]'
	OUT=$(run_sh b 'cat /new/deep/dir/f')
	assert_eq "$OUT" deep
}

test_tmpfs_size_mode_flags() {
	make_bundle b '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		"options": ["size=1m", "mode=1777", "nosuid", "nodev", "noexec"]}]'
	OUT=$(run_sh b 'df -k /scratch | tail -n 1 | awk "{print \$2}"; stat -c %a /scratch
		dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null && echo fit || echo full
		printf "#!/bin/sh\necho ran\n" > /scratch/x; chmod +x /scratch/x; /scratch/x 2>/dev/null || echo noexec-ok
		grep " /scratch " /proc/mounts')
	assert_eq "$(sed -n 1p <<<"$OUT")" 1024 "tmpfs size in KiB"
	assert_eq "$(sed -n 2p <<<"$OUT")" 1777 "tmpfs mode"
	assert_eq "$(sed -n 3p <<<"$OUT")" full "a 2 MiB file fit in a 1 MiB tmpfs"
	assert_eq "$(sed -n 4p <<<"$OUT")" noexec-ok
	local line
	line=$(sed -n 5p <<<"$OUT")
	assert_contains "$line" tmpfs
	assert_contains "$line" nosuid
	assert_contains "$line" nodev
	assert_contains "$line" noexec
}

test_default_filesystems() {
	make_bundle b
	OUT=$(run_sh b 'cat /proc/mounts')
	assert_match "$(mount_line "$OUT" /proc)" '^proc '
	assert_match "$(mount_line "$OUT" /sys)" '^sysfs ro(,|$)'
	assert_match "$(mount_line "$OUT" /dev)" '^tmpfs '
	assert_match "$(mount_line "$OUT" /dev/mqueue)" '^mqueue '
	assert_match "$(mount_line "$OUT" /dev/shm)" '^tmpfs '
	local pts
	pts=$(mount_line "$OUT" /dev/pts)
	assert_match "$pts" '^devpts '
	assert_contains "$pts" gid=5
	assert_contains "$pts" mode=620
	assert_contains "$pts" ptmxmode=666
	assert_match "$(mount_line "$OUT" /)" ' ro(,|$)' "readonly root"
}

test_devpts_newinstance() {
	make_bundle b
	OUT=$(run_sh b 'ls /dev/pts | tr "\n" " "')
	# a new devpts instance has no pty of the host in it
	assert_eq "$OUT" "ptmx " "/dev/pts of the container"
}

test_cgroup_mount() {
	make_bundle b '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 77}'
	check_cgroup_mount
}

# v1: each hierarchy is bound with the new mount API where the kernel has
# it; this is the path of older kernels (and of a refused mount_setattr)
test_cgroup_mount_generic_bind() {
	jitrun_only "a test switch of jitrun"
	[ -d /sys/fs/cgroup/memory ] || skip "v1 hierarchies only"
	make_bundle b '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 77}'
	JITRUN_TEST_CGROUP_GENERIC_BIND=1 check_cgroup_mount
}

# check_cgroup_mount: run bundle b (memory limit 64 MiB, pids 77) and check
# its view of /sys/fs/cgroup
check_cgroup_mount() {
	if [ -d /sys/fs/cgroup/memory ]; then
		# cgroup v1 (or hybrid): each controller of the container is mounted
		# as the root of its hierarchy, read-only
		OUT=$(run_sh b 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
			echo 1 > /sys/fs/cgroup/pids/pids.max 2>/dev/null && echo writable; grep " /sys/fs/cgroup/memory " /proc/mounts')
		assert_eq "$(sed -n 1p <<<"$OUT")" 67108864 "memory.limit_in_bytes inside"
		assert_eq "$(sed -n 2p <<<"$OUT")" 77 "pids.max inside"
		assert_not_contains "$OUT" writable "the cgroup mount is writable"
		assert_match "$(sed -n 3p <<<"$OUT")" ' cgroup ro,'
	else
		OUT=$(run_sh b 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; grep " /sys/fs/cgroup " /proc/mounts')
		assert_eq "$(sed -n 1p <<<"$OUT")" 67108864
		assert_eq "$(sed -n 2p <<<"$OUT")" 77
		assert_match "$(sed -n 3p <<<"$OUT")" ' cgroup2 ro,'
	fi
}

test_masked_paths() {
	make_bundle b "$JQ_RW"' | .linux.maskedPaths += ["/etc/secret", "/secretdir"]'
	echo top-secret >b/rootfs/etc/secret
	mkdir -p b/rootfs/secretdir
	echo hidden >b/rootfs/secretdir/f
	OUT=$(run_sh b 'echo "timer_list=$(wc -c < /proc/timer_list)"; echo "firmware=$(ls /sys/firmware | wc -l)"
		echo "secret=$(cat /etc/secret)"; echo "dir=$(ls /secretdir | wc -l)"
		echo x > /etc/secret; touch /secretdir/new 2>/dev/null && echo dir-writable; true')
	# /proc/timer_list and /sys/firmware are masked by the default spec
	[ -s /proc/timer_list ] && assert_contains "$OUT" "timer_list=0"
	[ -n "$(ls /sys/firmware)" ] && assert_contains "$OUT" "firmware=0"
	assert_contains "$OUT" "secret="$'\n'
	assert_contains "$OUT" "dir=0"
	assert_not_contains "$OUT" top-secret
	assert_not_contains "$OUT" dir-writable "a masked dir is writable"
	assert_eq "$(cat b/rootfs/etc/secret)" top-secret "the masked file was changed"
	assert_eq "$(ls b/rootfs/secretdir)" f "the masked dir was changed"
}

test_readonly_paths() {
	make_bundle b "$JQ_RW"' | .linux.readonlyPaths += ["/etc", "/usr"]'
	OUT=$(run_sh b 'touch /etc/new 2>/dev/null && echo etc-writable; touch /tmp/new && echo tmp-writable
		grep -E " /proc/sys | /proc/sysrq-trigger | /etc " /proc/mounts')
	assert_not_contains "$OUT" etc-writable
	assert_contains "$OUT" tmp-writable
	assert_match "$(mount_line "$OUT" /proc/sys)" ' ro(,|$)'
	if [ -e /proc/sysrq-trigger ]; then
		assert_match "$(mount_line "$OUT" /proc/sysrq-trigger)" ' ro(,|$)'
	fi
	assert_match "$(mount_line "$OUT" /etc)" ' ro(,|$)'
	assert_file_absent b/rootfs/etc/new
}

test_readonly_root() {
	make_bundle b '.root.readonly = true'
	OUT=$(run_sh b 'touch /newfile 2>&1; touch /dev/shm/ok && echo shm-writable')
	assert_contains "$OUT" "Read-only file system"
	assert_contains "$OUT" shm-writable
	assert_file_absent b/rootfs/newfile
	bundle_jq b '.root.readonly = false'
	OUT=$(run_sh b 'touch /newfile && echo root-writable')
	assert_eq "$OUT" root-writable
	assert_file_exists b/rootfs/newfile
}

test_rootfs_absolute_path() {
	make_bundle b
	mv b/rootfs elsewhere
	export RFS=$T_DIR/elsewhere
	bundle_jq b '.root.path = $ENV.RFS'
	OUT=$(run_sh b 'cat /etc/os-release | grep ^ID=')
	assert_eq "$OUT" ID=busybox
}

test_nested_mounts_in_order() {
	mkdir -p inner
	echo inner-file >inner/f
	make_bundle b '.mounts += [
		{"destination": "/outer", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/outer/inner", "type": "bind", "source": ($ENV.T_DIR + "/inner"), "options": ["rbind", "ro"]}]'
	OUT=$(run_sh b 'cat /outer/inner/f; touch /outer/x && echo outer-writable')
	assert_eq "$OUT" "inner-file
outer-writable"
}

test_mounts_do_not_leak_to_host() {
	mkdir -p src
	local before after
	before=$(grep -c . /proc/self/mountinfo)
	make_bundle b '.mounts += [{"destination": "/m1", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/m2", "type": "bind", "source": ($ENV.T_DIR + "/src"), "options": ["rbind"]}]
		| .process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	grep -qE ' /m[12] ' /proc/self/mountinfo && fail "container mounts visible on the host"
	grep -qF "$T_DIR/b/rootfs" /proc/self/mountinfo && fail "rootfs mounted in the host namespace"
	expect_ok rt delete --force "$id"
	after=$(grep -c . /proc/self/mountinfo)
	[ "$after" -le "$before" ] || fail "host mount table grew from $before to $after"
}

t_main "$@"
