#!/usr/bin/env bash
# Sharing extension layers through an OCI registry (issue 4): simulated
# nodes (separate cache dirs) share Debian's docker-registry on 127.0.0.1.
. "$(dirname "$0")/../lib.sh"

REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}

need_registry() {
	jitrun_only
	[ -x "$REGISTRY_BIN" ] || skip "no $REGISTRY_BIN (apt-get install docker-registry)"
}

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry [htpasswd-file]: a registry with filesystem storage in
# $T_DIR/reg; sets REG (host:port) and REG_PID.
start_registry() {
	local port auth=""
	port=$(free_port)
	mkdir -p "$T_DIR/reg"
	if [ $# -gt 0 ]; then
		auth="auth:
  htpasswd:
    realm: jitrun-test
    path: $1"
	fi
	cat >"$T_DIR/reg/config.yml" <<-EOF
		version: 0.1
		log:
		  level: warn
		storage:
		  filesystem:
		    rootdirectory: $T_DIR/reg/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		$auth
	EOF
	"$REGISTRY_BIN" serve "$T_DIR/reg/config.yml" >"$T_DIR/reg/log" 2>&1 &
	REG_PID=$!
	T_BG_PIDS="${T_BG_PIDS:-} $REG_PID"
	REG=127.0.0.1:$port
	wait_for curl -s -o /dev/null "http://$REG/v2/" || fail "registry did not start: $(cat "$T_DIR/reg/log")"
	export JITRUN_REGISTRY=$REG/jitrun/cache JITRUN_INSECURE_REGISTRIES=$REG
}

stop_registry() {
	kill "$REG_PID" 2>/dev/null || true
	wait "$REG_PID" 2>/dev/null || true
}

# node_bundle: bundle b whose bootstrap counts its runs in $T_DIR/host/count
# (bind-mounted, outside the rootfs), installs /app/installed, deletes
# /base/file and replaces /base/dir (whiteout + opaque dir).
node_bundle() {
	mkdir -p "$T_DIR/host"
	[ -d "$T_DIR/b" ] && return 0
	make_bundle b '.process.args = ["sh", "-c", "cat /app/installed; ls /base; ls /base/dir"]
		| .process.cwd = "/app"
		| .mounts += [{"destination": "/host", "type": "bind", "source": ($ENV.T_DIR + "/host"), "options": ["rbind", "rw"]}]
		| .annotations = {
			"run.jitrun.bootstrap": (["sh", "-c", "echo run >> /host/count; echo installed-$(cat /app/deps.lock) > /app/installed; rm /base/file; rm -rf /base/dir; mkdir /base/dir; echo new > /base/dir/new"] | tojson),
			"run.jitrun.app": "demo",
			"run.jitrun.version": "1.0.0",
			"run.jitrun.manifest": "deps.lock"}'
	mkdir -p b/rootfs/app b/rootfs/base/dir
	echo v1 >b/rootfs/app/deps.lock
	echo base >b/rootfs/base/file
	echo inner >b/rootfs/base/dir/inner
}

# node NAME: use cache dir $T_DIR/NAME (a simulated node).
node() { export JITRUN_CACHE_DIR=$T_DIR/$1; }

# node_run: run the bundle on the current node; prints its stdout; the
# runtime's --log goes to $T_DIR/log.
node_run() {
	rt --log "$T_DIR/log" run --bundle "$T_DIR/b" "$(new_id)" </dev/null 2>>"$T_DIR/err"
}

runs() { if [ -f "$T_DIR/host/count" ]; then wc -l <"$T_DIR/host/count"; else echo 0; fi; }
the_key() { "$RUNTIME" cache list --format json | jq -r '.[0].key'; }
_push_done() { [ -f "$1" ] && ! grep -q '"pushing"' "$1"; }
# wait_push: wait for the background push of the current node's entry.
wait_push() {
	local f
	f=$JITRUN_CACHE_DIR/layers/$(the_key)/registry.json
	wait_for -t 30 _push_done "$f" || fail "push did not finish: $(cat "$f" 2>/dev/null)"
	cat "$f"
}

test_push_then_pull_on_another_node() {
	need_registry
	start_registry
	node_bundle
	node A
	out=$(node_run)
	assert_contains "$out" installed-v1
	assert_eq "$(runs)" 1
	st=$(wait_push)
	assert_jq "$st" '.status == "pushed"' true
	assert_jq "$st" '.blobsUploaded == 2' true
	key=$(the_key)

	node B
	out=$(node_run)
	assert_eq "$(runs)" 1 "node B bootstrapped instead of pulling"
	assert_contains "$out" installed-v1
	# whiteouts survived: /base/file deleted, /base/dir replaced (opaque)
	assert_eq "$(echo "$out" | sed -n 2,3p | tr '\n' ' ')" "dir new " "whiteout/opaque dir lost"
	assert_eq "$(the_key)" "$key"
	assert_file_contains "$JITRUN_CACHE_DIR/layers/$key/registry.json" '"pulled"'
	assert_file_contains "$T_DIR/log" "pulled"
	expect_ok "$RUNTIME" cache verify "$key"
	# the pulled entry is not pushed back
	sleep 0.3
	assert_file_contains "$JITRUN_CACHE_DIR/layers/$key/registry.json" '"pulled"'

	# a second push of the same layer uploads no blob
	node A
	expect_ok "$RUNTIME" cache push "$key" --format json
	assert_jq "$OUT" '.blobsUploaded == 0 and .bytesUploaded == 0 and .blobsSkipped == 2' true

	# TLS is the default: a registry not listed as insecure is not
	# spoken to over plain http (this one speaks only http)
	node D
	JITRUN_INSECURE_REGISTRIES='' node_run >/dev/null
	assert_eq "$(runs)" 2 "an unlisted registry was used over http"
	assert_file_contains "$T_DIR/log" "https://$REG/v2/"

	# cache pull by reference on a third node
	node C
	expect_ok "$RUNTIME" cache pull "$JITRUN_REGISTRY:$key" --format json
	assert_jq "$OUT" '.status == "pulled"' true
	assert_eq "$(the_key)" "$key"
}

# A push killed mid-way leaves "pushing" with nobody holding the push lock:
# the next create pushes again.  A live pusher's claim is respected.
test_stale_push_claim_is_retried() {
	need_registry
	start_registry
	node_bundle
	node A
	node_run >/dev/null
	assert_jq "$(wait_push)" '.status == "pushed"' true
	local key f
	key=$(the_key)
	f=$JITRUN_CACHE_DIR/layers/$key/registry.json
	echo '{"status":"pushing"}' >"$f"
	node_run >/dev/null
	assert_jq "$(wait_push)" '.status == "pushed"' true
	# while a pusher holds the lock, a create does not start another push
	echo '{"status":"pushing"}' >"$f"
	local lock=$JITRUN_CACHE_DIR/layers/$key/push.lock
	# one process (killed at the end of the test) holding the lock
	bg bash -c 'exec 9>"$1"; flock 9; exec sleep 30' lock-holder "$lock"
	_locked() { ! flock -n "$lock" true; }
	wait_for _locked
	node_run >/dev/null
	sleep 1
	assert_file_contains "$f" '"pushing"'
	assert_eq "$(runs)" 1
}

test_basic_auth() {
	need_registry
	command -v htpasswd >/dev/null || skip "no htpasswd (apache2-utils)"
	htpasswd -Bbc "$T_DIR/htpasswd" alice s3cret >/dev/null
	start_registry "$T_DIR/htpasswd"
	node_bundle
	node A
	export REGISTRY_AUTH_FILE=$T_DIR/auth.json
	# no credentials: the container still starts, the push fails clearly
	node_run >/dev/null
	st=$(wait_push)
	assert_jq "$st" '.status == "failed"' true
	assert_contains "$(jq -r .error <<<"$st")" "authentication"
	assert_contains "$(jq -r .error <<<"$st")" "$T_DIR/auth.json"
	key=$(the_key)
	expect_fail "$RUNTIME" cache push "$key"
	assert_contains "$ERR" "no credentials"
	# wrong password
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf alice:wrong | base64)" >"$T_DIR/auth.json"
	expect_fail "$RUNTIME" cache push "$key"
	assert_contains "$ERR" "authentication failed"
	# right one
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf alice:s3cret | base64)" >"$T_DIR/auth.json"
	expect_ok "$RUNTIME" cache push "$key" --format json
	assert_jq "$OUT" '.status == "pushed"' true
	node B
	out=$(node_run)
	assert_eq "$(runs)" 1 "node B bootstrapped instead of pulling with credentials"
	assert_contains "$out" installed-v1
}

# upload_blob FILE: prints the digest.
upload_blob() {
	local f=$1 d loc
	d=sha256:$(sha256sum "$f" | cut -d' ' -f1)
	loc=$(curl -sS -D - -o /dev/null -X POST "http://$REG/v2/jitrun/cache/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	case $loc in /*) loc=http://$REG$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
	curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$f" "$loc" >/dev/null || fail "upload $f"
	echo "$d"
}

# push_crafted KEY LAYER-FILE: publish LAYER-FILE as the layer of KEY.
push_crafted() {
	local key=$1 layer=$2 ld cd
	echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$T_DIR/config.json"
	ld=$(upload_blob "$layer")
	cd=$(upload_blob "$T_DIR/config.json")
	jq -n --arg ld "$ld" --arg ls "$(stat -c %s "$layer")" --arg cd "$cd" --arg cs "$(stat -c %s "$T_DIR/config.json")" --arg key "$key" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: ($cs|tonumber)},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $ld, size: ($ls|tonumber)}],
		  annotations: {"run.jitrun.key": $key, "run.jitrun.app": "demo", "run.jitrun.version": "1.0.0"}}' >"$T_DIR/manifest.json"
	curl -sS -f -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$T_DIR/manifest.json" "http://$REG/v2/jitrun/cache/manifests/$key" >/dev/null || fail "manifest"
}

# craft_tar KIND OUT: a gzip'ed tar with a path traversal or a device node.
craft_tar() {
	"$PYTHON" - "$1" "$2" <<-'EOF'
		import io, sys, tarfile
		kind, out = sys.argv[1], sys.argv[2]
		with tarfile.open(out, "w:gz") as t:
		    ok = tarfile.TarInfo("app/installed"); data = b"installed-evil\n"; ok.size = len(data)
		    t.addfile(ok, io.BytesIO(data))
		    if kind == "dotdot":
		        i = tarfile.TarInfo("../../../../tmp/jitrun-evil"); i.size = 4
		        t.addfile(i, io.BytesIO(b"evil"))
		    elif kind == "device":
		        i = tarfile.TarInfo("app/mem"); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 1
		        t.addfile(i)
	EOF
}

# refused_then_bootstrap: node B must refuse the registry's layer, warn,
# and bootstrap on its own.
refused_then_bootstrap() {
	local before out
	node "B$1"
	before=$(runs)
	out=$(node_run)
	assert_contains "$out" installed-v1 "node B used a refused layer"
	assert_eq "$(runs)" $((before + 1)) "node B did not fall back to its bootstrap"
	assert_file_contains "$T_DIR/log" "bootstrapping locally"
	assert_file_contains "$T_DIR/log" "$2"
}

test_untrusted_layers_refused() {
	need_registry
	start_registry
	node_bundle
	# learn the key on a node without registry
	node A
	JITRUN_REGISTRY='' node_run >/dev/null
	key=$(the_key)

	craft_tar dotdot "$T_DIR/dotdot.tgz"
	push_crafted "$key" "$T_DIR/dotdot.tgz"
	refused_then_bootstrap 1 '`..` in path'
	assert_file_absent /tmp/jitrun-evil

	craft_tar device "$T_DIR/dev.tgz"
	push_crafted "$key" "$T_DIR/dev.tgz"
	refused_then_bootstrap 2 "device node"

	# a blob corrupted in the registry's storage
	node A
	expect_ok "$RUNTIME" cache push "$key" --format json
	ld=$(jq -r .layerDigest <<<"$OUT")
	data=$(find "$T_DIR/reg/data" -path "*/blobs/sha256/*/${ld#sha256:}/data")
	[ -f "$data" ] || fail "blob file not found in the registry storage"
	printf 'X' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
	refused_then_bootstrap 3 "digest mismatch"
}

test_registry_down() {
	need_registry
	node_bundle
	node A
	port=$(free_port)
	export JITRUN_REGISTRY=127.0.0.1:$port/jitrun/cache JITRUN_INSECURE_REGISTRIES=127.0.0.1:$port
	out=$(node_run)
	assert_contains "$out" installed-v1
	assert_eq "$(runs)" 1
	assert_file_contains "$T_DIR/log" "bootstrapping locally"
	st=$(wait_push)
	assert_jq "$st" '.status == "failed"' true
	# registry-required: create fails with a clear error, no bootstrap
	node A2
	bundle_jq b '.annotations["run.jitrun.registry-required"] = "true"'
	expect_fail rt run --bundle "$T_DIR/b" "$(new_id)"
	assert_contains "$ERR" "run.jitrun.registry-required"
	assert_eq "$(runs)" 1
}

test_registry_stopped_mid_way() {
	need_registry
	start_registry
	node_bundle
	node A
	node_run >/dev/null
	wait_push >/dev/null
	stop_registry
	# a node that misses while the registry is gone still starts
	node B
	out=$(node_run)
	assert_contains "$out" installed-v1
	assert_eq "$(runs)" 2
}

t_main "$@"
