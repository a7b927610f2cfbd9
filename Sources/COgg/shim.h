#ifndef TUTTI_COGG_SHIM_H
#define TUTTI_COGG_SHIM_H
#include <ogg/ogg.h>
#endif
