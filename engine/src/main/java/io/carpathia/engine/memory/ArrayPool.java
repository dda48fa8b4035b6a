package io.carpathia.engine.memory;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reuses native arrays. A fresh ND4J array costs 15-20 µs of bookkeeping, and its pages cost about 12 µs per 4 KiB on
 * first touch on these machines, so the engine takes every output and temporary from here and gives them back when
 * a {@link Scope} closes or an op's backward no longer needs them. A training step at steady state then allocates no
 * fresh native memory: {@link #freshAllocations()} stays flat (a test checks this).
 *
 * <p>Arrays are kept by dtype and exact shape (a reshape would cost as much as the allocation it avoids); steady
 * state training asks for the same shapes every step. The pool keeps at most {@link #capacityBytes()} bytes; what a
 * full pool is given back is left to the garbage collector. Thread-safe.
 */
public final class ArrayPool {
    private ArrayPool() {}

    private record Key(DataType dtype, long[] shape) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.dtype == dtype && Arrays.equals(k.shape, shape);
        }

        @Override
        public int hashCode() {
            return dtype.hashCode() * 31 + Arrays.hashCode(shape);
        }
    }

    private static final Map<Key, ArrayDeque<INDArray>> FREE = new HashMap<>();
    private static long pooledBytes;
    private static long capacityBytes = Long.getLong("carpathia.pool.bytes", 4L << 30);
    private static long fresh;
    private static long reused;

    /** An array of this dtype and shape (C order) with undefined contents. */
    public static INDArray acquire(DataType dtype, long... shape) {
        synchronized (FREE) {
            ArrayDeque<INDArray> q = FREE.get(new Key(dtype, shape));
            if (q != null && !q.isEmpty()) {
                INDArray a = q.pop();
                pooledBytes -= bytes(a);
                reused++;
                return a;
            }
            fresh++;
        }
        return Nd4j.createUninitialized(dtype, shape.clone());
    }

    /**
     * Gives an array back. It must have come from {@link #acquire}, and nobody may use it afterwards: the next
     * acquire of the same shape hands it out again.
     */
    public static void release(INDArray a) {
        if (a == null) return;
        long b = bytes(a);
        synchronized (FREE) {
            if (pooledBytes + b > capacityBytes) return; // full: the garbage collector frees it
            FREE.computeIfAbsent(new Key(a.dataType(), a.shape()), k -> new ArrayDeque<>()).push(a);
            pooledBytes += b;
        }
    }

    /** How many arrays the pool could not serve from its free lists since the process started. */
    public static long freshAllocations() {
        synchronized (FREE) {
            return fresh;
        }
    }

    /** How many requests were served by reusing an array. */
    public static long reuses() {
        synchronized (FREE) {
            return reused;
        }
    }

    public static long pooledBytes() {
        synchronized (FREE) {
            return pooledBytes;
        }
    }

    public static long capacityBytes() {
        return capacityBytes;
    }

    public static void setCapacityBytes(long bytes) {
        synchronized (FREE) {
            capacityBytes = bytes;
        }
    }

    /** Drops every free array (the garbage collector then frees them). */
    public static void clear() {
        synchronized (FREE) {
            FREE.clear();
            pooledBytes = 0;
        }
    }

    private static long bytes(INDArray a) {
        return a.length() * a.dataType().width();
    }
}
