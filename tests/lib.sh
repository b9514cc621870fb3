# shellcheck shell=bash
# tests/lib.sh - a tiny harness for runtime-agnostic container tests.
#
# Every test file sources this, defines functions named test_*, and ends with
# `t_main "$@"`.  Each test function runs in its own subshell with `set -e`,
# its own temp dir ($T_DIR), its own runtime state dir ($T_ROOT) and its own
# container-id prefix ($T_PREFIX).  After a test, its containers are force
# deleted and the harness checks that nothing is left behind: no state under
# $T_ROOT, no mount under $T_DIR, no cgroup dir and no process of the test.
#
# Environment:
#   RUNTIME     absolute path of a runc-compatible runtime (default: src/jitrun)
#   T_FILTER    only run tests whose name matches this extended regex
#   T_VERBOSE   1: print the output of passing tests too
#   RT_TIMEOUT  seconds one runtime call may take (default 60)
#   JT_CACHE    dir shared by test files for the busybox rootfs template
#
# The summary line is exactly `N passed, N failed` (`, N skipped` if any);
# the exit status is 1 when a test failed.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTS_DIR=$TOP/tests
RUNTIME=${RUNTIME:-$TOP/src/jitrun}
# tests change directory: the runtime path must be absolute
case $RUNTIME in
/*) ;;
*/*) RUNTIME=$(realpath -m "$RUNTIME") ;;
*) RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME") ;;
esac
RT_TIMEOUT=${RT_TIMEOUT:-60}
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
export RUNTIME PYTHON

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_FAILED_NAMES=()
T_NUM=0

_t_file=$(basename "${0%.sh}")

# ---------------------------------------------------------------- bookkeeping

# t_begin NAME: start recording one test (sets T_NAME, T_DIR, T_ROOT, T_PREFIX).
t_begin() {
	T_NAME=$1
	T_NUM=$((T_NUM + 1))
	T_DIR=$T_TMP/$(printf '%03d' "$T_NUM")-${T_NAME//[^A-Za-z0-9_.-]/_}
	T_ROOT=$T_DIR/state
	# short, unique and greppable: used in container ids and cgroup paths
	T_PREFIX=jt$$x${T_NUM}x$((SRANDOM % 100000))
	mkdir -p "$T_DIR" "$T_ROOT"
	export T_DIR T_ROOT T_PREFIX
	# user-namespaced containers must be able to reach their rootfs
	chmod 755 "$T_DIR"
	T_LOG=$T_DIR.log
	T_START=$SECONDS
}

_t_took() {
	local d=$((SECONDS - ${T_START:-$SECONDS}))
	[ "$d" -ge 3 ] && echo " (${d} s)"
	return 0
}

t_pass() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok    - $_t_file: $T_NAME$(_t_took)"
	[ "${T_VERBOSE:-0}" = 1 ] && [ -s "$T_LOG" ] && sed 's/^/    | /' "$T_LOG"
	return 0
}

t_fail() {
	T_FAILED=$((T_FAILED + 1))
	T_FAILED_NAMES+=("$_t_file: $T_NAME")
	echo "FAIL  - $_t_file: $T_NAME${1:+: $1}$(_t_took)"
	[ -s "$T_LOG" ] && sed 's/^/    | /' "$T_LOG" | tail -n 60
	return 0
}

t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	local why=""
	[ -s "$T_DIR/.skip" ] && why=$(cat "$T_DIR/.skip")
	echo "skip  - $_t_file: $T_NAME${why:+ ($why)}"
	return 0
}

# t_summary: print the summary line, exit 1 if anything failed.
t_summary() {
	if [ "$T_FAILED" -gt 0 ]; then
		echo "failed tests:"
		printf '  %s\n' "${T_FAILED_NAMES[@]}"
	fi
	local line="$T_PASSED passed, $T_FAILED failed"
	[ "$T_SKIPPED" -gt 0 ] && line+=", $T_SKIPPED skipped"
	echo "$line"
	[ "$T_FAILED" -eq 0 ]
}

# ---------------------------------------------------------------- assertions
# All assertions end the current test (exit 1 from the test subshell).

_t_where() {
	local i
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		case ${FUNCNAME[$i]} in
		assert_* | fail | _t_* | wait_* | expect_*) continue ;;
		esac
		echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
		return
	done
}

fail() {
	echo "ASSERTION FAILED ($(_t_where)): $*" >&2
	exit 1
}

# skip WHY: end the current test as skipped.
skip() {
	echo "$*" >"$T_DIR/.skip"
	exit 77
}

assert_eq() { [ "$1" == "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"; }
assert_ne() { [ "$1" != "$2" ] || fail "${3:-values equal}: both are '$1'"; }
assert_contains() {
	[[ $1 == *"$2"* ]] || fail "${3:-missing substring}: '$2' not in: $(printf '%s' "$1" | head -c 2000)"
}
assert_not_contains() {
	[[ $1 != *"$2"* ]] || fail "${3:-unexpected substring}: '$2' found in: $(printf '%s' "$1" | head -c 2000)"
}
assert_match() { [[ $1 =~ $2 ]] || fail "${3:-no match}: '$1' !~ /$2/"; }
assert_gt() { [ "$1" -gt "$2" ] 2>/dev/null || fail "${3:-not greater}: '$1' <= '$2'"; }
assert_le() { [ "$1" -le "$2" ] 2>/dev/null || fail "${3:-not less or equal}: '$1' > '$2'"; }
assert_file_exists() { [ -e "$1" ] || [ -L "$1" ] || fail "${2:-file missing}: $1"; }
assert_file_absent() { if [ -e "$1" ] || [ -L "$1" ]; then fail "${2:-file exists}: $1"; fi; }
assert_file_contains() {
	[ -f "$1" ] || fail "file missing: $1"
	grep -qF -- "$2" "$1" || fail "${3:-file lacks text}: '$2' not in $1: $(head -c 2000 "$1")"
}
# assert_jq JSON FILTER EXPECTED: jq -r FILTER of JSON must print EXPECTED.
assert_jq() {
	local got
	got=$(printf '%s' "$1" | jq -r "$2" 2>&1) || fail "not valid JSON for '$2': $(printf '%s' "$1" | head -c 2000)"
	[ "$got" == "$3" ] || fail "jq '$2': got '$got', expected '$3'"
}
assert_json() { printf '%s' "$1" | jq -e . >/dev/null 2>&1 || fail "${2:-not valid JSON}: $(printf '%s' "$1" | head -c 2000)"; }

# expect_ok CMD...: run CMD, which must succeed; its stdout/stderr/status are
# left in $OUT, $ERR and $RC.
expect_ok() {
	_t_runcmd "$@"
	[ "$RC" -eq 0 ] || fail "command failed ($RC): $*: $ERR $OUT"
}
# expect_fail CMD...: run CMD, which must exit non-zero (and not time out).
expect_fail() {
	_t_runcmd "$@"
	[ "$RC" -ne 0 ] || fail "command succeeded but should fail: $*: $OUT"
	[ "$RC" -ne 124 ] || fail "command timed out: $*"
}
_t_runcmd() {
	local o e
	o=$(mktemp "$T_DIR/.out.XXXXXX")
	e=$(mktemp "$T_DIR/.err.XXXXXX")
	RC=0
	"$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
	{
		echo "+ $* -> $RC"
		[ -n "$OUT" ] && printf '%s\n' "$OUT" | head -n 20 | sed 's/^/  out: /'
		[ -n "$ERR" ] && printf '%s\n' "$ERR" | head -n 20 | sed 's/^/  err: /'
	} >&2
	return 0
}

# ---------------------------------------------------------------- runtime

rt() { timeout -k 5 "$RT_TIMEOUT" "$RUNTIME" --root "$T_ROOT" "$@"; }

runtime_name() {
	if [ -z "${_RUNTIME_NAME:-}" ]; then
		_RUNTIME_NAME=$("$RUNTIME" --version 2>/dev/null | head -n 1 | awk '{print $1}')
	fi
	echo "$_RUNTIME_NAME"
}
is_jitrun() { [ "$(runtime_name)" = jitrun ]; }
# jitrun_only [WHY]: skip the current test unless RUNTIME is jitrun.
jitrun_only() { is_jitrun || skip "jitrun-specific${1:+: $1}"; }

# new_id: print a fresh container id for the current test.
new_id() { echo "$T_PREFIX-$((SRANDOM % 1000000))"; }

rt_status() { rt state "$1" 2>/dev/null | jq -r .status; }
rt_pid() { rt state "$1" | jq -r .pid; }

# wait_for [-t SECS] CMD...: retry CMD until it succeeds (default 20 s).
wait_for() {
	local secs=20 i
	if [ "$1" = -t ]; then
		secs=$2
		shift 2
	fi
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "gave up waiting for: $*"
}
_t_status_is() { [ "$(rt_status "$1")" = "$2" ]; }
wait_status() { wait_for _t_status_is "$1" "$2"; }
_t_file_has() { [ -f "$1" ] && grep -qF -- "$2" "$1"; }
# wait_file_contains FILE TEXT
wait_file_contains() { wait_for _t_file_has "$1" "$2"; }

# rt_create ID BUNDLE [create-args...]: create a container whose stdio goes
# to $T_DIR/ID.out / ID.err (never to a pipe of the caller).
rt_create() {
	local id=$1 b=$2
	shift 2
	rt create --bundle "$b" "$@" "$id" </dev/null >"$T_DIR/$id.out" 2>"$T_DIR/$id.err" ||
		fail "create $id failed: $(cat "$T_DIR/$id.err")"
}
# rt_run_d ID BUNDLE: run detached, stdio to files like rt_create.
rt_run_d() {
	local id=$1 b=$2
	shift 2
	rt run -d --bundle "$b" "$@" "$id" </dev/null >"$T_DIR/$id.out" 2>"$T_DIR/$id.err" ||
		fail "run -d $id failed: $(cat "$T_DIR/$id.err")"
}

# run_sh BUNDLE 'shell code': run the code in a new container of BUNDLE
# (sets process.args) and print its stdout; returns the container's status.
run_sh() {
	local b=$1 code=$2 id rc=0
	id=$(new_id)
	bundle_jq "$b" '.process.args = ["sh", "-c", $ENV.RUN_SH_CODE]' RUN_SH_CODE="$code"
	rt run --bundle "$b" "$id" </dev/null 2>"$T_DIR/run_sh.err" || rc=$?
	if [ -s "$T_DIR/run_sh.err" ]; then
		sed 's/^/  run_sh stderr: /' "$T_DIR/run_sh.err" >&2
	fi
	return $rc
}

# cg_dir PID CONTROLLER: host dir of the v1 cgroup of PID for CONTROLLER
# ("memory", "cpu", "pids", ...; "unified" for the cgroup2 line).
cg_dir() {
	local pid=$1 ctrl=$2 line path
	if [ "$ctrl" = unified ]; then
		line=$(grep '^0::' "/proc/$pid/cgroup")
	else
		line=$(grep -E "^[0-9]+:([^:]*,)?$ctrl(,[^:]*)?:" "/proc/$pid/cgroup")
	fi
	[ -n "$line" ] || fail "pid $pid has no $ctrl cgroup"
	path=${line#*:*:}
	if [ "$ctrl" = unified ] && [ -d /sys/fs/cgroup/unified ]; then
		echo "/sys/fs/cgroup/unified$path"
	elif [ -d "/sys/fs/cgroup/$ctrl" ]; then
		echo "/sys/fs/cgroup/$ctrl$path"
	else
		echo "/sys/fs/cgroup$path"
	fi
}

# ns_of PID TYPE: the namespace link of PID (e.g. "pid:[4026531836]").
ns_of() { readlink "/proc/$1/ns/$2"; }

# ---------------------------------------------------------------- bundles

_t_rootfs_template() {
	local cache=${JT_CACHE:-$T_TMP}
	local tpl=$cache/rootfs-template
	if [ ! -e "$tpl/.done" ]; then
		local bb
		bb=$(command -v busybox || true)
		[ -x /bin/busybox ] && bb=/bin/busybox
		[ -n "$bb" ] || {
			echo "busybox not found (apt-get install busybox-static)" >&2
			return 1
		}
		if ldd "$bb" >/dev/null 2>&1; then
			echo "$bb is not static (install busybox-static)" >&2
			return 1
		fi
		rm -rf "$tpl.tmp"
		mkdir -p "$tpl.tmp"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var/tmp,run,mnt}
		chmod 1777 "$tpl.tmp/tmp" "$tpl.tmp/var/tmp"
		cp "$bb" "$tpl.tmp/bin/busybox"
		(
			cd "$tpl.tmp" || exit 1
			"$bb" --list-full | while read -r p; do
				[ -e "$p" ] || [ -L "$p" ] || ln -s /bin/busybox "$p"
			done
		)
		cat >"$tpl.tmp/etc/passwd" <<-'EOF'
			root:x:0:0:root:/root:/bin/sh
			user:x:1000:1000:user:/home/user:/bin/sh
			nobody:x:65534:65534:nobody:/nonexistent:/bin/false
		EOF
		cat >"$tpl.tmp/etc/group" <<-'EOF'
			root:x:0:
			tty:x:5:
			user:x:1000:
			extra:x:2000:user
			nogroup:x:65534:
		EOF
		printf 'NAME=BusyBox\nID=busybox\nVERSION_ID=1.35\n' >"$tpl.tmp/etc/os-release"
		chown -R 1000:1000 "$tpl.tmp/home/user"
		touch "$tpl.tmp/.done"
		mv -T "$tpl.tmp" "$tpl" 2>/dev/null || rm -rf "$tpl.tmp"
	fi
	echo "$tpl"
}

# make_bundle DIR [JQ-FILTER]: busybox rootfs in DIR/rootfs and DIR/config.json
# from tests/spec-template.json (the `runc spec` default with terminal=false),
# filtered by JQ-FILTER.  Filters may read variables as $ENV.NAME.
make_bundle() {
	local b=$1 filter=${2:-.} tpl
	tpl=$(_t_rootfs_template) || fail "cannot build the rootfs template"
	mkdir -p "$b"
	cp -a "$tpl" "$b/rootfs"
	rm -f "$b/rootfs/.done"
	jq "$filter" "$TESTS_DIR/spec-template.json" >"$b/config.json" ||
		fail "bad jq filter for make_bundle: $filter"
}

# bundle_jq DIR FILTER [NAME=VALUE...]: modify DIR/config.json in place.
bundle_jq() {
	local b=$1 filter=$2
	shift 2
	env "$@" jq "$filter" "$b/config.json" >"$b/config.json.new" ||
		fail "bad jq filter: $filter"
	mv "$b/config.json.new" "$b/config.json"
}

# A few common config edits, for make_bundle filters.
JQ_RW='.root.readonly = false'
JQ_NOTTY='.process.terminal = false'
JQ_ALLCAPS='.process.capabilities = (["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE","CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ"] as $c | {bounding:$c, effective:$c, permitted:$c})'
# shellcheck disable=SC2034
JQ_NO_PIDNS='.linux.namespaces |= map(select(.type != "pid"))'

# ---------------------------------------------------------------- leaks

# _t_test_mounts: mount points of the current test: under $T_DIR, or named
# after $T_PREFIX anywhere (a named netns in /run/netns).
_t_test_mounts() {
	awk -v d="$T_DIR" -v p="$T_PREFIX" 'index($5, d) == 1 || index($5, p) > 0 {print $5}' /proc/self/mountinfo
}

# _t_leaks: print what the finished test left behind (empty: nothing).
_t_leaks() {
	local x
	x=$(find "$T_ROOT" -mindepth 1 -maxdepth 1 -name "*$T_PREFIX*" 2>/dev/null)
	[ -n "$x" ] && echo "container state left: $(echo "$x" | tr '\n' ' ')"
	x=$(_t_test_mounts)
	[ -n "$x" ] && echo "mounts left: $(echo "$x" | tr '\n' ' ')"
	x=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "*$T_PREFIX*" 2>/dev/null)
	[ -n "$x" ] && echo "cgroups left: $(echo "$x" | tr '\n' ' ')"
	x=$(_t_test_pids | tr '\n' ' ')
	[ -n "$x" ] && echo "processes left: $x($(for p in $x; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo -n '; '; done))"
	return 0
}

# pid_alive PID: PID exists and is not a zombie (this machine's PID 1 reaps
# orphans only about once a second).
pid_alive() { [ -e "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# assert_dead PID [MSG]
assert_dead() { ! pid_alive "$1" || fail "${2:-process still alive}: pid $1 ($(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null))"; }

# _t_test_pids: live processes of the current test: in a cgroup, or with a
# command line, that names $T_PREFIX, or with a cwd under $T_DIR.
_t_test_pids() {
	{
		grep -l -- "$T_PREFIX" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
		pgrep -f -- "$T_PREFIX"
		find /proc/[0-9]*/cwd -maxdepth 0 -lname "$T_DIR/*" 2>/dev/null | cut -d/ -f3
	} | sort -un | while read -r p; do
		[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && pid_alive "$p" && echo "$p"
	done
}

# _t_cleanup: force delete the containers of the test, kill its helpers.
_t_cleanup() {
	local id pid
	trap - ERR
	set +eE
	for pid in ${T_BG_PIDS:-}; do
		kill -9 "$pid" 2>/dev/null || true
	done
	# files may add their own cleanup (e2e: containers of a daemon)
	if declare -F t_cleanup_hook >/dev/null; then
		t_cleanup_hook
	fi
	if [ -d "$T_ROOT" ]; then
		for id in $(timeout 30 "$RUNTIME" --root "$T_ROOT" list -q 2>/dev/null) \
			$(cd "$T_ROOT" 2>/dev/null && for f in *"$T_PREFIX"*; do [ -e "$f" ] && echo "$f"; done); do
			timeout 30 "$RUNTIME" --root "$T_ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	# processes of the test that the runtime did not reap (reported as leaks)
	return 0
}

# _t_kill_leftovers: after a leak was reported, kill what is left so that the
# next test starts clean.
_t_kill_leftovers() {
	local p
	for p in $(_t_test_pids); do
		kill -9 "$p" 2>/dev/null || true
	done
	sleep 0.2
	_t_test_mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -f /run/netns/*"$T_PREFIX"* 2>/dev/null || true
	find /sys/fs/cgroup -depth -maxdepth 8 -type d -name "*$T_PREFIX*" -exec rmdir {} + 2>/dev/null || true
}

# bg CMD...: start a helper in the background; it is killed at test end.
bg() {
	"$@" &
	T_BG_PIDS="${T_BG_PIDS:-} $!"
}

# ---------------------------------------------------------------- runner

# t_run FUNCTION [NAME]: run one test function in a subshell and record it.
t_run() {
	local fn=$1 name=${2:-${1#test_}} rc leaks
	t_begin "$name"
	(
		set -eE
		trap 'echo "command failed ($?) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
		trap _t_cleanup EXIT
		cd "$T_DIR"
		"$fn"
	) >"$T_LOG" 2>&1 </dev/null
	rc=$?
	leaks=$(_t_leaks)
	if [ -n "$leaks" ]; then
		echo "LEFT BEHIND: $leaks" >>"$T_LOG"
		_t_kill_leftovers
	fi
	if [ $rc -eq 77 ]; then
		t_skip
	elif [ $rc -ne 0 ]; then
		t_fail "exit $rc"
	elif [ -n "$leaks" ]; then
		t_fail "left something behind"
	else
		t_pass
	fi
	# keep the dirs of failed tests for inspection
	if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
		[ -z "$leaks" ] && rm -rf "$T_DIR" "$T_LOG"
	fi
	return 0
}

# t_main: run every test_* function of the calling file in file order.
t_main() {
	if [ "$(id -u)" != 0 ]; then
		echo "these tests need root"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	if [ ! -x "$RUNTIME" ]; then
		echo "RUNTIME=$RUNTIME is not an executable (set RUNTIME=/abs/path/runtime)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/jt-$_t_file.XXXXXX")
	chmod 755 "$T_TMP"
	local fns fn
	# a file may define suite_setup (its failure fails the file) and
	# suite_teardown (its failure counts as one failed test)
	if declare -F suite_setup >/dev/null; then
		if ! suite_setup >"$T_TMP/suite_setup.log" 2>&1; then
			echo "FAIL  - $_t_file: suite_setup"
			sed 's/^/    | /' "$T_TMP/suite_setup.log" | tail -n 40
			declare -F suite_teardown >/dev/null && suite_teardown >/dev/null 2>&1
			echo "kept $T_TMP for inspection"
			echo "0 passed, 1 failed"
			exit 1
		fi
	fi
	fns=$(grep -oE '^test_[A-Za-z0-9_]+[[:space:]]*\(\)' "$0" | sed 's/[[:space:]]*()//')
	for fn in $fns; do
		if [ -n "${T_FILTER:-}" ] && ! [[ ${fn#test_} =~ $T_FILTER ]]; then
			continue
		fi
		t_run "$fn"
	done
	if declare -F suite_teardown >/dev/null; then
		if ! suite_teardown >"$T_TMP/suite_teardown.log" 2>&1; then
			T_FAILED=$((T_FAILED + 1))
			T_FAILED_NAMES+=("$_t_file: suite_teardown")
			echo "FAIL  - $_t_file: suite_teardown"
			sed 's/^/    | /' "$T_TMP/suite_teardown.log" | tail -n 40
		fi
	fi
	if [ "$T_FAILED" -eq 0 ]; then
		rm -rf "$T_TMP"
	else
		echo "kept $T_TMP for inspection"
	fi
	t_summary
}
