#!/usr/bin/env bash
# Install what building jitrun and running its tests need (Debian bookworm).
# Idempotent: apt is not touched when every package is already installed.
set -euo pipefail

BUILD_PKGS=(
	autoconf automake libtool pkg-config gcc make
	libyajl-dev libseccomp-dev libcap-dev libssl-dev libcmocka-dev
	libcurl4-openssl-dev libarchive-dev zlib1g-dev
	clang clang-format libclang-rt-14-dev
)
TEST_PKGS=(
	busybox-static jq python3 iproute2 util-linux procps
	runc crun containerd podman skopeo umoci hyperfine docker-registry apache2-utils curl time
)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#BUILD_PKGS[@]} build and ${#TEST_PKGS[@]} test packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# services (docker-registry, containerd) must not be started by their
# postinst scripts: the tests run private instances
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT

$SUDO apt-get update -q
# with recommends: the e2e tests were validated against podman as Debian installs it by default
$SUDO apt-get install -y -q "${missing[@]}"
echo "install-deps: done"
