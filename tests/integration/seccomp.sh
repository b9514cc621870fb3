#!/usr/bin/env bash
# shellcheck disable=SC2089,SC2090 # shell code kept in variables on purpose
# Seccomp: errno and kill actions, argument conditions, exec, bad profiles.
. "$(dirname "$0")/../lib.sh"

ARCHES='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]'
export ARCHES

# a profile that allows everything but mkdir
DENY_MKDIR='.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'

test_errno_for_mkdir() {
	make_bundle b "$JQ_RW | $DENY_MKDIR"
	OUT=$(run_sh b 'mkdir /tmp/dir 2>&1; touch /tmp/file && echo touch-ok; grep Seccomp: /proc/self/status | tr -s "\t" " "')
	assert_contains "$OUT" "Operation not permitted"
	assert_contains "$OUT" touch-ok
	assert_contains "$OUT" "Seccomp: 2"
	assert_file_absent b/rootfs/tmp/dir
	assert_file_exists b/rootfs/tmp/file
}

test_custom_errno() {
	make_bundle b "$JQ_RW"' | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	OUT=$(run_sh b 'mkdir /tmp/dir 2>&1; true')
	assert_contains "$OUT" "Permission denied"
}

test_argument_condition() {
	# chmod is refused only when the mode argument is exactly 0700 (448)
	make_bundle b "$JQ_RW"' | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [
			{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]},
			{"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]}]}'
	touch b/rootfs/tmp/private b/rootfs/tmp/public
	chmod 644 b/rootfs/tmp/private b/rootfs/tmp/public
	OUT=$(run_sh b 'chmod 700 /tmp/private 2>&1 || echo private-refused; chmod 755 /tmp/public && echo public-ok')
	assert_contains "$OUT" private-refused
	assert_contains "$OUT" "Operation not permitted"
	assert_contains "$OUT" public-ok
	assert_eq "$(stat -c %a b/rootfs/tmp/private)" 644 "mode after a refused chmod"
	assert_eq "$(stat -c %a b/rootfs/tmp/public)" 755 "mode after an allowed chmod"
}

test_masked_argument_condition() {
	# open/openat refused when O_CREAT (0100 = 64) is set in the flags
	make_bundle b "$JQ_RW"' | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [
			{"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 64, "valueTwo": 64, "op": "SCMP_CMP_MASKED_EQ"}]},
			{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 2, "value": 64, "valueTwo": 64, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	OUT=$(run_sh b 'echo x > /tmp/created 2>/dev/null || echo create-refused; grep -c ^ID= /etc/os-release')
	assert_eq "$OUT" "create-refused
1"
	assert_file_absent b/rootfs/tmp/created
}

test_kill_action() {
	make_bundle b '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"}]}
		| .process.args = ["uname", "-a"]'
	local rc=0
	rt run --bundle "$T_DIR/b" "$(new_id)" >out 2>&1 </dev/null || rc=$?
	# killed by SIGSYS (31)
	assert_eq "$rc" 159 "exit code of a process killed by seccomp"
}

test_default_errno_with_allowlist() {
	# deny by default, allow every syscall the kernel headers name except mkdir
	local hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
	[ -f "$hdr" ] || skip "no $hdr (linux-libc-dev)"
	sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' "$hdr" | grep -v -x -E 'mkdir|mkdirat' | jq -R . | jq -s . >allowed.json
	make_bundle b "$JQ_RW"' | .linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
		"architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}'
	bundle_jq b '.linux.seccomp.syscalls[0].names = ($ENV.ALLOWED_LIST | fromjson)' ALLOWED_LIST="$(cat allowed.json)"
	OUT=$(run_sh b 'echo allowed; mkdir /tmp/x 2>&1; true')
	assert_contains "$OUT" allowed
	assert_contains "$OUT" "Operation not permitted"
	assert_file_absent b/rootfs/tmp/x
}

test_unknown_syscall_names_ignored() {
	# profiles of newer engines name syscalls that libseccomp may not know
	make_bundle b "$JQ_RW"' | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ($ENV.ARCHES | fromjson),
		"syscalls": [{"names": ["mkdir", "mkdirat", "jt_no_such_syscall"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	OUT=$(run_sh b 'mkdir /tmp/dir 2>&1; echo ran')
	assert_contains "$OUT" "Operation not permitted"
	assert_contains "$OUT" ran
}

test_applies_to_exec() {
	make_bundle b "$JQ_RW | $DENY_MKDIR"' | .process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	expect_fail rt exec "$id" mkdir /tmp/from-exec
	assert_contains "$ERR$OUT" "Operation not permitted"
	assert_file_absent b/rootfs/tmp/from-exec
	expect_ok rt exec "$id" sh -c 'grep Seccomp: /proc/self/status'
	assert_match "$OUT" 'Seccomp:[[:space:]]+2'
}

test_non_root_without_nnp() {
	make_bundle b "$JQ_RW | $DENY_MKDIR"' | .process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	OUT=$(run_sh b 'mkdir /tmp/dir 2>&1; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t" " "; true')
	assert_contains "$OUT" "Operation not permitted"
	assert_contains "$OUT" "Seccomp: 2"
	assert_contains "$OUT" "NoNewPrivs: 0"
}

test_bad_action_fails() {
	make_bundle b '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NO_SUCH_ACTION"}]}
		| .process.args = ["sh", "-c", "echo started"]'
	local id
	id=$(new_id)
	expect_fail rt run --bundle "$T_DIR/b" "$id"
	assert_not_contains "$OUT" started
	expect_fail rt state "$id"
}

test_bad_default_action_fails() {
	make_bundle b '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"} | .process.args = ["sh", "-c", "echo started"]'
	local id
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	assert_not_contains "$OUT" started
	expect_fail rt state "$id"
}

t_main "$@"
