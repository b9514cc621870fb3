#!/usr/bin/env bash
# Run the integration tests against $RUNTIME (default: src/jitrun).
#
#   RUNTIME=/usr/sbin/runc tests/integration/run.sh            # all files
#   tests/integration/run.sh cli exec                          # some files
#   T_FILTER='kill|delete' tests/integration/run.sh cli        # some tests
#
# Each file runs as its own process; the last line is the sum of their
# summaries: `N passed, N failed[, N skipped]`.  Exit status 1 on failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export RUNTIME=${RUNTIME:-$TOP/src/jitrun}

files=()
if [ $# -gt 0 ]; then
	for f in "$@"; do
		f=${f%.sh}
		files+=("$HERE/${f##*/}.sh")
	done
else
	for f in "$HERE"/*.sh; do
		[ "$(basename "$f")" = run.sh ] && continue
		files+=("$f")
	done
fi

echo "runtime: $RUNTIME ($("$RUNTIME" --version 2>/dev/null | head -n 1))"

# one busybox rootfs template for all files
JT_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/jt-cache.XXXXXX")
chmod 755 "$JT_CACHE"
export JT_CACHE
trap 'rm -rf "$JT_CACHE"' EXIT

passed=0 failed=0 skipped=0 broken=()
for f in "${files[@]}"; do
	name=$(basename "$f" .sh)
	echo "=== $name"
	start=$SECONDS
	log=$(mktemp)
	bash "$f" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "!!! $name printed no summary (exit $rc)"
		failed=$((failed + 1))
		broken+=("$name")
		continue
	fi
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	fl=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	s=0
	[[ $line =~ ([0-9]+)\ skipped ]] && s=${BASH_REMATCH[1]}
	passed=$((passed + p))
	failed=$((failed + fl))
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then
		failed=$((failed + 1))
		broken+=("$name")
	fi
	echo "=== $name: $line ($((SECONDS - start)) s)"
done

[ ${#broken[@]} -gt 0 ] && echo "files that broke: ${broken[*]}"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
