#ifndef TUTTI_CSNDFILE_SHIM_H
#define TUTTI_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif
