#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#   1. contrib/install-deps.sh
#   2. build (autogen, configure --enable-werror, make)       [if configure.ac]
#   3. unit tests (make check)                                 [if a Makefile]
#   4. integration tests against the built runtime
#   5. end-to-end tests: containerd and podman driving the runtime
#   6. an ASan+UBSan build (a copy of the tree under build-asan/) with the
#      unit and integration tests again
# The last line sums everything: `N passed, N failed[, N skipped]`.
#
# Environment:
#   RUNTIME        runtime to test (default: the built src/jitrun)
#   JT_SKIP_DEPS=1 do not run install-deps.sh
#   JT_SKIP_ASAN=1 skip step 6;  JT_SKIP_E2E=1 skip step 5
#   JT_JOBS        make -j (default 2)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
JOBS=${JT_JOBS:-2}
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/jt-suite.XXXXXX")
START=$SECONDS

TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
PARTS=()

say() { printf '\n##### %s (%d s)\n' "$*" "$((SECONDS - START))"; }

# record NAME PASSED FAILED SKIPPED
record() {
	TOTAL_P=$((TOTAL_P + $2))
	TOTAL_F=$((TOTAL_F + $3))
	TOTAL_S=$((TOTAL_S + $4))
	PARTS+=("$(printf '%-22s %4d passed, %3d failed, %3d skipped' "$1" "$2" "$3" "$4")")
}

# run_summary_part NAME CMD...: run CMD, which prints `N passed, N failed`
# as its last summary line; a missing line or a bad exit counts as a failure.
run_summary_part() {
	local name=$1 log rc line p f s
	shift
	log=$LOGDIR/$name.log
	say "$name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "!!! $name printed no summary (exit $rc)"
		record "$name" 0 1 0
		return
	fi
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	[[ $line =~ ([0-9]+)\ skipped ]] && s=${BASH_REMATCH[1]}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!!! $name exited $rc with no failed test"
		f=1
	fi
	record "$name" "$p" "$f" "$s"
}

# unit_part NAME DIR: make check in DIR, counted per cmocka test
unit_part() {
	local name=$1 dir=$2 rc log p=0 f=0 s=0 t n l
	log=$LOGDIR/$name.log
	say "$name"
	(cd "$dir" && make -j"$JOBS" check) >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):|^# [A-Z]+:' "$log"
	for t in $(cd "$dir" && find . -name '*.trs' -newer "$log.start" 2>/dev/null); do
		l=$dir/${t%.trs}.log
		if n=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$l" | awk '{s += $4} END {print s + 0}') &&
			grep -qE '^\[  (PASSED|FAILED)  \]' "$l"; then
			p=$((p + n))
			n=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$l" | awk '{s += $4} END {print s + 0}')
			f=$((f + n))
			n=$(grep -E '^\[  SKIPPED \] [0-9]+ test' "$l" | awk '{s += $4} END {print s + 0}')
			s=$((s + n))
			if grep -q ':test-result: \(FAIL\|ERROR\)' "$dir/$t" && ! grep -qE '^\[  FAILED  \]' "$l"; then
				echo "!!! $l: the test program failed outside cmocka"
				f=$((f + 1))
			fi
		else
			# no cmocka summary (a crash, or not cmocka): the program counts once
			case $(sed -n 's/^:test-result: //p' "$dir/$t" | head -n 1) in
			PASS | XFAIL) p=$((p + 1)) ;;
			SKIP) s=$((s + 1)) ;;
			*)
				echo "!!! $l:"
				tail -n 30 "$l"
				f=$((f + 1))
				;;
			esac
		fi
	done
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!!! make check failed:"
		tail -n 40 "$log"
		f=1
	fi
	echo "$p passed, $f failed, $s skipped"
	record "$name" "$p" "$f" "$s"
}

# build_part NAME DIR CONFIGURE-ARGS...: autogen, configure and make in DIR
build_part() {
	local name=$1 dir=$2 log
	shift 2
	log=$LOGDIR/$name.log
	say "$name"
	if (cd "$dir" && ./autogen.sh && ./configure "$@" && make -j"$JOBS") >"$log" 2>&1; then
		echo "$name: ok"
		record "$name" 1 0 0
		return 0
	fi
	echo "!!! $name failed:"
	grep -E 'error|Error|warning:' "$log" | head -n 40
	tail -n 20 "$log"
	record "$name" 0 1 0
	return 1
}

# ---------------------------------------------------------------- 1. deps
if [ "${JT_SKIP_DEPS:-0}" != 1 ]; then
	say "install-deps"
	if ! "$TOP/contrib/install-deps.sh"; then
		record install-deps 0 1 0
	fi
fi

# ---------------------------------------------------------------- 2+3. build, unit
HAVE_BUILD=0
if [ -f "$TOP/configure.ac" ] && [ -x "$TOP/autogen.sh" ]; then
	HAVE_BUILD=1
	if build_part build "$TOP" --enable-werror; then
		touch "$LOGDIR/unit.log.start"
		sleep 1
		unit_part unit "$TOP"
	fi
else
	say "build: no configure.ac yet, skipped"
fi

export RUNTIME=${RUNTIME:-$TOP/src/jitrun}
HAVE_RUNTIME=1
if [ ! -x "$RUNTIME" ]; then
	echo "!!! no runtime at $RUNTIME: integration and e2e tests cannot run"
	record runtime 0 1 0
	HAVE_RUNTIME=0
fi

# ---------------------------------------------------------------- 4. integration
if [ "$HAVE_RUNTIME" = 1 ]; then
	run_summary_part integration "$TOP/tests/integration/run.sh"
fi

# ---------------------------------------------------------------- 5. e2e
if [ "$HAVE_RUNTIME" = 1 ] && [ "${JT_SKIP_E2E:-0}" != 1 ]; then
	run_summary_part e2e-containerd bash "$TOP/tests/e2e/containerd.sh"
	run_summary_part e2e-podman bash "$TOP/tests/e2e/podman.sh"
fi

# ---------------------------------------------------------------- 6. ASan+UBSan
if [ "$HAVE_BUILD" = 1 ] && [ "${JT_SKIP_ASAN:-0}" != 1 ]; then
	# automake refuses a VPATH build of a configured tree: build a copy
	ASAN_TREE=$TOP/build-asan/tree
	rm -rf "$ASAN_TREE"
	mkdir -p "$ASAN_TREE"
	(cd "$TOP" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$ASAN_TREE" 2>/dev/null)
	[ -x "$ASAN_TREE/autogen.sh" ] || cp -a "$TOP/autogen.sh" "$ASAN_TREE/"
	SAN_FLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	if build_part build-asan "$ASAN_TREE" CFLAGS="$SAN_FLAGS" LDFLAGS="-fsanitize=address,undefined"; then
		ASAN_LOGS=$LOGDIR/asan-reports
		mkdir -p "$ASAN_LOGS"
		touch "$LOGDIR/unit-asan.log.start"
		sleep 1
		ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:log_path=$ASAN_LOGS/unit" \
			UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$ASAN_LOGS/unit-ubsan" \
			unit_part unit-asan "$ASAN_TREE"
		# leak checking is off for the runtime: a CLI that exits does not free
		ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$ASAN_LOGS/rt" \
			UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$ASAN_LOGS/rt-ubsan" \
			RUNTIME=$ASAN_TREE/src/jitrun \
			run_summary_part integration-asan "$TOP/tests/integration/run.sh"
		if [ -n "$(ls -A "$ASAN_LOGS")" ]; then
			echo "!!! sanitizer reports:"
			for r in "$ASAN_LOGS"/*; do
				echo "--- $r"
				head -n 40 "$r"
			done
			# a unit report already failed its test program; a report of the
			# runtime may come from a process whose exit nobody checks
			n=$(find "$ASAN_LOGS" -type f -name 'rt*' | wc -l)
			[ "$n" -gt 0 ] && record sanitizer-reports 0 "$n" 0
		fi
	fi
fi

# ---------------------------------------------------------------- summary
printf '\n##### summary (%d s, logs in %s)\n' "$((SECONDS - START))" "$LOGDIR"
printf '  %s\n' "${PARTS[@]}"
line="$TOTAL_P passed, $TOTAL_F failed"
[ "$TOTAL_S" -gt 0 ] && line+=", $TOTAL_S skipped"
echo "$line"
[ "$TOTAL_F" -eq 0 ]
