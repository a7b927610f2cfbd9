#ifndef TUTTI_COPUS_SHIM_H
#define TUTTI_COPUS_SHIM_H
#include <opus/opus.h>

// opus_encoder_ctl is variadic and its request macros are expressions, so Swift
// imports neither: one inline wrapper per request Tutti uses.
static inline int tutti_opus_set_bitrate(OpusEncoder *enc, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bitsPerSecond));
}
static inline int tutti_opus_set_complexity(OpusEncoder *enc, opus_int32 complexity) {
    return opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(complexity));
}
static inline int tutti_opus_set_vbr(OpusEncoder *enc, opus_int32 enabled) {
    return opus_encoder_ctl(enc, OPUS_SET_VBR(enabled));
}
static inline int tutti_opus_set_vbr_constraint(OpusEncoder *enc, opus_int32 constrained) {
    return opus_encoder_ctl(enc, OPUS_SET_VBR_CONSTRAINT(constrained));
}
static inline int tutti_opus_set_signal_music(OpusEncoder *enc) {
    return opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
}
static inline int tutti_opus_get_lookahead(OpusEncoder *enc, opus_int32 *samples) {
    return opus_encoder_ctl(enc, OPUS_GET_LOOKAHEAD(samples));
}
static inline int tutti_opus_get_final_range(OpusEncoder *enc, opus_uint32 *range) {
    return opus_encoder_ctl(enc, OPUS_GET_FINAL_RANGE(range));
}
#endif
