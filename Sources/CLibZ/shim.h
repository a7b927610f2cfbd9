#ifndef TUTTI_CLIBZ_SHIM_H
#define TUTTI_CLIBZ_SHIM_H
#include <zlib.h>

// inflateInit2 and deflateInit2 are macros (they pass the header's version and the struct's
// size for an ABI check): Swift imports neither, so one inline wrapper each.

/// Raw inflate (no zlib or gzip wrapper, 32 KiB window): the data of a ZIP entry.
static inline int tutti_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

/// Raw deflate at `level` (for tests that make archives of their own).
static inline int tutti_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}

#endif
