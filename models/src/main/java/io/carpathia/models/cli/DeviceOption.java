package io.carpathia.models.cli;

import io.carpathia.engine.device.Device;
import io.carpathia.kernels.CudaException;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|cuda|cuda:N} for the commands that compute. On a GPU the matrix products (forward and backward)
 * run on the kernels module's CUDA kernels; everything else stays on the CPU. A GPU that cannot be used is a user
 * error carrying the reason, e.g. "--device cuda: CUDA is not available: libcuda.so.1: cannot open shared object
 * file: No such file or directory (is an NVIDIA driver installed?)".
 */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "cpu, cuda (the default GPU) or cuda:N: where matrix products run. Default: ${DEFAULT-VALUE}")
    String spec;

    /** The device asked for, opened; a {@link UserError} when it cannot be used. */
    Device open() {
        try {
            return Device.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new UserError("--device: " + e.getMessage());
        } catch (CudaException e) {
            throw new UserError("--device " + spec + ": " + e.getMessage(), e);
        }
    }
}
