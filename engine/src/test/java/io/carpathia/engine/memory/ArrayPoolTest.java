package io.carpathia.engine.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The pool's two ways of finding memory: by exact shape, and by size class for shapes that change. */
class ArrayPoolTest {

    @Property
    void aSizeClassHoldsItsSizeWithAtMostAFifthUnused(@ForAll @LongRange(min = 0, max = 1L << 40) long n) {
        long c = ArrayPool.sizeClass(n);
        assertTrue(c >= n, "class " + c + " below " + n);
        if (n < 4096) {
            assertEquals(n, c);
        } else {
            assertTrue(c - n <= c / 5, "class " + c + " wastes more than a fifth of " + n);
            assertEquals(c, ArrayPool.sizeClass(c), "a class's capacity is its own class");
            long top = Long.highestOneBit(c);
            assertEquals(0, (c - top) % (top / 4), c + " is not 2^k·(1, 1.25, 1.5, 1.75)");
        }
    }

    @Test
    void theSameShapeGetsTheSameArrayBack() {
        INDArray a = ArrayPool.acquire(DataType.FLOAT, 3, 5);
        ArrayPool.release(a);
        assertSame(a, ArrayPool.acquire(DataType.FLOAT, 3, 5));
    }

    @Test
    void anotherShapeOfTheSameSizeClassReusesTheMemory() {
        // 3 × 5000 = 15,000 and 4 × 3700 = 14,800 floats share the class 16,384
        INDArray a = ArrayPool.acquire(DataType.FLOAT, 3, 5000);
        long address = a.data().address();
        ArrayPool.release(a);
        long fresh = ArrayPool.freshAllocations();
        long reshaped = ArrayPool.reshapedReuses();
        INDArray b = ArrayPool.acquire(DataType.FLOAT, 4, 3700);
        assertEquals(fresh, ArrayPool.freshAllocations());
        assertEquals(reshaped + 1, ArrayPool.reshapedReuses());
        assertEquals(address, b.data().address());
        assertArrayEquals(new long[] {4, 3700}, b.shape());
        assertTrue(Native.isDense(b));
        // it behaves as any array of its shape: written and read through the engine
        Native.fill(b, 2.5);
        assertEquals(2.5 * 4 * 3700, Tensor.of(b).sum().item(), 1e-6);
        // a float64 request of the same size class does not get float32 memory
        ArrayPool.release(b);
        INDArray d = ArrayPool.acquire(DataType.DOUBLE, 4, 3700);
        assertNotSame(address, d.data().address());
        assertEquals(DataType.DOUBLE, d.dataType());
    }

    @Test
    void batchesOfNewLengthsFindTheMemoryOfNearbyOnes() {
        // padded batches [8, T, 384]: after the even lengths 16..126, the odd ones — shapes never asked for before —
        // allocate nothing: each shares a size class with an even neighbour (classes are at least 8,192 wide here,
        // neighbours 3,072 elements apart)
        Random r = new Random(3);
        for (int parity = 0; parity < 2; parity++) {
            long before = ArrayPool.freshAllocations();
            for (long t = 16 + parity; t < 128; t += 2) {
                try (var scope = Scope.open()) {
                    Tensor x = Tensor.randn(r, 8, t, 384).requiresGrad(true);
                    x.mul(x).add(1).softmax(-1).sum().backward();
                    x.zeroGrad();
                }
            }
            if (parity == 1) {
                assertEquals(before, ArrayPool.freshAllocations(), "new lengths allocated fresh arrays");
            }
        }
    }
}
