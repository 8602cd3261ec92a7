#!/usr/bin/env bash
# Bad PCIe and DMA-benchmark configurations are refused before anything runs: exit 2
# and a message naming the parameter. A good one runs.
set -u
. "$(dirname "$0")/lib.sh" cli-pcie
WL="$TOP/tests/data/cli/pcie.ini"

refused() {
    local pattern=$1 what=$2
    shift 2
    "$IOVSIM" run "$WL" --out "$OUT/r" -q "$@" >"$OUT/out" 2>"$OUT/err"
    local rc=$?
    if [ "$rc" = 2 ] && grep -Eq -- "$pattern" "$OUT/err" && [ ! -e "$OUT/r" ]; then
        pass=$((pass + 1)); echo "PASS: $what"
    else
        fail=$((fail + 1)); echo "FAIL: $what (exit $rc)"; sed 's/^/    /' "$OUT/err" | head -n 3
    fi
}

refused "pcie\.lanes = 3" "lanes 3 is refused" --set pcie.lanes=3
refused "pcie\.mps_bytes = 300" "MPS 300 is refused" --set pcie.mps_bytes=300
refused "pcie\.mrrs_bytes.*out of range" "MRRS above 4096 is refused" --set pcie.mrrs_bytes=8192
refused "pcie\.gen.*out of range" "generation 7 is refused" --set pcie.gen=7
refused "pcie\.rcb_bytes" "RCB 96 is refused" --set pcie.rcb_bytes=96
refused "dma\.window_bytes = 1024 is smaller than dma\.size_bytes" "a window smaller than the transfer is refused" \
    --set dma.window_bytes=1024 --set dma.size_bytes=2048
refused "Max_Payload_Size Supported" "MPS above the device's capability is refused" \
    --set pcie.mps_bytes=512 --set dma.mps_supported_bytes=256
refused "pcie\.rc_pd_credits" "too few data credits for one TLP is refused" --set pcie.rc_pd_credits=4
refused "overlaps the MSI window" "a window over the MSI addresses is refused" \
    --set dma.base_addr=0xFEE00000 --set pcie.addr_bits=32
refused "not 4 KiB aligned" "an unaligned window is refused" --set dma.base_addr=0x100000010
refused "point [0-9]+ \(.*dma\.size_bytes=8192" "a bad point deep in a sweep names the point" \
    --set dma.window_bytes=4096 --sweep dma.size_bytes=64,8192

# An unaligned write with posted data credits for exactly one MPS-sized TLP: every
# TLP stays within MPS in DWs, so it runs.
if "$IOVSIM" run "$WL" --out "$OUT/unaligned" -q --set dma.op=write --set dma.size_bytes=256 \
    --set dma.offset_bytes=2 --set pcie.rc_pd_credits=16 --set run.duration_us=20 >/dev/null 2>&1 &&
    grep -q '^ok,' "$OUT/unaligned/results.csv"; then
    pass=$((pass + 1)); echo "PASS: unaligned writes within one TLP's credits run"
else
    fail=$((fail + 1)); echo "FAIL: unaligned writes within one TLP's credits run"
fi

if "$IOVSIM" run "$WL" --out "$OUT/ok" -q --set dma.op=read --set dma.size_bytes=64 \
    --set run.duration_us=20 >/dev/null 2>&1 && grep -q '^ok,' "$OUT/ok/results.csv"; then
    pass=$((pass + 1)); echo "PASS: a good configuration runs"
else
    fail=$((fail + 1)); echo "FAIL: a good configuration runs"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
