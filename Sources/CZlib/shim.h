// CZlib shim: zlib, used to read gzipped IDX dataset files.
#ifndef RINGTRAIN_CZLIB_SHIM_H
#define RINGTRAIN_CZLIB_SHIM_H
#include <zlib.h>
#endif
