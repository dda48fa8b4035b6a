package io.carpathia.engine.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.ops.LinearAlgebra;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Training steps in scopes keep native memory flat: each step below makes about 50 MB of activations, gradients
 * and temporaries, so without the pool 30 steps would leave over a gigabyte of native garbage for the (rarely
 * running) garbage collector; with it, the process's resident memory must stay within a few tens of MB.
 */
class NativeMemoryTest {

    @Test
    void stepsAtSteadyStateAllocateNothingAndResidentMemoryStaysFlat() {
        Random rng = new Random(0);
        Tensor w1 = Tensor.randn(rng, 256, 1024).mul(0.05).detach().copy().requiresGrad(true);
        Tensor w2 = Tensor.randn(rng, 1024, 256).mul(0.05).detach().copy().requiresGrad(true);
        Tensor gamma = Tensor.ones(256).requiresGrad(true);
        Tensor beta = Tensor.zeros(256).requiresGrad(true);
        Tensor x = Tensor.randn(rng, 8, 128, 256);
        for (int i = 0; i < 5; i++) step(x, w1, w2, gamma, beta);
        long fresh = ArrayPool.freshAllocations();
        long rss = Pointer.physicalBytes();
        for (int i = 0; i < 30; i++) step(x, w1, w2, gamma, beta);
        long growth = Pointer.physicalBytes() - rss;
        assertEquals(fresh, ArrayPool.freshAllocations(), "steady-state steps allocated fresh arrays");
        assertTrue(growth < 64L << 20, "resident memory grew by " + (growth >> 20) + " MB over 30 steps");
    }

    private static void step(Tensor x, Tensor w1, Tensor w2, Tensor gamma, Tensor beta) {
        try (var scope = Scope.open()) {
            // x: [8, 128, 256] -> [8, 128, 1024] -> [8, 128, 256], a residual MLP block
            Tensor h = LinearAlgebra.affine(x.layerNorm(gamma, beta, 1e-5), w1, null).geluTanh();
            Tensor y = x.add(LinearAlgebra.affine(h, w2, null));
            y.mul(y).mean().backward();
            for (Tensor p : new Tensor[] {w1, w2, gamma, beta}) p.zeroGrad();
        }
    }
}
