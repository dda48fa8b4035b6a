/** CUDA kernels (matmul, NF4 dequantization) and the JavaCPP-built JNI library that loads them. */
package io.carpathia.kernels;
