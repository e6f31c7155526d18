// The baseline variant of the kernels: the target's own flags only (x86-64 with SSE2, or plain
// aarch64 with NEON), or -march=native in an opt-in native build (PCKIT_NATIVE=1).
#define PCK_VARIANT baseline
#include "pc_variant.hpp"
