#ifndef PCK_ALLOCATIONS_H
#define PCK_ALLOCATIONS_H
#include <stdint.h>

// Counts heap allocations made by the calling thread.
//
// Linking this target into an executable interposes malloc, calloc, realloc, posix_memalign,
// aligned_alloc and memalign (forwarding to glibc's __libc_* entry points) and increments a
// thread-local counter on each call. Only benchmarks and tests link it; the PCKit libraries never do.
#ifdef __cplusplus
extern "C" {
#endif

/// The number of allocation calls made by this thread since it started.
uint64_t pck_thread_allocation_count(void);

/// 1 when the interposer is active in this process (malloc calls are counted), else 0.
int pck_allocation_counter_active(void);

#ifdef __cplusplus
}
#endif
#endif
