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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Bit i is set when byte i of the 16 bytes at `p` is a blank (space or TAB), the field
/// separators of ARPA lines. The caller makes sure all 16 bytes are readable.
static inline uint32_t ngk_blank_mask16(const uint8_t *p) {
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i blank = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
    return (uint32_t)_mm_movemask_epi8(blank);
#else
    uint32_t mask = 0;
    for (int i = 0; i < 16; i++) mask |= (uint32_t)(p[i] == ' ' || p[i] == '\t') << i;
    return mask;
#endif
}

/// Adds one to a 32-bit counter that other threads may add to at the same time. Relaxed
/// ordering: the counters are read only after the threads have joined.
static inline void ngk_atomic_increment_u32(uint32_t *counter) {
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/// Temporary files to remove if a signal ends the process (SIGINT, SIGTERM, SIGHUP, SIGPIPE):
/// the one part of output handling that must be async-signal-safe, so it lives in C.
/// `ngk_cleanup_register` copies `path` into a fixed table and returns its slot, or -1 when the
/// table is full or the path too long (the file is then only removed on the normal paths).
int ngk_cleanup_register(const char *path);
/// Forgets the file of `slot` (it was renamed into place or removed); a slot of -1 is ignored.
void ngk_cleanup_unregister(int slot);
/// Installs the handlers: each removes the registered files, writes one line naming the signal
/// to stderr (none for SIGPIPE) and exits with 128 + the signal number. A signal the parent
/// ignores stays ignored; one it blocked is unblocked on the calling thread (call it before
/// other threads start: they inherit the mask).
void ngk_install_signal_cleanup(void);
/// Ends the process when memory runs out where no error can be thrown: removes the registered
/// files, writes "ngramkit: " and `message` as one line to stderr, exits with status 1.
void ngk_exit_out_of_memory(const char *message);
/// The number of files registered now (tests).
int ngk_cleanup_count(void);

/// An anonymous file in `folder` (`O_TMPFILE`, read-write, close-on-exec), or -1 with errno set
/// (EOPNOTSUPP, EISDIR or EINVAL where the file system or kernel does not offer it).
int ngk_open_anonymous(const char *folder, unsigned mode);
/// `mkostemp(name_template, O_CLOEXEC)`: a new file named from the template's XXXXXX.
int ngk_make_temporary(char *name_template);
#endif
