#!/usr/bin/env bash
# Builds the kernels (every .cpp of _PCKernels and its variant targets) for aarch64 Linux with the
# Swift toolchain's clang, links them with a small driver and runs it under qemu-aarch64.
# Not part of `make test`: it needs Debian's g++-aarch64-linux-gnu (headers, libraries, linker)
# and qemu-user:  apt-get install g++-aarch64-linux-gnu qemu-user
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d "${TMPDIR:-/tmp}/pckit-aarch64.XXXXXX")"
trap 'rm -rf "$out"' EXIT
flags=(--target=aarch64-linux-gnu -std=c++17 -O3 -fno-math-errno -DNDEBUG -DEIGEN_NO_DEBUG -DEIGEN_DONT_PARALLELIZE
       -I "$repo/Sources/_PCKernels/include" -I /usr/include/eigen3)
objects=()
for source in "$repo"/Sources/_PCKernels/*.cpp "$repo"/Sources/_PCKernelsAVX2/*.cpp "$repo"/Sources/_PCKernelsAVX512/*.cpp \
              "$repo/Tests/kernels/aarch64_driver.cpp"; do
  object="$out/$(basename "$source").o"
  clang++ "${flags[@]}" -c "$source" -o "$object"
  objects+=("$object")
  echo "compiled for aarch64: ${source#$repo/}"
done
aarch64-linux-gnu-g++ -o "$out/driver" "${objects[@]}" -lpthread
file "$out/driver"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/driver"
