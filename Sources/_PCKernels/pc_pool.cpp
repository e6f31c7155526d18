// A persistent pool of worker threads for data-parallel kernels (pck_pool_*).
//
// pck_pool_run hands out task indices 1…count−1 to the workers and runs index 0 on the caller,
// then waits for all of them: one release/acquire handshake per call, no allocation. Idle workers
// spin briefly (a step follows a step within microseconds in a training loop) and then sleep on a
// condition variable, so an idle pool costs no CPU.
#include "pc_kernels.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpuRelax() { _mm_pause(); }
#else
static inline void cpuRelax() {}
#endif

struct pck_pool {
    std::vector<std::thread> threads;
    std::mutex callers;  // one pck_pool_run at a time
    std::mutex sleep;
    std::condition_variable wake;
    std::atomic<unsigned long> generation{0};
    std::atomic<ptrdiff_t> remaining{0};
    std::atomic<int> sleepers{0};
    std::atomic<bool> stopping{false};
    void (*task)(void *, ptrdiff_t) = nullptr;
    void *context = nullptr;
    ptrdiff_t count = 0;

    void work(ptrdiff_t index) {
        unsigned long seen = 0;
        for (;;) {
            // Wait for a new generation: spin ~0.5 ms, then sleep.
            unsigned long g = generation.load(std::memory_order_acquire);
            auto start = std::chrono::steady_clock::now();
            int spins = 0;
            while (g == seen && !stopping.load(std::memory_order_acquire)) {
                cpuRelax();
                if (++spins % 256 == 0 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(500)) {
                    std::unique_lock<std::mutex> lock(sleep);
                    sleepers.fetch_add(1, std::memory_order_seq_cst);
                    wake.wait(lock, [&] {
                        return generation.load(std::memory_order_acquire) != seen ||
                               stopping.load(std::memory_order_acquire);
                    });
                    sleepers.fetch_sub(1, std::memory_order_seq_cst);
                    start = std::chrono::steady_clock::now();
                }
                g = generation.load(std::memory_order_acquire);
            }
            if (stopping.load(std::memory_order_acquire)) return;
            seen = g;
            if (index < count) task(context, index);
            // Every worker acknowledges every generation, so none can lag into the next call.
            remaining.fetch_sub(1, std::memory_order_acq_rel);
        }
    }
};

extern "C" {

pck_pool *pck_pool_create(int workers) {
    if (workers < 0 || workers > 255) return nullptr;
    try {
        auto *pool = new pck_pool();
        pool->threads.reserve(size_t(workers));
        for (int w = 0; w < workers; ++w) pool->threads.emplace_back([pool, w] { pool->work(w + 1); });
        return pool;
    } catch (...) {
        return nullptr;
    }
}

void pck_pool_destroy(pck_pool *pool) {
    if (!pool) return;
    {
        std::lock_guard<std::mutex> lock(pool->sleep);
        pool->stopping.store(true, std::memory_order_release);
    }
    pool->wake.notify_all();
    for (auto &t : pool->threads) t.join();
    delete pool;
}

int pck_pool_run(pck_pool *pool, void (*task)(void *, ptrdiff_t), void *context, ptrdiff_t count) {
    if (!pool || !task || count < 0 || count > ptrdiff_t(pool->threads.size()) + 1) return PCK_ERR_ARGUMENT;
    if (count == 0) return PCK_OK;
    std::lock_guard<std::mutex> caller(pool->callers);
    if (count > 1) {
        pool->task = task;
        pool->context = context;
        pool->count = count;
        // Every worker observes the generation; those with index ≥ count only acknowledge it.
        pool->remaining.store(ptrdiff_t(pool->threads.size()), std::memory_order_relaxed);
        {
            // Publishing under the sleep lock means a worker about to sleep sees the new generation.
            std::lock_guard<std::mutex> lock(pool->sleep);
            pool->generation.fetch_add(1, std::memory_order_acq_rel);
        }
        if (pool->sleepers.load(std::memory_order_seq_cst) > 0) pool->wake.notify_all();
    }
    task(context, 0);
    while (count > 1 && pool->remaining.load(std::memory_order_acquire) > 0) cpuRelax();
    return PCK_OK;
}

}  // extern "C"
