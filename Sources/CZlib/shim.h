#ifndef NGRAMKIT_CZLIB_SHIM_H
#define NGRAMKIT_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift can only call functions.
/// windowBits 15 + 16 accepts the gzip wrapper only (the reader detects gzip by its magic bytes).
static inline int ngk_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

/// deflateInit2 with the gzip wrapper (windowBits 15 + 16), for outputs named `*.gz`.
static inline int ngk_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
