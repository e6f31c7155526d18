// A malloc interposer that counts allocations per thread (glibc only).
//
// The executable that links this file defines malloc & co.; the dynamic linker resolves every
// other library's calls (the Swift runtime, libstdc++, libc itself) to these definitions, which
// forward to glibc's exported __libc_* implementations. The counter is thread-local so that
// concurrently running tests do not see each other's allocations.
#include "pck_allocations.h"
#include <stddef.h>
#include <errno.h>

#if defined(__GLIBC__) || defined(__linux__)
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static __thread uint64_t allocation_count __attribute__((tls_model("initial-exec")));
static volatile int interposer_seen = 0;

void *malloc(size_t size) { allocation_count++; interposer_seen = 1; return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { allocation_count++; interposer_seen = 1; return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { allocation_count++; return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { allocation_count++; return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { allocation_count++; return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    allocation_count++;
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL && size != 0) return ENOMEM;
    *out = p;
    return 0;
}

uint64_t pck_thread_allocation_count(void) { return allocation_count; }
int pck_allocation_counter_active(void) { return interposer_seen; }
#else
uint64_t pck_thread_allocation_count(void) { return 0; }
int pck_allocation_counter_active(void) { return 0; }
#endif
