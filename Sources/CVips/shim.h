#ifndef TUTTI_CVIPS_SHIM_H
#define TUTTI_CVIPS_SHIM_H
#include <vips/vips.h>
#include <malloc.h>

// libvips's operations are C variadic functions ending in a NULL-terminated list of optional
// arguments, and VIPS_INIT is a macro: Swift imports neither. One inline wrapper per call
// Tutti makes, each with the options it needs spelled out.

/// VIPS_INIT: checks the library's ABI against these headers, then starts libvips.
static inline int tutti_vips_init(const char *argv0) {
    return VIPS_INIT(argv0);
}

/// glibc's M_ARENA_MAX (mallopt's option is a macro).
static inline int tutti_malloc_arena_max(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}

// A GNU extension Swift's Glibc module does not declare (it needs _GNU_SOURCE).
extern int pthread_setattr_default_np(const pthread_attr_t *attr);

/// The stack size of threads created from now on (libvips's workers), in bytes.
static inline int tutti_default_thread_stack(size_t bytes) {
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return -1;
    int result = pthread_attr_setstacksize(&attributes, bytes);
    if (result == 0) result = pthread_setattr_default_np(&attributes);
    pthread_attr_destroy(&attributes);
    return result;
}

/// Shrinks (or enlarges) to fill a `size` x `size` square, then crops the centre; turns the
/// image upright per its EXIF orientation first; converts an embedded ICC profile to sRGB.
/// Decodes with shrink-on-load where the format allows (JPEG). `loaderOptions` go to the
/// loader itself: libvips 8.14's thumbnail does not pass its own `fail_on` on to a buffer
/// loader, so a truncated JPEG would decode with grey where the data is missing; as a loader
/// option ("fail_on=error") it fails.
static inline int tutti_vips_thumbnail_square_buffer(void *buffer, size_t length, VipsImage **out, int size, const char *loaderOptions) {
    return vips_thumbnail_buffer(buffer, length, out, size,
        "height", size, "size", VIPS_SIZE_BOTH, "crop", VIPS_INTERESTING_CENTRE,
        "export_profile", "srgb", "option_string", loaderOptions, NULL);
}

/// The same from an image already in memory (a larger square made by the call above).
static inline int tutti_vips_thumbnail_square_image(VipsImage *in, VipsImage **out, int size) {
    return vips_thumbnail_image(in, out, size,
        "height", size, "size", VIPS_SIZE_BOTH, "crop", VIPS_INTERESTING_CENTRE, NULL);
}

/// Opens an image from memory reading only its header (pixels decode on demand).
static inline VipsImage *tutti_vips_header_from_buffer(const void *buffer, size_t length) {
    return vips_image_new_from_buffer(buffer, length, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

/// Composites an image with alpha onto white and drops the alpha band.
static inline int tutti_vips_flatten_white(VipsImage *in, VipsImage **out) {
    VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
    int result = vips_flatten(in, out, "background", white, NULL);
    vips_area_unref(VIPS_AREA(white));
    return result;
}

/// Converts to 8-bit sRGB (from greyscale, 16-bit, CMYK...).
static inline int tutti_vips_to_srgb(VipsImage *in, VipsImage **out) {
    return vips_colourspace(in, out, VIPS_INTERPRETATION_sRGB, NULL);
}

/// Casts to 8 bits per band.
static inline int tutti_vips_cast_uchar(VipsImage *in, VipsImage **out) {
    return vips_cast(in, out, VIPS_FORMAT_UCHAR, NULL);
}

/// Baseline JPEG at `quality` with optimised Huffman tables, every metadata block stripped.
static inline int tutti_vips_jpegsave_stripped(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_jpegsave_buffer(in, buffer, length, "Q", quality, "strip", TRUE, "optimize_coding", TRUE, NULL);
}

/// Lossy WebP at `quality`, every metadata block stripped.
static inline int tutti_vips_webpsave_stripped(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_webpsave_buffer(in, buffer, length, "Q", quality, "strip", TRUE, NULL);
}

// For tests and fixtures: save with metadata kept, and read pixels back.

static inline int tutti_vips_jpegsave_keep(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_jpegsave_buffer(in, buffer, length, "Q", quality, NULL);
}
static inline int tutti_vips_pngsave_keep(VipsImage *in, void **buffer, size_t *length) {
    return vips_pngsave_buffer(in, buffer, length, NULL);
}
static inline int tutti_vips_webpsave_keep(VipsImage *in, void **buffer, size_t *length, int quality) {
    return vips_webpsave_buffer(in, buffer, length, "Q", quality, NULL);
}
static inline VipsImage *tutti_vips_image_from_buffer(const void *buffer, size_t length) {
    return vips_image_new_from_buffer(buffer, length, "", NULL);
}
static inline int tutti_vips_getpoint(VipsImage *in, double **vector, int *count, int x, int y) {
    return vips_getpoint(in, vector, count, x, y, NULL);
}

#endif
