#!/bin/sh
# The quick form of bench/validate-pcie: simulated DMA bandwidth and latency against
# published PCIe figures (the full table: make validate-pcie).
exec "${TOP_BUILDDIR:-.}/bench/validate-pcie" --quick
