#!/bin/sh
# setup.sh: makes sure clang can build libFuzzer harnesses (clang and its runtime,
# libclang-rt-14-dev on Debian 12). Installs them as root when missing; otherwise says
# what to install and fails. Called by `make fuzz` only: the default build needs gcc.
set -e
probe() {
    d=$(mktemp -d)
    printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$d/p.c"
    clang -fsanitize=fuzzer,address,undefined "$d/p.c" -o "$d/p" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
command -v clang >/dev/null 2>&1 && probe && exit 0
pkgs="clang libclang-rt-dev"
if [ "$(id -u)" != 0 ]; then
    echo "fuzz: clang with libFuzzer is missing: sudo apt-get install -y $pkgs" >&2
    exit 1
fi
echo "fuzz: installing Debian packages: $pkgs"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs
probe || { echo "fuzz: clang still cannot build a libFuzzer program" >&2; exit 1; }
