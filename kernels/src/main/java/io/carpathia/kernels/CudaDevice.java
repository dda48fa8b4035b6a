package io.carpathia.kernels;

/**
 * The GPU a {@link CudaContext} runs on.
 *
 * @param driverVersion the driver's CUDA version as the driver API reports it (13000 = CUDA 13.0)
 */
public record CudaDevice(int ordinal, String name, int computeMajor, int computeMinor, int multiprocessors,
                         long totalMemoryBytes, int driverVersion) {

    /** "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB, driver CUDA 13.0)". */
    public String describe() {
        return String.format("%s (sm_%d%d, %d SMs, %.1f GiB, driver CUDA %d.%d)", name, computeMajor, computeMinor,
                multiprocessors, totalMemoryBytes / (1024.0 * 1024 * 1024), driverVersion / 1000,
                driverVersion % 1000 / 10);
    }
}
