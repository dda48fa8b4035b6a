package io.carpathia.engine.device;

import io.carpathia.kernels.GemmPrecision;
import java.util.Locale;

/**
 * How a GPU device multiplies float32 matrices: PyTorch's {@code torch.set_float32_matmul_precision}, with its
 * names. The CPU always multiplies in float32 (OpenBLAS), whatever is set.
 *
 * <p>With {@link #HIGH}, products run on the tensor cores with their inputs rounded to TF32 (float32's range, 10
 * mantissa bits instead of 23) and float32 accumulation, as PyTorch does on Ampere and Hopper GPUs under "high": a
 * product's relative error grows from about 1e-7 to about 1e-3 of |A|·|B|, which training tolerates. PyTorch's
 * "medium" (bfloat16 inputs) is not offered: the engine's arrays are float32, and the kernels' bfloat16 products take
 * their inputs as bfloat16 already.
 */
public enum MatmulPrecision {
    /** float32 products on the CUDA cores (the default, as in PyTorch). */
    HIGHEST(GemmPrecision.FP32),
    /** TF32 products on the tensor cores, float32 accumulation. */
    HIGH(GemmPrecision.TF32);

    private final GemmPrecision kernels;

    MatmulPrecision(GemmPrecision kernels) {
        this.kernels = kernels;
    }

    /** The precision the GPU kernels are asked for. */
    GemmPrecision kernels() {
        return kernels;
    }

    /** The name PyTorch uses: "highest" or "high". */
    public String pytorchName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The precision PyTorch's name stands for.
     *
     * @throws IllegalArgumentException for any other name, "medium" included, saying which names are offered
     */
    public static MatmulPrecision parse(String name) {
        for (MatmulPrecision p : values()) {
            if (p.pytorchName().equals(name)) return p;
        }
        String why = name.equals("medium")
                ? " (PyTorch's \"medium\", bfloat16 products, is not offered: the engine's arrays are float32)"
                : "";
        throw new IllegalArgumentException("matmul precision '" + name + "' is not one of highest, high" + why);
    }
}
