package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import io.carpathia.engine.cpu.Rows;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Gradient clipping by global norm, as PyTorch's {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Computes the L2 norm of all gradients together, ‖(g₁, g₂, ...)‖₂, and when it exceeds {@code maxNorm} scales
     * every gradient in place by maxNorm / (norm + 1e-6) — PyTorch's coefficient, applied when it is below 1.
     * Parameters without a gradient are skipped.
     *
     * <p>A non-finite norm (an overflow or NaN in some gradient) is returned as it is and the gradients are left
     * untouched, so the caller can skip the step; PyTorch would multiply every gradient by NaN.
     *
     * @return the total norm before clipping
     */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm) {
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
        double sumOfSquares = 0;
        for (Tensor p : params) {
            if (p.grad() != null) sumOfSquares += sumOfSquares(p.grad());
        }
        double total = Math.sqrt(sumOfSquares);
        if (!Double.isFinite(total)) return total;
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            for (Tensor p : params) {
                if (p.grad() == null) continue;
                Chunks.map(p.grad(), p.grad(), (g, n) -> {
                    for (int i = 0; i < n; i++) g[i] *= coef;
                });
            }
        }
        return total;
    }

    /** Σ g², in double, summed over contiguous pieces in a fixed order so the result does not depend on timing. */
    static double sumOfSquares(INDArray grad) {
        Native.View v = Native.view(grad);
        long pieces = (v.length + Chunks.CHUNK - 1) / Chunks.CHUNK;
        double[] partials = new double[(int) pieces];
        Parallel.forRange(pieces, Chunks.GRAIN / Chunks.CHUNK, (first, end) -> {
            double[] buf = Chunks.scratch(Chunks.CHUNK);
            for (long c = first; c < end; c++) {
                long from = c * Chunks.CHUNK;
                int n = (int) Math.min(Chunks.CHUNK, v.length - from);
                v.load(from, n, buf, 0);
                partials[(int) c] = Rows.dot(buf, buf, n);
            }
        });
        return Rows.sum(partials, partials.length);
    }
}
