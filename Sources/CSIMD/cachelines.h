// CSIMD cachelines.h: takes back ownership of a buffer's cache lines after another process has
// read them (Open MPI's shared-memory transport reads large messages straight from the sender's
// memory). The reader's cache keeps copies, so the sender's next write to each line must first
// invalidate them; when the two cores sit far apart (for example, on different chiplets), the
// stores of an ordinary loop pay that one line at a time. Rewriting one byte per line with its own
// value, in a loop that does nothing else, lets the core overlap those invalidations.
#ifndef RINGTRAIN_CSIMD_CACHELINES_H
#define RINGTRAIN_CSIMD_CACHELINES_H
#include <stdint.h>

/// Rewrites, unchanged, one byte of every 64-byte cache line that [start, start + bytes)
/// touches, staying inside that range. The values never change, so this is safe whenever
/// nothing else writes the range at the same time.
static inline void csimd_reclaim_lines(void *start, long bytes) {
    if (bytes <= 0) return;
    volatile uint8_t *first = (volatile uint8_t *)start;
    uintptr_t end = (uintptr_t)start + (uintptr_t)bytes;
    *first = *first;
    for (uintptr_t line = ((uintptr_t)start + 64) & ~(uintptr_t)63; line < end; line += 64) {
        volatile uint8_t *p = (volatile uint8_t *)line;
        *p = *p;
    }
}
#endif
