#ifndef NGRAMKIT_SUPPORT_H
#define NGRAMKIT_SUPPORT_H

/// Hints the CPU to start loading the cache line at `address` for a later write.
/// Counting is bound by random memory access, and every key of a counting pass is
/// known in advance, so the loop prefetches a few positions ahead.
static inline void ngk_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

static inline void ngk_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#include <stdint.h>

/// Adds one to a 32-bit counter that other threads may add to at the same time. Relaxed
/// ordering: the counters are read only after the threads have joined.
static inline void ngk_atomic_increment_u32(uint32_t *counter) {
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}
#endif
