// CSharedMemory shared_memory.h: what Swift cannot say about memory several processes map —
// acquire/release loads and stores of the counters a barrier waits on.
#ifndef RINGTRAIN_CSHAREDMEMORY_H
#define RINGTRAIN_CSHAREDMEMORY_H
#include <stdatomic.h>
#include <stdint.h>

/// Stores `value` at `counter` with release order: every write this process made before the
/// store is visible to a process that reads the value with `csm_load_acquire`.
static inline void csm_store_release(uint64_t *counter, uint64_t value) {
    atomic_store_explicit((_Atomic uint64_t *)counter, value, memory_order_release);
}

/// Loads the value at `counter` with acquire order (pairs with `csm_store_release`).
static inline uint64_t csm_load_acquire(const uint64_t *counter) {
    return atomic_load_explicit((_Atomic const uint64_t *)counter, memory_order_acquire);
}

#endif
