package io.carpathia.engine.optim;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.cpu.Parallel;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one pass an optimizer makes over a parameter: chunks of the parameter, its gradient and up to two state
 * buffers are loaded into per-thread {@code double[]} scratch, the update rule runs on those plain arrays, and the
 * parameter and state chunks are stored back in place. One read and one write of each array per step, no
 * temporaries, float32 and float64 alike (float32 is widened to double for the arithmetic).
 */
final class UpdateLoop {
    private UpdateLoop() {}

    /** An update rule over one chunk: p, a and b are written back; g is read only. */
    @FunctionalInterface
    interface Rule {
        void apply(double[] p, double[] g, double[] a, double[] b, int n);
    }

    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[][] {
        new double[Chunks.CHUNK], new double[Chunks.CHUNK], new double[Chunks.CHUNK], new double[Chunks.CHUNK]});

    /** Runs {@code rule} over {@code param} in place; {@code a} and {@code b} (state buffers) may be null. */
    static void run(INDArray param, INDArray grad, INDArray a, INDArray b, Rule rule) {
        check("gradient", param, grad);
        if (a != null) check("state", param, a);
        if (b != null) check("state", param, b);
        Native.View vp = Native.view(param);
        Native.View vg = Native.view(grad);
        Native.View va = a == null ? null : Native.view(a);
        Native.View vb = b == null ? null : Native.view(b);
        Parallel.forRange(vp.length, Chunks.GRAIN, (from, to) -> {
            double[][] s = SCRATCH.get();
            double[] p = s[0];
            double[] g = s[1];
            double[] sa = s[2];
            double[] sb = s[3];
            for (long start = from; start < to; start += Chunks.CHUNK) {
                int n = (int) Math.min(Chunks.CHUNK, to - start);
                vp.load(start, n, p, 0);
                vg.load(start, n, g, 0);
                if (va != null) va.load(start, n, sa, 0);
                if (vb != null) vb.load(start, n, sb, 0);
                rule.apply(p, g, sa, sb, n);
                vp.store(p, 0, n, start);
                if (va != null) va.store(sa, 0, n, start);
                if (vb != null) vb.store(sb, 0, n, start);
            }
        });
    }

    private static void check(String what, INDArray param, INDArray other) {
        if (other.length() != param.length()) {
            throw new IllegalStateException("optimizer: " + what + " of shape " + Shapes.str(other.shape())
                    + " for a parameter of shape " + Shapes.str(param.shape()));
        }
    }
}
