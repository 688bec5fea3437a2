// OpenBLAS's CBLAS interface: a reference for kernel tests and benchmarks only.
#include <cblas-openblas.h>
