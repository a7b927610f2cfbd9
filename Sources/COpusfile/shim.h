#ifndef TUTTI_COPUSFILE_SHIM_H
#define TUTTI_COPUSFILE_SHIM_H
// libopusfile is the reference reader of RFC 7845 streams. Tutti's tests decode
// its own output with it, so the muxer is checked by code it did not write.
#include <opus/opusfile.h>
#endif
