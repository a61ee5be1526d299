// CBLAS shim: OpenBLAS's CBLAS interface, plus the few LAPACK routines (which OpenBLAS also
// exports) that ringtrain calls. pkg-config openblas supplies the include path.
#ifndef RINGTRAIN_CBLAS_SHIM_H
#define RINGTRAIN_CBLAS_SHIM_H
#include <cblas.h>

/// LAPACK Cholesky factorisation of a symmetric positive-definite matrix (column-major).
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
/// LAPACK solve with a Cholesky factor from dpotrf_.
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
/// LAPACK inverse of a symmetric positive-definite matrix from its Cholesky factor.
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
#endif
