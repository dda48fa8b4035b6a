// The one translation unit nvcc compiles into carpathia_kernels.fatbin: every kernel the Java side launches
// (io.carpathia.kernels.KernelNames lists their names).
#include "sgemm.cuh"
#include "gemm_tensorcore.cuh"
#include "nf4.cuh"
#include "gemm_wgmma.cuh"
