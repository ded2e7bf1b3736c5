#ifndef NGRAMKIT_CZLIB_SHIM_H
#define NGRAMKIT_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro in zlib.h; Swift can only call functions.
/// windowBits 15 + 16 accepts the gzip wrapper only (the reader detects gzip by its magic bytes).
static inline int ngk_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
