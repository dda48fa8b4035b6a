package io.carpathia.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class AutogradTest {

    @Test
    void gradientsAccumulateOverAllPaths() {
        // y = x·x + 3x  ->  dy/dx = 2x + 3
        Tensor x = Tensor.scalar(2).requiresGrad(true);
        Tensor y = x.mul(x).add(x.mul(3));
        y.backward();
        assertEquals(7, Tensor.of(x.grad()).item(), 1e-6);
        // a second graph adds to the gradient until zeroGrad
        x.mul(x).backward();
        assertEquals(11, Tensor.of(x.grad()).item(), 1e-6);
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void backwardTwiceThroughAFreedGraphIsAClearError() {
        Tensor x = Tensor.scalar(2).requiresGrad(true);
        Tensor y = x.mul(x);
        y.backward();
        AutogradException e = assertThrows(AutogradException.class, y::backward);
        assertTrue(e.getMessage().contains("'mul' a second time"), e.getMessage());
    }

    @Test
    void retainedGraphCanBeDifferentiatedAgain() {
        Tensor x = Tensor.scalar(3).requiresGrad(true);
        Tensor y = x.mul(x);
        y.backward(true);
        y.backward();
        assertEquals(12, Tensor.of(x.grad()).item(), 1e-6);
    }

    @Test
    void backwardOnATensorThatNeedsNoGradIsAClearError() {
        Tensor x = Tensor.scalar(3);
        AutogradException e = assertThrows(AutogradException.class, () -> x.mul(x).backward());
        assertTrue(e.getMessage().contains("does not require grad"), e.getMessage());
    }

    @Test
    void gradModeOffRecordsNothing() {
        Tensor x = Tensor.scalar(3).requiresGrad(true);
        Tensor y;
        try (var off = GradMode.off()) {
            y = x.mul(x);
        }
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertTrue(x.mul(x).requiresGrad());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.scalar(3).requiresGrad(true);
        Tensor y = x.mul(x).detach().mul(x);   // d/dx (c · x) with c = 9
        y.backward();
        assertEquals(9, Tensor.of(x.grad()).item(), 1e-6);
    }

    @Test
    void nonScalarBackwardNeedsAGradient() {
        Tensor x = Tensor.ones(2, 2).requiresGrad(true);
        Tensor y = x.mul(2);
        assertThrows(AutogradException.class, y::backward);
        y.backward(Tensor.of(new double[] {1, 2, 3, 4}, 2, 2));
        assertArrayEquals(new double[] {2, 4, 6, 8}, Tensor.of(x.grad()).toDoubleArray(), 1e-6);
    }

    @Test
    void theGivenGradientIsReadNotTakenOver() {
        // backward(g) hands g's own array to the ops (no copy): it must come out unchanged, never go to the pool,
        // and serve again
        Tensor a = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                .requiresGrad(true);
        Tensor b = Tensor.of(new double[] {5, 6, 7, 8}, 2, 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)
                .requiresGrad(true);
        Tensor g = Tensor.of(new double[] {1, -1, 2, -2}, 2, 2).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        for (int round = 1; round <= 2; round++) {
            Tensor y = a.add(b).mul(a);                          // dy/da = 2a + b, dy/db = a
            y.backward(g);
            assertNull(y.grad());
            assertArrayEquals(new double[] {1, -1, 2, -2}, g.toDoubleArray(), 0);
        }
        assertArrayEquals(new double[] {2 * 7, -2 * 10, 2 * 2 * 13, -2 * 2 * 16}, Tensor.of(a.grad()).toDoubleArray());
        assertArrayEquals(new double[] {2, -4, 12, -16}, Tensor.of(b.grad()).toDoubleArray());
        // a pooled array of g's shape is never g's own
        INDArray fresh = ArrayPool.acquire(g.dtype(), g.shape());
        assertFalse(fresh == g.value());
        ArrayPool.release(fresh);
    }

    @Test
    void retainGradKeepsAnIntermediateGradient() {
        Tensor x = Tensor.scalar(2).requiresGrad(true);
        Tensor h = x.mul(3).retainGrad();
        h.mul(h).backward();
        assertEquals(12, Tensor.of(h.grad()).item(), 1e-6);   // d(h²)/dh = 2h = 12
        assertEquals(36, Tensor.of(x.grad()).item(), 1e-6);
    }

    @Test
    void aClosedScopeReleasesItsTensorsAndSaysSo() {
        Tensor x = Tensor.scalar(2).requiresGrad(true);
        Tensor y;
        Tensor kept;
        try (var scope = Scope.open()) {
            y = x.mul(x);
            kept = scope.keep(x.mul(5));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, y::item);
        assertTrue(e.getMessage().contains("released when its Scope closed") && e.getMessage().contains("mul"), e.getMessage());
        assertEquals(10, kept.item(), 1e-6);
        assertEquals(2, x.item(), 1e-6);   // leaves are never owned by a scope
    }

    @Test
    void stepsInAScopeReuseThePool() {
        Tensor w = Tensor.ones(64, 64).requiresGrad(true);
        Tensor in = Tensor.ones(8, 64);
        for (int i = 0; i < 3; i++) step(w, in);
        long fresh = ArrayPool.freshAllocations();
        for (int i = 0; i < 20; i++) step(w, in);
        assertEquals(fresh, ArrayPool.freshAllocations(), "a steady-state step allocated fresh arrays");
    }

    private static void step(Tensor w, Tensor in) {
        try (var scope = Scope.open()) {
            in.matmul(w).tanh().mul(in.matmul(w)).sum().backward();
            w.zeroGrad();
        }
    }
}
