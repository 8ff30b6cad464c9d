#pragma once
// Marks functions compiled for both the CPU and the GPU: the same source on both sides is how
// the CPU and CUDA backends do the same arithmetic.
#ifdef __CUDACC__
#define VOXTWIN_HD __host__ __device__
#else
#define VOXTWIN_HD
#endif
