#!/usr/bin/env bash
# The timing helpers that demo/run.sh and bench/* share (demo/lib.sh): a timed
# run must report the command's own status and wall time, and the watchdog
# must stop a run that outlives its limit, as timeout -k 5 would.
. "$(dirname "$0")/../lib.sh"
# shellcheck source=demo/lib.sh
. "$(dirname "$0")/../../demo/lib.sh"

test_watched_run_reports_status_and_time() {
	local ns rc=0
	jr_watchdog_start 60
	jr_run_watched ns sh -c 'sleep 0.3; exit 3' || rc=$?
	assert_eq "$rc" 3 "exit status"
	assert_gt "$ns" 300000000 "wall time (ns) of a 0.3 s run"
	assert_le "$ns" 5000000000 "wall time (ns) of a 0.3 s run"
	# the watchdog stays in step: the next run is timed and allowed to finish
	rc=0
	jr_run_watched ns sh -c 'read -r line; [ -z "$line" ]' || rc=$?
	assert_eq "$rc" 0 "second run (stdin is /dev/null)"
}

# stopped_run SCRIPT: runs `sh -c SCRIPT` (which writes its pid to $T_DIR/pid)
# under a 1 s watchdog; it must be stopped: status 124, process gone.  Sets NS.
stopped_run() {
	local rc=0
	jr_watchdog_start 1
	jr_run_watched NS sh -c "echo \$\$ > '$T_DIR/pid'; $1" || rc=$?
	assert_eq "$rc" 124 "status of a run stopped by the watchdog"
	assert_dead "$(cat "$T_DIR/pid")"
}

test_watched_run_stops_a_run_past_its_limit() {
	local rc=0
	stopped_run 'exec sleep 30'
	assert_le "$NS" 4000000000 "it was stopped after ~1 s"
	jr_run_watched NS true || rc=$?
	assert_eq "$rc" 0 "a run after a stopped one"
}

test_watched_run_kills_what_ignores_sigterm() {
	stopped_run "trap '' TERM; while :; do sleep 0.1; done"
	assert_gt "$NS" 5000000000 "SIGKILL came 5 s after SIGTERM"
}

test_median_and_its_confidence_interval() {
	local values
	values=$(seq 100 | shuf)
	# shellcheck disable=SC2086  # one argument per value
	{
		assert_eq "$(jr_median $values)" 50 "median of 1..100 (the mean of 50 and 51, rounded)"
		# 95%: ranks 50 -+ 9.8 -> 40 and 61
		assert_eq "$(jr_median_ci $values)" "40 61" "confidence interval of the median of 1..100"
	}
	assert_eq "$(jr_median_ci 7)" "7 7" "one value"
	assert_eq "$(jr_median_ci 1 2 3)" "1 3" "a few values: the extremes"
}

# bench/overlay-floor: bench/jit's reference for what one overlay costs.  Each
# line is a pair of timed runs of /bin/true in a minimal container; a child
# that could not attach its root or exec makes it fail.
test_overlay_floor_times_pairs_of_runs() {
	local floor out
	floor=$(dirname "$RUNTIME")/../bench/overlay-floor
	[ -x "$floor" ] || skip "bench/overlay-floor not built next to $RUNTIME"
	make_bundle "$T_DIR/b"
	mkdir -p "$T_DIR/layer/etc" "$T_DIR/scratch"
	echo layer >"$T_DIR/layer/etc/from-layer"
	out=$("$floor" "$T_DIR/b/rootfs" "$T_DIR/layer" "$T_DIR/scratch" 3 2>&1) ||
		fail "overlay-floor failed: $out"
	assert_eq "$(printf '%s\n' "$out" | grep -cE '^[1-9][0-9]* [1-9][0-9]*$')" 3 "lines of two times (ns): $out"
	# the overlay runs had their own upper and work dirs, made on the way
	assert_file_exists "$T_DIR/scratch/u2/"
	assert_file_exists "$T_DIR/scratch/w2/work" "the overlay's work dir (it was mounted)"
	# a root it cannot exec in: the child's failure is reported, not timed
	rm "$T_DIR/b/rootfs/bin/true"
	out=$("$floor" "$T_DIR/b/rootfs" "$T_DIR/layer" "$T_DIR/scratch2" 1 2>&1) && fail "no scratch dir: $out"
	assert_contains "$out" "overlay-floor: open"
	mkdir "$T_DIR/scratch2"
	out=$("$floor" "$T_DIR/b/rootfs" "$T_DIR/layer" "$T_DIR/scratch2" 1 2>&1) && fail "no /bin/true: $out"
	assert_contains "$out" "child failed"
}

t_main "$@"
