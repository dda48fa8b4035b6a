package io.carpathia.models.cli;

import io.carpathia.engine.device.Device;
import io.carpathia.engine.device.MatmulPrecision;
import io.carpathia.kernels.CudaException;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|cuda|cuda:N} and {@code --matmul-precision highest|high} for the commands that compute. On a
 * GPU the matrix products (forward and backward) run on the kernels module's CUDA kernels, in float32 or, with
 * {@code high}, in TF32 on the tensor cores; everything else stays on the CPU. A GPU that cannot be used is a user
 * error carrying the reason, e.g. "--device cuda: CUDA is not available: libcuda.so.1: cannot open shared object
 * file: No such file or directory (is an NVIDIA driver installed?)".
 */
final class DeviceOption {
    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "cpu, cuda (the default GPU) or cuda:N: where matrix products run. Default: ${DEFAULT-VALUE}")
    String spec;

    @Option(names = "--matmul-precision", defaultValue = "highest", paramLabel = "PRECISION",
            description = "highest (float32) or high (TF32 on the tensor cores): how a GPU multiplies, as PyTorch's "
                    + "torch.set_float32_matmul_precision. The CPU always multiplies in float32. "
                    + "Default: ${DEFAULT-VALUE}")
    String precision;

    /**
     * For a command's header line: "" on the CPU, else ", matrix products on " and the current GPU, with " in TF32"
     * under {@link MatmulPrecision#HIGH}.
     */
    static String whereProductsRun() {
        Device device = Device.current();
        if (!device.isCuda()) return "";
        String tf32 = Device.float32MatmulPrecision() == MatmulPrecision.HIGH ? " in TF32" : "";
        return ", matrix products on " + device.describe() + tf32;
    }

    /** The device asked for, opened, with the matmul precision set; a {@link UserError} when it cannot be used. */
    Device open() {
        try {
            Device.setFloat32MatmulPrecision(MatmulPrecision.parse(precision));
        } catch (IllegalArgumentException e) {
            throw new UserError("--matmul-precision: " + e.getMessage());
        }
        try {
            return Device.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new UserError("--device: " + e.getMessage());
        } catch (CudaException e) {
            throw new UserError("--device " + spec + ": " + e.getMessage(), e);
        }
    }
}
