package io.carpathia.engine.memory;

import io.carpathia.engine.Shapes;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reuses native arrays. A fresh ND4J array costs 15-50 µs of bookkeeping, and its pages cost about 12 µs per 4 KiB on
 * first touch on these machines, so the engine takes every output and temporary from here and gives them back when
 * a {@link Scope} closes or an op's backward no longer needs them. A training step at steady state then allocates no
 * fresh native memory: {@link #freshAllocations()} stays flat (a test checks this).
 *
 * <p>Two ways to find a free array:
 * <ol>
 *   <li>By dtype and exact shape: the array is handed out as it is. Training asks for the same shapes every step,
 *       so this serves nearly every request.
 *   <li>By dtype and capacity, when no array of the exact shape is free: the memory of a free array of the same
 *       size class is given the new shape (an ND4J view, 10–20 µs, against 50 µs and fresh pages for a new array).
 *       This serves what changes shape from call to call: the last, shorter batch of an epoch, padded batches of
 *       varying length, a key/value cache that grows by a token.
 * </ol>
 * Arrays of 4,096 elements or more are allocated with their size class's capacity — the next of 2^k, 1.25·2^k,
 * 1.5·2^k, 1.75·2^k — so that shapes of nearby sizes share memory; at most a fifth of each is unused. The pool keeps
 * at most {@link #capacityBytes()} bytes ({@code -Dcarpathia.pool.bytes}, by default half the physical memory); what
 * a full pool is given back is left to the garbage collector.
 * Thread-safe.
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

    private record SizeKey(DataType dtype, long capacity) {}

    /** A free array, listed both under its shape and under its capacity; taken through whichever finds it first. */
    private static final class Entry {
        final INDArray array;
        final FreeList byShape;
        final FreeList bySize;
        boolean taken;

        Entry(INDArray array, FreeList byShape, FreeList bySize) {
            this.array = array;
            this.byShape = byShape;
            this.bySize = bySize;
        }

        INDArray take() {
            taken = true;
            byShape.live--;
            if (bySize != null) bySize.live--;
            return array;
        }
    }

    /** Entries, newest first; those taken through the other list are skipped, and swept out as they pile up. */
    private static final class FreeList {
        final ArrayDeque<Entry> entries = new ArrayDeque<>();
        int live;

        void push(Entry e) {
            entries.push(e);
            live++;
            if (entries.size() > 2 * live + 16) entries.removeIf(x -> x.taken);
        }

        Entry pop() {
            while (!entries.isEmpty()) {
                Entry e = entries.pop();
                if (!e.taken) return e;
            }
            return null;
        }
    }

    /** Below this many elements an array is allocated at its exact size. */
    private static final long CLASS_FROM = 4096;

    private static final Object FREE_LOCK = new Object();
    private static final Map<Key, FreeList> BY_SHAPE = new HashMap<>();
    private static final Map<SizeKey, FreeList> BY_SIZE = new HashMap<>();
    private static long pooledBytes;
    private static long capacityBytes = Long.getLong("carpathia.pool.bytes", defaultCapacity());
    private static long fresh;
    private static long reused;
    private static long reshaped;

    /** An array of this dtype and shape (C order) with undefined contents. */
    public static INDArray acquire(DataType dtype, long... shape) {
        long n = Shapes.numel(shape);
        long capacity = sizeClass(n);
        INDArray memory;
        synchronized (FREE_LOCK) {
            FreeList exact = BY_SHAPE.get(new Key(dtype, shape));
            Entry e = exact == null ? null : exact.pop();
            if (e != null) {
                reused++;
                pooledBytes -= bytes(e.array);
                return e.take();
            }
            FreeList sized = BY_SIZE.get(new SizeKey(dtype, capacity));
            e = sized == null ? null : sized.pop();
            if (e != null) {
                reshaped++;
                pooledBytes -= bytes(e.array);
                memory = e.take();
            } else {
                fresh++;
                memory = null;
            }
        }
        if (memory == null) {
            if (capacity == n) return Nd4j.createUninitialized(dtype, shape.clone());
            memory = Nd4j.createUninitialized(dtype, capacity);
        }
        return Nd4j.create(memory.data(), shape.clone(), Shapes.strides(shape), 0, 'c');
    }

    /**
     * Gives an array back. It must have come from {@link #acquire}, and nobody may use it afterwards: the next
     * acquire of the same shape (or size) hands it out again.
     */
    public static void release(INDArray a) {
        if (a == null) return;
        long b = bytes(a);
        // only an array that starts its own buffer may lend that buffer to another shape
        boolean lendable = a.offset() == 0 && a.ordering() == 'c';
        long capacity = a.data().length();
        synchronized (FREE_LOCK) {
            if (pooledBytes + b > capacityBytes) return; // full: the garbage collector frees it
            FreeList byShape = BY_SHAPE.computeIfAbsent(new Key(a.dataType(), a.shape()), k -> new FreeList());
            FreeList bySize = lendable && capacity == sizeClass(capacity)
                    ? BY_SIZE.computeIfAbsent(new SizeKey(a.dataType(), capacity), k -> new FreeList())
                    : null;
            Entry e = new Entry(a, byShape, bySize);
            byShape.push(e);
            if (bySize != null) bySize.push(e);
            pooledBytes += b;
        }
    }

    /**
     * Half the machine's physical memory, at least 1 GiB (4 GiB where the JVM cannot tell). The pool holds only
     * what the process has already used at its peak; a cap that is too small costs far more than the memory: a
     * fine-tuning step whose arrays outgrow it allocates fresh memory every step, and what the pool drops waits for
     * a garbage collection that the small Java heap rarely triggers (BERT at 32 × 256 tokens: 15 s per step and 16
     * GB resident with 4 GiB, 4 s and 7 GB with 12).
     */
    private static long defaultCapacity() {
        try {
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getTotalMemorySize() > 0) {
                return Math.max(1L << 30, sun.getTotalMemorySize() / 2);
            }
        } catch (RuntimeException | LinkageError e) {
            // no jdk.management module: keep the fixed default
        }
        return 4L << 30;
    }

    /**
     * The capacity an array of {@code n} elements is allocated with: n itself below 4,096, else the next size of the
     * form 2^k · (1, 1.25, 1.5 or 1.75) at or above n.
     */
    static long sizeClass(long n) {
        if (n < CLASS_FROM) return n;
        long top = Long.highestOneBit(n);           // 2^k ≤ n < 2^(k+1)
        long quarter = top >> 2;
        return top + ((n - top + quarter - 1) / quarter) * quarter;
    }

    /** How many arrays the pool could not serve from its free lists since the process started. */
    public static long freshAllocations() {
        synchronized (FREE_LOCK) {
            return fresh;
        }
    }

    /** How many requests were served by reusing an array (of the same shape, or another shape's memory). */
    public static long reuses() {
        synchronized (FREE_LOCK) {
            return reused + reshaped;
        }
    }

    /** How many of the reuses gave another shape's memory a new shape. */
    public static long reshapedReuses() {
        synchronized (FREE_LOCK) {
            return reshaped;
        }
    }

    public static long pooledBytes() {
        synchronized (FREE_LOCK) {
            return pooledBytes;
        }
    }

    public static long capacityBytes() {
        return capacityBytes;
    }

    public static void setCapacityBytes(long bytes) {
        synchronized (FREE_LOCK) {
            capacityBytes = bytes;
        }
    }

    /** Drops every free array (the garbage collector then frees them). */
    public static void clear() {
        synchronized (FREE_LOCK) {
            BY_SHAPE.clear();
            BY_SIZE.clear();
            pooledBytes = 0;
        }
    }

    /** The bytes an array holds on to: its whole buffer (a size class's capacity may exceed its length). */
    private static long bytes(INDArray a) {
        return a.data().length() * a.dataType().width();
    }
}
