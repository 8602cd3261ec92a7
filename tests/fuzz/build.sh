#!/bin/sh
# build.sh OUT SRCDIR BUILDDIR HARNESS... -- SOURCE...: builds each libFuzzer harness
# (tests/fuzz/NAME.c) as OUT/NAME against the whole library compiled with clang under
# fuzzer coverage, AddressSanitizer and UndefinedBehaviorSanitizer. The library is the
# list make passes (libiovsim.a's sources), so a module added there is fuzzed too. The
# objects live in OUT/obj and are rebuilt when their source, or any header of the tree,
# is newer; the normal gcc build is never touched. Flags for the libraries come from the
# environment (CPPFLAGS_LIBS, LIBS) as configure found them.
set -e
out=$1 src=$2 build=$3
shift 3
harnesses=
while [ $# -gt 0 ] && [ "$1" != -- ]; do harnesses="$harnesses $1"; shift; done
[ "$1" = -- ] && shift
mkdir -p "$out/obj"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFL="-g -O1 -I$src -I$build $CPPFLAGS_LIBS $SAN"
# The newest header: a change to any header rebuilds every object (simple and safe).
newest=$(find "$src" "$build" -name '*.h' -newer "$out/obj/.stamp" 2>/dev/null | head -n 1)
objs=
for s in "$@"; do
    case $s in *.c | *.cc) ;; *) continue ;; esac
    f=$src/$s
    [ -f "$f" ] || f=$build/$s
    o=$out/obj/$(echo "$s" | tr / _).o
    objs="$objs $o"
    if [ -z "$newest" ] && [ -f "$o" ] && [ "$o" -nt "$f" ]; then continue; fi
    echo "  CLANG    $s"
    case $s in
    *.cc) clang++ -std=gnu++17 $CFL -fsanitize=fuzzer-no-link -c "$f" -o "$o" ;;
    *) clang -std=gnu11 $CFL -fsanitize=fuzzer-no-link -c "$f" -o "$o" ;;
    esac
done
touch "$out/obj/.stamp"
for h in $harnesses; do
    echo "  FUZZER   $h"
    clang++ $CFL -fsanitize=fuzzer -Wall -Wextra -Werror -x c -std=gnu11 "$src/tests/fuzz/$h.c" -x none $objs \
        $LIBS -lm -o "$out/$h"
done
