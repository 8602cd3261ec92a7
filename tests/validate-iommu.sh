#!/bin/sh
# The quick form of bench/validate-iommu: simulated IOMMU costs against published
# measurements (the full table: bench/validate-iommu).
exec "${TOP_BUILDDIR:-.}/bench/validate-iommu" --quick
