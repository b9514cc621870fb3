# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared helpers for demo/*.sh and bench/*: logging, timing, JSON, OCI bundles,
# package installation.  Source it; it defines functions and a few variables only.

JR_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JR_DEMO_CACHE=${JITRUN_DEMO_CACHE:-/var/cache/jitrun-demo}

jr_log()  { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
jr_warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
jr_die()  { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

jr_need_root() { [ "$(id -u)" = 0 ] || jr_die "run as root (containers, mounts and debootstrap need it)"; }

# Wall clock in nanoseconds (bash's own clock, to the microsecond: no
# `date` process, whose start would add noise to what is timed).
jr_now_ns() { local t; jr_now t; echo "$t"; }
# jr_now VAR: the same into VAR, without even a subshell.
jr_now() { printf -v "$1" '%s000' "${EPOCHREALTIME//[.,]/}"; }

# Timed runs with a time limit.  `timeout SECONDS CMD` would put two more
# fork+execs into every timed run: 6-9 ms on a small VM, a few percent of a
# warm start.  Instead one watchdog, started once per script, stops a run that
# outlives the limit as timeout -k 5 would: SIGTERM, then SIGKILL 5 s later.
# Its protocol, one line each: the run's pid in; "done" in when the run is
# over; "ok" or "killed" back.
# jr_watchdog_start SECONDS
jr_watchdog_start() {
    local secs=$1
    coproc JR_WATCHDOG {
        while read -r pid; do
            if read -r -t "$secs" _; then
                echo ok
            else
                kill -TERM "$pid" 2>/dev/null
                read -r -t 5 _ || { kill -KILL "$pid" 2>/dev/null; read -r _; }
                echo killed
            fi
        done
    }
}
# jr_run_watched VAR CMD...: runs CMD (stdin from /dev/null) under the watchdog
# and sets VAR to its wall time in ns.  Returns CMD's exit status, or 124 if
# the watchdog had to stop it (as timeout does).
jr_run_watched() {
    local _var=$1 t0 t1 pid rc=0 verdict
    shift
    jr_now t0
    "$@" < /dev/null &
    pid=$!
    echo "$pid" >&"${JR_WATCHDOG[1]}"
    wait "$pid" || rc=$?
    jr_now t1
    printf -v "$_var" '%s' $((t1 - t0))
    echo "done" >&"${JR_WATCHDOG[1]}"
    read -r verdict <&"${JR_WATCHDOG[0]}"
    [ "$verdict" = ok ] || return 124
    return "$rc"
}

# jr_ms NS -> "123.4" (milliseconds, one decimal)
jr_ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
# jr_s NS -> "12.34" (seconds)
jr_s()  { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e9 }'; }
# jr_ratio A B -> A/B with one decimal, "n/a" if B is 0
jr_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "n/a" }'; }
# jr_median N... -> median of the numbers given
jr_median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# jr_median_ci N... -> "LOW HIGH": a 95% confidence interval of the median of the
# numbers given, from their order statistics (no assumption on their
# distribution): ranks n/2 -+ 0.98 sqrt(n), clamped to 1..n.
jr_median_ci() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit
        h = 0.98 * sqrt(NR); lo = int(NR / 2 - h); hi = int(NR / 2 + 1 + h + 0.999999)
        if (lo < 1) lo = 1; if (hi > NR) hi = NR
        print v[lo], v[hi] }'
}

# Install Debian packages that are missing (apt-get update only when needed).
jr_apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    jr_log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    } || jr_die "could not install: ${missing[*]}"
}

# JSON string literal for $1.
jr_json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}
# JSON array of strings from the arguments.
jr_json_array() {
    local out="" a
    for a in "$@"; do out+="${out:+, }$(jr_json_str "$a")"; done
    printf '[%s]' "$out"
}

# jr_write_config BUNDLE ARGS_JSON [ANNOTATIONS_JSON] [READONLY] [CWD] [EXTRA_ENV_JSON_ITEMS]
# Writes BUNDLE/config.json: runc's default spec (no terminal, stdio inherited),
# with the given process args, annotations object, root.readonly and cwd.
# EXTRA_ENV_JSON_ITEMS: comma-separated JSON strings appended to process.env.
jr_write_config() {
    local bundle=$1 args=$2 annotations=${3:-"{}"} readonly=${4:-true} cwd=${5:-/} extra_env=${6:-}
    mkdir -p "$bundle"
    cat > "$bundle/config.json" <<JSON
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $args,
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=${TERM:-xterm}",
      "HOME=/root"${extra_env:+,
      $extra_env}
    ],
    "cwd": $(jr_json_str "$cwd"),
    "capabilities": {
      "bounding":  ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient":   ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": $readonly },
  "hostname": "jitrun-demo",
  "annotations": $annotations,
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": ["nosuid", "noexec", "nodev"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
      "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] }
  ],
  "linux": {
    "resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
                    { "type": "uts" }, { "type": "mount" } ],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON
}

# jr_mount_rootfs LOWER BUNDLE SCRATCH
# Mounts a fresh copy-on-write view of LOWER at BUNDLE/rootfs (an overlay whose upper
# lives under SCRATCH), as containerd's snapshotter does before it calls `create`:
# nothing a container does can alter the cached LOWER.
jr_mount_rootfs() {
    local lower=$1 bundle=$2 scratch=$3
    jr_umount_rootfs "$bundle"
    rm -rf "$scratch"; mkdir -p "$scratch/upper" "$scratch/work" "$bundle/rootfs"
    local opts="lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work"
    mount -t overlay overlay -o "$opts,volatile" "$bundle/rootfs" 2>/dev/null ||
        mount -t overlay overlay -o "$opts" "$bundle/rootfs" ||
        jr_die "cannot mount an overlay at $bundle/rootfs"
}
jr_umount_rootfs() {
    local bundle=$1
    while mountpoint -q "$bundle/rootfs" 2>/dev/null; do
        umount "$bundle/rootfs" 2>/dev/null || umount -l "$bundle/rootfs" || break
    done
}

# The demo app's bootstrap: what a Dockerfile's RUN lines would do, in one shell line.
JR_DEMO_BOOTSTRAP='python3 -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir --no-index --find-links /app/wheels -r /app/requirements.txt && python3 -m compileall -q /app'

# jr_is_jitrun PATH -> true if PATH is a jitrun binary (it understands run.jitrun.*)
jr_is_jitrun() { case $(basename "$1") in *jitrun*) return 0 ;; esac; return 1; }

# jr_jit_config BUNDLE IS_JITRUN APP BOOTSTRAP MANIFEST CWD -- ARGS...
# Writes BUNDLE/config.json for a container whose ARGS need BOOTSTRAP (a shell
# command line) to have run first in the rootfs (root.readonly = false):
#  - IS_JITRUN=1: the run.jitrun.* annotations carry the bootstrap
#    (["/bin/sh","-c",BOOTSTRAP]), app name APP, manifest MANIFEST; args = ARGS;
#  - IS_JITRUN=0 (runc, crun): no cache, so the bootstrap runs in the command itself,
#    every time: args = /bin/sh -c 'BOOTSTRAP && exec ARGS'. The annotations are
#    written all the same (those runtimes ignore them).
# BOOTSTRAP empty: a plain container, no annotations. The annotations are also
# passed to the process in JITRUN_ANNOTATIONS (the demo app prints them).
# Sets JR_ANNOTATIONS to the annotations object written.
jr_jit_config() {
    local bundle=$1 is_jitrun=$2 app=$3 bootstrap=$4 manifest=$5 cwd=$6
    shift 7
    local args env=""
    if [ -z "$bootstrap" ]; then
        JR_ANNOTATIONS='{}'
        args=$(jr_json_array "$@")
    else
        JR_ANNOTATIONS=$(cat <<JSON
{
  "run.jitrun.app": $(jr_json_str "$app"),
  "run.jitrun.version": "1",
  "run.jitrun.bootstrap": $(jr_json_str "$(jr_json_array /bin/sh -c "$bootstrap")"),
  "run.jitrun.manifest": $(jr_json_str "$manifest"),
  "run.jitrun.compat": "exact",
  "run.jitrun.mode": "rw"
}
JSON
)
        env=$(jr_json_str "JITRUN_ANNOTATIONS=$JR_ANNOTATIONS")
        if [ "$is_jitrun" = 1 ]; then
            args=$(jr_json_array "$@")
        else
            local q="" a
            for a in "$@"; do q+=" $(printf '%q' "$a")"; done
            args=$(jr_json_array /bin/sh -c "$bootstrap && exec$q")
        fi
    fi
    jr_write_config "$bundle" "$args" "$JR_ANNOTATIONS" "${JR_JIT_READONLY:-false}" "$cwd" \
        "\"PIP_DISABLE_PIP_VERSION_CHECK=1\"${env:+, $env}"
}
