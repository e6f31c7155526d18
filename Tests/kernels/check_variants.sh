#!/usr/bin/env bash
# Checks the built kernel objects (x86-64, default build) for the two ways run-time dispatch can
# break silently:
#  1. a variant exporting a symbol outside its own namespaces (pck_<variant>::, pck_<variant>_Eigen::):
#     the linker could then merge an AVX2/AVX-512 copy of an inline function or template into the
#     baseline path, which would crash a CPU without those instructions;
#  2. AVX instructions (VEX/EVEX-encoded, ymm/zmm registers) in the baseline path, the dispatcher
#     or the thread pool.
# Usage: Tests/kernels/check_variants.sh [bin-path]   (default: swift build --show-bin-path)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-$(cd "$repo" && ${SWIFT:-swift} build --show-bin-path)}"
fail() { echo "Tests/kernels/check_variants.sh: FAILED: $*" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "check_variants: not x86-64, nothing to check"; exit 0; }
[ "${PCKIT_NATIVE:-}" = 1 ] && { echo "check_variants: native build (PCKIT_NATIVE=1), not checked"; exit 0; }

for variant in baseline avx2 avx512; do
  case $variant in
    baseline) object="$bin/_PCKernels.build/pc_kernels_baseline.cpp.o" ;;
    avx2) object="$bin/_PCKernelsAVX2.build/pc_kernels_avx2.cpp.o" ;;
    avx512) object="$bin/_PCKernelsAVX512.build/pc_kernels_avx512.cpp.o" ;;
  esac
  [ -f "$object" ] || fail "$object is missing (build first)"
  # Global and weak definitions (nm's upper-case types; v, w, u: weak and unique) whose mangled
  # names do not involve the variant's namespaces (<length>pck_<variant>…).
  stray="$(nm --defined-only "$object" | awk '$2 ~ /^[A-Zuvw]$/ { print $3 }' |
           grep -v -E "[0-9]pck_${variant}(_Eigen)?" | grep -v -x 'DW.ref.__gxx_personality_v0' || true)"
  [ -z "$stray" ] || fail "$variant exports symbols outside its namespaces:"$'\n'"$stray"
  nm -C --defined-only "$object" | grep " pck_${variant}::table$" >/dev/null || fail "$variant has no dispatch table"
  echo "$variant: every exported symbol names pck_${variant}:: or pck_${variant}_Eigen::"
done

for object in "$bin/_PCKernels.build/pc_kernels_baseline.cpp.o" "$bin/_PCKernels.build/pc_dispatch.cpp.o" \
              "$bin/_PCKernels.build/pc_pool.cpp.o"; do
  avx="$(objdump -d --no-show-raw-insn "$object" | awk -F'\t' 'NF >= 2 { print $2 }' |
         grep -E '^v[a-z]|%[yz]mm' | sort | uniq -c | sort -rn | head -5 || true)"
  [ -z "$avx" ] || fail "AVX instructions in the baseline object $(basename "$object"):"$'\n'"$avx"
done
avx512="$(objdump -d --no-show-raw-insn "$bin/_PCKernelsAVX512.build/pc_kernels_avx512.cpp.o" | grep -c '%zmm' || true)"
[ "$avx512" -gt 0 ] || fail "the AVX-512 object uses no zmm register"
echo "baseline objects: no AVX instructions; avx512 object: $avx512 instructions on zmm registers"
