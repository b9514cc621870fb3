#!/usr/bin/env bash
# shellcheck disable=SC2089,SC2090 # shell code kept in variables on purpose
# Terminals: process.terminal with --console-socket for create/run -d/exec.
. "$(dirname "$0")/../lib.sh"

RECVTTY=$TESTS_DIR/helpers/recvtty.py

# recv SOCKET OUTFILE [INPUT]: start a console receiver in the background and
# wait for its socket.
recv() {
	bg "$PYTHON" "$RECVTTY" "$@"
	wait_for test -S "$1"
}

# recv_done OUTFILE: wait until the receiver saw the pty close.
_recv_exited() { ! kill -0 "$1" 2>/dev/null; }
recv_done() { wait_for _recv_exited "${T_BG_PIDS##* }"; }

TTY_PROBE='tty; stty size; echo "TERM=$TERM"; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty
	[ -c /dev/console ] && echo console-ok; echo "tty_nr=$(cut -d" " -f7 /proc/self/stat)"'

test_create_with_console_socket() {
	export TTY_PROBE
	make_bundle b '.process.terminal = true | .process.consoleSize = {"height": 40, "width": 120}
		| .process.args = ["sh", "-c", $ENV.TTY_PROBE]'
	recv "$T_DIR/console.sock" "$T_DIR/tty.out"
	local id
	id=$(new_id)
	expect_ok rt create --console-socket "$T_DIR/console.sock" --bundle "$T_DIR/b" "$id"
	expect_ok rt start "$id"
	recv_done
	OUT=$(tr -d '\r' <tty.out)
	assert_match "$OUT" '(^|
)/dev/pts/[0-9]+(
|$)' "tty name"
	assert_contains "$OUT" "40 120"
	assert_contains "$OUT" "TERM=xterm"
	assert_contains "$OUT" all-tty
	assert_contains "$OUT" console-ok
	assert_not_contains "$OUT" "tty_nr=0" "no controlling terminal"
	wait_status "$id" stopped
	expect_ok rt delete "$id"
}

test_interactive_input() {
	make_bundle b '.process.terminal = true | .process.args = ["sh"]'
	recv "$T_DIR/console.sock" "$T_DIR/tty.out" 'echo typed-$((6*7))\nexit 3\n'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b" --console-socket "$T_DIR/console.sock"
	recv_done
	assert_file_contains tty.out typed-42
	wait_status "$id" stopped
}

test_terminal_needs_console_socket_when_detached() {
	make_bundle b '.process.terminal = true | .process.args = ["sh", "-c", "echo started"]'
	local id
	id=$(new_id)
	expect_fail rt create --bundle "$T_DIR/b" "$id"
	assert_not_contains "$OUT" started
	expect_fail rt state "$id"
}

test_bad_console_socket_fails() {
	make_bundle b '.process.terminal = true'
	local id
	id=$(new_id)
	expect_fail rt create --console-socket "$T_DIR/no-such.sock" --bundle "$T_DIR/b" "$id"
	expect_fail rt state "$id"
}

test_exec_tty() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	recv "$T_DIR/exec.sock" "$T_DIR/exec.out"
	expect_ok rt exec -t -d --console-socket "$T_DIR/exec.sock" "$id" sh -c "$TTY_PROBE"
	recv_done
	OUT=$(tr -d '\r' <exec.out)
	assert_match "$OUT" '/dev/pts/[0-9]+'
	assert_contains "$OUT" all-tty
	assert_not_contains "$OUT" "tty_nr=0"
	# the container's own stdio is not a tty
	expect_ok rt exec "$id" sh -c '[ -t 1 ] && echo stdout-tty || echo stdout-not-tty'
	assert_eq "$OUT" stdout-not-tty
}

test_exec_tty_process_file() {
	make_bundle b '.process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rt_run_d "$id" "$T_DIR/b"
	jq -n '{terminal: true, args: ["sh", "-c", "stty size; tty"], cwd: "/", env: ["PATH=/bin", "TERM=vt100"],
		user: {uid: 0, gid: 0}, consoleSize: {height: 33, width: 99}}' >process.json
	recv "$T_DIR/exec.sock" "$T_DIR/exec.out"
	expect_ok rt exec -d --console-socket "$T_DIR/exec.sock" --process "$T_DIR/process.json" "$id"
	recv_done
	OUT=$(tr -d '\r' <exec.out)
	assert_contains "$OUT" "33 99"
	assert_match "$OUT" '/dev/pts/[0-9]+'
}

t_main "$@"
