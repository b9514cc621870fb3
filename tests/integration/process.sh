#!/usr/bin/env bash
# The container process: user, groups, umask, cwd, env, rlimits,
# oom_score_adj, capabilities, noNewPrivileges, sysctls, file descriptors.
. "$(dirname "$0")/../lib.sh"

test_user_groups_umask_cwd() {
	make_bundle b "$JQ_RW"' | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [2000, 3000], "umask": 23}
		| .process.cwd = "/home/user"'
	OUT=$(run_sh b 'id -u; id -g; id -G | tr " " "\n" | sort -n | tr "\n" " "; echo; umask; pwd
		touch newfile; stat -c "%a %u:%g" newfile; grep -E "^(Uid|Gid|Groups):" /proc/self/status | tr -s "\t " " "')
	assert_eq "$(sed -n 1p <<<"$OUT")" 1000 uid
	assert_eq "$(sed -n 2p <<<"$OUT")" 1000 gid
	assert_eq "$(sed -n 3p <<<"$OUT")" "1000 2000 3000 " groups
	assert_eq "$(sed -n 4p <<<"$OUT")" 0027 "umask (23 = 0027)"
	assert_eq "$(sed -n 5p <<<"$OUT")" /home/user cwd
	assert_eq "$(sed -n 6p <<<"$OUT")" "640 1000:1000" "mode of a new file"
	assert_contains "$OUT" "Uid: 1000 1000 1000 1000"
	assert_contains "$OUT" "Gid: 1000 1000 1000 1000"
	assert_file_exists b/rootfs/home/user/newfile
}

test_root_user_defaults() {
	make_bundle b
	OUT=$(run_sh b 'id -u; id -g; id -G; umask; pwd')
	assert_eq "$OUT" "0
0
0
0022
/"
}

test_env() {
	make_bundle b '.process.env = ["PATH=/bin:/usr/bin", "A=1", "B=with space", "C=a=b", "EMPTY="]
		| .process.user = {"uid": 1000, "gid": 1000}'
	OUT=$(run_sh b 'echo "A=$A"; echo "B=$B"; echo "C=$C"; echo "EMPTY=${EMPTY-unset}"; echo "HOME=$HOME"; echo "PATH=$PATH"')
	assert_eq "$OUT" "A=1
B=with space
C=a=b
EMPTY=
HOME=/home/user
PATH=/bin:/usr/bin"
}

test_env_is_exact() {
	make_bundle b '.process.env = ["PATH=/bin", "ONLY=this", "HOME=/root"]'
	OUT=$(run_sh b 'env | grep -v -E "^(PWD|SHLVL|_)=" | sort')
	assert_eq "$OUT" "HOME=/root
ONLY=this
PATH=/bin"
}

test_args_with_spaces() {
	make_bundle b '.process.args = ["sh", "-c", "printf \"<%s>\" \"$@\"", "argv0", "one two", "", "three"]'
	OUT=$(rt run --bundle "$T_DIR/b" "$(new_id)")
	assert_eq "$OUT" "<one two><><three>"
}

test_rlimits() {
	make_bundle b '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
		{"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192}]'
	OUT=$(run_sh b 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|core file size|msgqueue size)" /proc/self/limits | tr -s " " " "')
	assert_eq "$(sed -n 1p <<<"$OUT")" 512 "soft NOFILE"
	assert_eq "$(sed -n 2p <<<"$OUT")" 1000 "hard NOFILE"
	assert_contains "$OUT" "Max open files 512 1000 files"
	assert_contains "$OUT" "Max core file size 0 0 bytes"
	assert_contains "$OUT" "Max msgqueue size 4096 8192 bytes"
}

test_rlimit_above_hard_limit_fails() {
	local hard id
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] && skip "no hard NOFILE limit here"
	# CAP_SYS_RESOURCE (bit 24) would allow raising it
	(($(printf '%d' "0x$(awk '/^CapEff/ {print $2}' /proc/self/status)") & (1 << 24))) &&
		skip "we have CAP_SYS_RESOURCE"
	export HARD=$((hard + 1))
	make_bundle b '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": ($ENV.HARD | tonumber)}]
		| .process.args = ["sh", "-c", "echo started"]'
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_not_contains "$OUT" started "the container ran"
	expect_fail rt state "$id"
	assert_contains "$ERR" "does not exist"
}

test_rlimit_error_names_the_rlimit() {
	jitrun_only "runc says 'rlimit type 7'"
	local hard id
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] && skip "no hard NOFILE limit here"
	export HARD=$((hard + 1))
	make_bundle b '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": ($ENV.HARD | tonumber)}]'
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	assert_contains "$ERR" RLIMIT_NOFILE
	assert_match "$ERR" '^jitrun: '
	assert_le "$(wc -l <<<"$ERR")" 2 "error lines"
}

test_bad_rlimit_type_fails() {
	make_bundle b '.process.rlimits = [{"type": "RLIMIT_NOSUCH", "soft": 1, "hard": 1}]'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_oom_score_adj() {
	local host
	host=$(cat /proc/self/oom_score_adj)
	export ADJ=$((host + 500 > 1000 ? 1000 : host + 500))
	make_bundle b '.process.oomScoreAdj = ($ENV.ADJ | tonumber) | .process.args = ["sh", "-c", "cat /proc/self/oom_score_adj; exec sleep 1000"]'
	local id pid
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	pid=$(rt_pid "$id")
	wait_file_contains "$id.out" "$ADJ"
	assert_eq "$(cat "$id.out")" "$ADJ" "oom_score_adj inside"
	assert_eq "$(cat "/proc/$pid/oom_score_adj")" "$ADJ" "oom_score_adj seen from the host"
	assert_eq "$(cat /proc/self/oom_score_adj)" "$host" "the caller's oom_score_adj changed"
	# exec'd processes get it too
	expect_ok rt exec "$id" cat /proc/self/oom_score_adj
	assert_eq "$OUT" "$ADJ"
}

test_oom_score_adj_lowering_fails() {
	(($(printf '%d' "0x$(awk '/^CapEff/ {print $2}' /proc/self/status)") & (1 << 24))) &&
		skip "we have CAP_SYS_RESOURCE: lowering is allowed"
	local host
	host=$(cat /proc/self/oom_score_adj)
	[ "$host" -gt -1000 ] || skip "already at -1000"
	export ADJ=$((host - 1))
	make_bundle b '.process.oomScoreAdj = ($ENV.ADJ | tonumber)'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_default_capabilities() {
	make_bundle b
	OUT=$(run_sh b 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status | tr -s "\t" " "')
	# CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)
	assert_contains "$OUT" "CapEff: 0000000020000420"
	assert_contains "$OUT" "CapPrm: 0000000020000420"
	assert_contains "$OUT" "CapBnd: 0000000020000420"
}

test_custom_capabilities() {
	make_bundle b "$JQ_RW"' | .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		"effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"]}'
	OUT=$(run_sh b 'grep -E "^Cap(Prm|Eff|Bnd):" /proc/self/status | tr -s "\t" " "
		touch /tmp/f; chown 1000 /tmp/f && echo chown-ok; hostname foo 2>/dev/null && echo hostname-ok; true')
	# CAP_CHOWN (0), CAP_KILL (5), CAP_NET_RAW (13)
	assert_contains "$OUT" "CapEff: 0000000000000021"
	assert_contains "$OUT" "CapPrm: 0000000000000021"
	assert_contains "$OUT" "CapBnd: 0000000000002021"
	assert_contains "$OUT" chown-ok
	assert_not_contains "$OUT" hostname-ok "sethostname worked without CAP_SYS_ADMIN"
}

test_no_capabilities() {
	make_bundle b "$JQ_RW"' | del(.process.capabilities)'
	OUT=$(run_sh b 'grep -E "^Cap(Eff|Bnd):" /proc/self/status | tr -s "\t" " "; touch /tmp/f; chown 1000 /tmp/f 2>/dev/null || echo chown-denied')
	assert_contains "$OUT" "CapEff: 0000000000000000"
	assert_contains "$OUT" "CapBnd: 0000000000000000"
	assert_contains "$OUT" chown-denied
}

test_no_new_privileges() {
	make_bundle b '.process.noNewPrivileges = true'
	OUT=$(run_sh b 'grep NoNewPrivs /proc/self/status | tr -s "\t" " "')
	assert_eq "$OUT" "NoNewPrivs: 1"
	bundle_jq b '.process.noNewPrivileges = false'
	OUT=$(run_sh b 'grep NoNewPrivs /proc/self/status | tr -s "\t" " "')
	assert_eq "$OUT" "NoNewPrivs: 0"
}

test_sysctl() {
	local host_fwd host_shm
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shm_rmid_forced)
	export FWD=$((1 - host_fwd)) SHM=$((1 - host_shm))
	make_bundle b '.linux.sysctl = {"net.ipv4.ip_forward": ($ENV.FWD), "kernel.shm_rmid_forced": ($ENV.SHM)}'
	OUT=$(run_sh b 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced')
	assert_eq "$OUT" "$FWD
$SHM"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "the host's ip_forward changed"
	assert_eq "$(cat /proc/sys/kernel/shm_rmid_forced)" "$host_shm" "the host's shm_rmid_forced changed"
}

test_sysctl_not_namespaced_fails() {
	local before
	before=$(cat /proc/sys/kernel/pid_max)
	make_bundle b '.linux.sysctl = {"kernel.pid_max": "4000000"}'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_eq "$(cat /proc/sys/kernel/pid_max)" "$before" "the host's kernel.pid_max changed"
}

test_sysctl_netns_shared_with_host_fails() {
	make_bundle b '.linux.namespaces |= map(select(.type != "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	local before id
	before=$(cat /proc/sys/net/ipv4/ip_forward)
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_eq "$(cat /proc/sys/net/ipv4/ip_forward)" "$before" "the host's ip_forward changed"
}

test_no_fd_leaks() {
	make_bundle b '.process.args = ["sh", "-c", "ls /proc/self/fd | tr \"\\n\" \" \""]'
	OUT=$(rt run --bundle "$T_DIR/b" "$(new_id)" 7<"$TESTS_DIR/lib.sh" 8>"$T_DIR/fd8" 9</dev/null)
	# 0-2 and the directory fd of ls itself
	assert_eq "$OUT" "0 1 2 3 " "fds inside the container"
}

test_preserve_fds() {
	echo three >fd3
	echo four >fd4
	echo five >fd5
	make_bundle b '.process.args = ["sh", "-c", "cat /proc/self/fd/3 /proc/self/fd/4; [ -e /proc/self/fd/5 ] && echo fd5-leaked; true"]'
	OUT=$(rt run --preserve-fds 2 --bundle "$T_DIR/b" "$(new_id)" 3<fd3 4<fd4 5<fd5)
	assert_eq "$OUT" "three
four"
}

t_main "$@"
