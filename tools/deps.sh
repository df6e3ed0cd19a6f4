#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs, from Debian packages, what building and booting the suites needs.
# Does nothing (and needs no network) when everything is already there.
# Arguments: the arches to build for besides x86_64 and um (arm64: the cross
# compiler and QEMU's arm emulator, as tools/common.py's QEMU_ARCHES names).
set -eu
pkgs="build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils \
      python3 python3-yaml python3-ply git patch ccache sparse qemu-system-x86 qemu-system-data"
for arch in "$@"; do
	case $arch in
	x86_64|um) ;;
	arm64) pkgs="$pkgs qemu-system-arm gcc-aarch64-linux-gnu" ;;
	*) echo "deps: unknown arch $arch (x86_64, arm64, um)" >&2; exit 2 ;;
	esac
done
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root, or install them)" >&2
	exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
