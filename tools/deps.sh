#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What building and booting the suites needs, checked by what the tools run:
# a command in PATH, a module the tools' Python imports, a header the host
# compiler finds (the kernel build's own libelf and OpenSSL headers), a file
# in QEMU's data dirs.  Never by package database, so any Linux host that
# has the tools passes, and nothing is done when all is there.
#
# Something missing: on Debian or Ubuntu (dpkg and apt-get in PATH) its
# Debian packages are installed (as root); elsewhere one line names what is
# missing with its Fedora and Arch packages, and the exit status is 2.
#
# Arguments, any of: arm64 (its cross compiler and QEMU, as tools/common.py's
# QEMU_ARCHES names them), x86_64 and um (nothing more); test, check, series
# (what those targets need besides a run: sparse, checkpatch's perl and
# python3-ply and python3-git for scripts/spdxcheck.py, PyYAML, unifdef);
# coverage (lcov and its genhtml, for make coverage: tools/coverage.py).
# PYTHON: the Python the tools run with.
set -eu
py=${PYTHON:-/usr/bin/python3}
command -v "$py" >/dev/null 2>&1 || py=python3

# One requirement a line: how it is checked, then its Debian, Fedora and Arch
# packages.  cmd:NAME a command; py:MODULE an import; h:HEADER a header
# (the kernel builds objtool against libelf, its host tools against
# OpenSSL); qemu:FILE a firmware file kunit.py's x86_64 boot loads.  A '?'
# first: installed on Debian, not required elsewhere (ccache: used when
# there).
run='
cmd:gcc build-essential gcc gcc
cmd:make build-essential make make
cmd:bc bc bc bc
cmd:bison bison bison bison
cmd:flex flex flex flex
cmd:perl perl perl perl
h:gelf.h libelf-dev elfutils-libelf-devel libelf
h:openssl/opensslv.h libssl-dev openssl-devel openssl
cmd:cpio cpio cpio cpio
cmd:xz xz-utils xz xz
cmd:git git git git
cmd:patch patch patch patch
?cmd:ccache ccache ccache ccache
cmd:qemu-system-x86_64 qemu-system-x86 qemu-system-x86-core qemu-system-x86
qemu:linuxboot_dma.bin qemu-system-data qemu-system-x86-core qemu-system-x86-firmware
'
arm64='
cmd:qemu-system-aarch64 qemu-system-arm qemu-system-aarch64-core qemu-system-aarch64
cmd:aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu gcc-aarch64-linux-gnu aarch64-linux-gnu-gcc
'
check='
py:ply python3-ply python3-ply python-ply
py:git python3-git python3-GitPython python-gitpython
'
series="$check
cmd:unifdef unifdef unifdef unifdef
"
coverage='
cmd:lcov lcov lcov lcov
cmd:genhtml lcov lcov lcov
'
test="$series
cmd:sparse sparse sparse sparse
py:yaml python3-yaml python3-pyyaml python-yaml
"
reqs=$run
for arg in "$@"; do
	case $arg in
	x86_64|um) ;;
	arm64) reqs="$reqs$arm64" ;;
	check) reqs="$reqs$check" ;;
	series) reqs="$reqs$series" ;;
	test) reqs="$reqs$test$arm64" ;;
	coverage) reqs="$reqs$coverage" ;;
	*) echo "deps: unknown arch $arg (x86_64, arm64, um)" >&2; exit 2 ;;
	esac
done

has() {
	case $1 in
	cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
	py:*) "$py" -c "import ${1#py:}" >/dev/null 2>&1 ;;
	h:*) printf '#include <%s>\n' "${1#h:}" |
		"${HOSTCC:-gcc}" -E -x c - -o /dev/null >/dev/null 2>&1 ;;
	qemu:*)
		# QEMU's data dirs; a QEMU too old to list them is taken as it is.
		dirs=$(qemu-system-x86_64 -L help 2>/dev/null) || return 1
		[ -n "$dirs" ] || return 0
		for d in $dirs; do
			[ -e "$d/${1#qemu:}" ] && return 0
		done
		return 1 ;;
	esac
}

debian=
command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && debian=1
missing='' deb='' fedora='' arch=''
seen=
while read -r what d f a; do
	[ -n "$what" ] || continue
	case " $seen " in *" $what "*) continue ;; esac
	seen="$seen $what"
	optional=
	case $what in '?'*) optional=1; what=${what#?} ;; esac
	has "$what" && continue
	[ -n "$optional" ] && [ -z "$debian" ] && continue
	case $what in
	py:*) missing="$missing, ${what#py:} (Python)" ;;
	h:*) missing="$missing, <${what#h:}>" ;;
	*) missing="$missing, ${what#*:}" ;;
	esac
	case " $deb " in *" $d "*) ;; *) deb="$deb $d" ;; esac
	case " $fedora " in *" $f "*) ;; *) fedora="$fedora $f" ;; esac
	case " $arch " in *" $a "*) ;; *) arch="$arch $a" ;; esac
done <<EOF
$reqs
EOF
[ -z "$missing" ] && exit 0
missing=${missing#, }
if [ -z "$debian" ]; then
	echo "deps: missing $missing: Fedora: dnf install$fedora; Arch: pacman -S$arch" \
		"(no dpkg/apt-get here to install Debian's)" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing $missing: Debian packages$deb (run as root, or install them)" >&2
	exit 2
fi
echo "deps: missing $missing: installing$deb"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $deb >/dev/null
