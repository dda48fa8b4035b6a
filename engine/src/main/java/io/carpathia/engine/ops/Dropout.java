package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Node;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import java.util.Random;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Inverted dropout with a seeded generator, so a run with the same seed drops the same elements. */
public final class Dropout {
    private Dropout() {}

    /**
     * Zeroes each element with probability p and scales the rest by 1/(1-p), so the expected value is unchanged and
     * evaluation needs no rescaling. Returns x itself (no copy, no graph node) when !training or p == 0.
     *
     * <p>One draw from {@code rng} seeds the generator of this call's mask: the same rng state gives the same mask,
     * and successive calls get different ones.
     */
    public static Tensor dropout(Tensor x, double p, boolean training, Random rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1), got " + p);
        }
        if (!training || p == 0) return x;
        DataType dt = x.dtype();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException("dropout: x must be a FLOAT or DOUBLE tensor, got " + dt + " of shape "
                    + Shapes.str(x.shape()));
        }
        long[] shape = x.shape();
        double keptScale = 1 / (1 - p);
        // mask: 0 for a dropped element, 1/(1-p) for a kept one; the forward and the backward multiply by it.
        // SplittableRandom draws in a few ns without java.util.Random's atomic update per number.
        INDArray mask = Autograd.temp(dt, shape);
        SplittableRandom bits = new SplittableRandom(rng.nextLong());
        Native.View vm = Native.view(mask);
        double[] buf = new double[(int) Math.min(Chunks.CHUNK, Math.max(1, vm.length))];
        for (long s = 0; s < vm.length; s += buf.length) {
            int n = (int) Math.min(buf.length, vm.length - s);
            for (int i = 0; i < n; i++) buf[i] = bits.nextDouble() < p ? 0 : keptScale;
            vm.store(buf, 0, n, s);
        }
        Tensor out = Autograd.result(dt, shape);
        Chunks.zip(x.value(), mask, out.value(), (v, m, n) -> {
            for (int i = 0; i < n; i++) v[i] *= m[i];
        });
        Node node = Autograd.record(out, "dropout", g -> {
            // d out / d x = the mask
            INDArray gx = Autograd.temp(g.dataType(), shape);
            Chunks.zip(g, mask, gx, (gg, m, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= m[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        Autograd.saveOrRelease(node, mask);
        return out;
    }
}
