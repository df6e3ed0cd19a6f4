#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs, from Debian packages, what building and booting the suites needs.
# Does nothing (and needs no network) when everything is already there.
set -eu
pkgs="build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils \
      python3 python3-yaml git patch ccache sparse qemu-system-x86 qemu-system-data"
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
