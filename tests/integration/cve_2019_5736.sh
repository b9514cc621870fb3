#!/usr/bin/env bash
# shellcheck disable=SC2089,SC2090 # shell code kept in variables on purpose
# CVE-2019-5736: a process in a container must not be able to overwrite the
# runtime binary on the host through /proc/<pid>/exe.
#
# Every test here runs a COPY of the runtime from a temp dir (never the real
# binary) and checks that the copy's checksum is unchanged afterwards.
. "$(dirname "$0")/../lib.sh"

# copy_runtime: RTC = copy of $RUNTIME under $T_DIR, SUM = its sha256
copy_runtime() {
	mkdir -p "$T_DIR/rtbin"
	RTC=$T_DIR/rtbin/$(basename "$RUNTIME")
	cp "$RUNTIME" "$RTC"
	chmod 755 "$RTC"
	SUM=$(sha256sum <"$RTC")
}
rtc() { timeout -k 5 "$RT_TIMEOUT" "$RTC" --root "$T_ROOT" "$@"; }

check_binary_intact() {
	assert_eq "$(sha256sum <"$RTC")" "$SUM" "THE RUNTIME BINARY WAS MODIFIED FROM INSIDE A CONTAINER"
	cmp -s "$RTC" "$RUNTIME" || fail "the runtime copy differs from the original"
}

# The attacker: for every process of its pid namespace that is not busybox
# (that is, the runtime's own init), open /proc/PID/exe read-only and keep
# the fd, try to open it for writing right away, then (after /tmp/go shows
# up, when the runtime process has exec'd the container process) try to
# write through the saved fd.  Results go to /tmp/result.
ATTACK='r=/tmp/result; : > $r; fd=3
for d in /proc/[0-9]*; do
	p=${d#/proc/}
	[ "$p" = $$ ] && continue
	e=$(readlink $d/exe 2>/dev/null) || { echo "pid $p: exe unreadable" >> $r; continue; }
	case "$e" in */busybox) continue ;; esac
	echo "pid $p: exe=$e" >> $r
	if command eval "exec $fd<$d/exe" 2>/dev/null; then
		echo "pid $p: open-ro:ok fd $fd" >> $r
		echo "$fd" >> /tmp/fds
		fd=$((fd + 1))
	else
		echo "pid $p: open-ro:fail" >> $r
	fi
	if (echo pwned > $d/exe) 2>/dev/null; then echo "pid $p: direct-write:OK" >> $r; else echo "pid $p: direct-write:fail" >> $r; fi
	if (echo pwned >> $d/exe) 2>/dev/null; then echo "pid $p: direct-append:OK" >> $r; else echo "pid $p: direct-append:fail" >> $r; fi
	[ $fd -gt 7 ] && break
done
echo ready > /tmp/ready
while [ ! -e /tmp/go ]; do sleep 0.1; done
for f in $(cat /tmp/fds 2>/dev/null); do
	if (echo pwned > /proc/self/fd/$f) 2>/dev/null; then echo "fd $f: write:OK" >> $r; else echo "fd $f: write:fail" >> $r; fi
	if (echo pwned >> /proc/self/fd/$f) 2>/dev/null; then echo "fd $f: append:OK" >> $r; else echo "fd $f: append:fail" >> $r; fi
done
echo finished >> $r'
export ATTACK

check_attack_result() {
	local res=$1
	wait_file_contains "$res" finished
	echo "attack result:" >&2
	sed 's/^/  /' "$res" >&2
	assert_not_contains "$(cat "$res")" ":OK" "an attack step succeeded"
	check_binary_intact
}

test_shared_pidns_attacks_created_container() {
	copy_runtime
	# victim: created but not started, so its pid 1 is still the runtime
	make_bundle victim "$JQ_RW"' | .process.args = ["sleep", "1000"]'
	local v vpid a
	v=$(new_id)
	rtc create --bundle "$T_DIR/victim" "$v" </dev/null >/dev/null 2>"$T_DIR/victim.err" ||
		fail "create: $(cat "$T_DIR/victim.err")"
	vpid=$(rtc state "$v" | jq -r .pid)
	export VPID=$vpid
	# attacker: privileged, in the victim's pid namespace
	make_bundle attacker "$JQ_RW | $JQ_ALLCAPS"' | .process.noNewPrivileges = false
		| .linux.namespaces |= map(if .type == "pid" then .path = "/proc/\($ENV.VPID)/ns/pid" else . end)
		| .process.args = ["sh", "-c", $ENV.ATTACK]'
	a=$(new_id)
	rtc run -d --bundle "$T_DIR/attacker" "$a" </dev/null >/dev/null 2>"$T_DIR/attacker.err" ||
		fail "run attacker: $(cat "$T_DIR/attacker.err")"
	wait_file_contains attacker/rootfs/tmp/ready ready
	assert_contains "$(cat attacker/rootfs/tmp/result)" "exe=" "the attacker saw no runtime process in the pid namespace"
	# the victim's init now execs the container process: the runtime binary
	# is no longer busy
	rtc start "$v" || fail "start failed"
	_victim_started() { [ "$(tr '\0' ' ' <"/proc/$vpid/cmdline")" = "sleep 1000 " ]; }
	wait_for _victim_started
	touch attacker/rootfs/tmp/go
	check_attack_result attacker/rootfs/tmp/result
	rtc delete --force "$a" >/dev/null 2>&1 || true
	rtc delete --force "$v" >/dev/null 2>&1 || true
	check_binary_intact
}

test_exec_attacks_created_container() {
	copy_runtime
	make_bundle b "$JQ_RW"' | .process.args = ["sleep", "1000"]'
	local id pid
	id=$(new_id)
	rtc create --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>"$T_DIR/create.err" ||
		fail "create: $(cat "$T_DIR/create.err")"
	pid=$(rtc state "$id" | jq -r .pid)
	jq -n --argjson caps "$(jq -n "{} | $JQ_ALLCAPS | .process.capabilities")" \
		'{args: ["sh", "-c", env.ATTACK], env: ["PATH=/bin:/usr/bin"], cwd: "/", user: {uid: 0, gid: 0},
		  capabilities: $caps, noNewPrivileges: false}' >attack.json
	if ! rtc exec -d --process "$T_DIR/attack.json" "$id" </dev/null >/dev/null 2>exec.err; then
		skip "the runtime refuses exec into a created container: $(cat exec.err)"
	fi
	wait_file_contains b/rootfs/tmp/ready ready
	rtc start "$id" || fail "start failed"
	_started() { [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]; }
	wait_for _started
	touch b/rootfs/tmp/go
	check_attack_result b/rootfs/tmp/result
	rtc delete --force "$id" >/dev/null 2>&1 || true
	check_binary_intact
}

test_attack_during_concurrent_execs() {
	# pid 1 watches for the runtime's exec helper while the host runs execs;
	# a race, so it only ever shows a failure, never a false alarm
	copy_runtime
	export RACE='r=/tmp/result; : > $r; n=0
	while [ ! -e /tmp/stop ]; do
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			[ "$p" = 1 ] || [ "$p" = $$ ] && continue
			e=$(readlink $d/exe 2>/dev/null) || continue
			case "$e" in */busybox|"") continue ;; esac
			if command exec 3<$d/exe 2>/dev/null; then
				n=$((n + 1)); echo "caught pid $p exe=$e" >> $r
				while [ -e $d ]; do :; done
				if (echo pwned > /proc/self/fd/3) 2>/dev/null; then echo "write:OK" >> $r; else echo "write:fail" >> $r; fi
				exec 3<&-
			fi
		done
	done
	echo "caught $n" >> $r; echo finished >> $r'
	make_bundle b "$JQ_RW | $JQ_ALLCAPS"' | .process.noNewPrivileges = false | .process.args = ["sh", "-c", $ENV.RACE]'
	local id i
	id=$(new_id)
	rtc run -d --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>run.err || fail "run: $(cat run.err)"
	for i in $(seq 1 15); do
		rtc exec "$id" true </dev/null >/dev/null 2>&1 || true
	done
	touch b/rootfs/tmp/stop
	check_attack_result b/rootfs/tmp/result
	rtc delete --force "$id" >/dev/null 2>&1 || true
	check_binary_intact
}

test_proc_self_exe_as_container_command() {
	# the container asks to run /proc/self/exe: it must not get to write the
	# runtime binary through it
	copy_runtime
	make_bundle b "$JQ_RW | $JQ_ALLCAPS"' | .process.noNewPrivileges = false | .process.args = ["sleep", "1000"]'
	local id
	id=$(new_id)
	rtc run -d --bundle "$T_DIR/b" "$id" </dev/null >/dev/null 2>run.err || fail "run: $(cat run.err)"
	# whatever this does (fail, or run the runtime's code), the binary stays
	rtc exec "$id" /proc/self/exe --version </dev/null >/dev/null 2>&1 || true
	rtc exec "$id" sh -c 'cat /proc/self/exe > /dev/null; echo pwned > /proc/self/exe' </dev/null >/dev/null 2>&1 || true
	rtc delete --force "$id" >/dev/null 2>&1 || true
	check_binary_intact
}

# The runtime re-executes itself from a sealed in-memory copy of its
# binary before it touches a container (create, run, exec), unless the
# binary is on a read-only mount.  A createRuntime hook reads the exe of
# its parent, the runtime.
test_runtime_runs_from_a_sealed_copy_unless_read_only() {
	jitrun_only
	copy_runtime
	make_bundle b '.process.args = ["true"]
		| .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", ("readlink /proc/$PPID/exe > " + $ENV.T_DIR + "/exe")]}]}'
	rtc run --bundle "$T_DIR/b" "$(new_id)" </dev/null
	assert_contains "$(cat "$T_DIR/exe")" "/memfd:jitrun-sealed"
	mount --bind "$RTC" "$RTC"
	trap 'umount "$RTC" 2>/dev/null || true; _t_cleanup' EXIT
	mount -o remount,bind,ro "$RTC"
	rtc run --bundle "$T_DIR/b" "$(new_id)" </dev/null
	assert_eq "$(cat "$T_DIR/exe")" "$RTC"
	umount "$RTC"
	check_binary_intact
}

# The kernel may refuse to seal the copy for a while (EBUSY: a page with a
# passing extra reference); a fresh copy is made then, up to three times.
# JITRUN_TEST_SEAL_BUSY=N makes the first N copies busy for real (a
# writable shared mapping).
test_sealing_retried_when_busy() {
	jitrun_only
	make_bundle b '.process.args = ["true"]
		| .hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", ("readlink /proc/$PPID/exe > " + $ENV.T_DIR + "/exe")]}]}'
	JITRUN_TEST_SEAL_BUSY=2 rt run --bundle "$T_DIR/b" "$(new_id)" </dev/null
	assert_contains "$(cat "$T_DIR/exe")" "/memfd:jitrun-sealed"
	JITRUN_TEST_SEAL_BUSY=3 expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_eq "$ERR" "jitrun: seal the runtime binary copy: Device or resource busy"
}

t_main "$@"
