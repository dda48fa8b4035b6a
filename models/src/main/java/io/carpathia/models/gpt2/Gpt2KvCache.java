package io.carpathia.models.gpt2;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.weights.hf.Gpt2Config;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The keys and values of every layer for the tokens seen so far (batch 1), so generation feeds only the new tokens
 * through the model. Per layer the keys and the values each live in one preallocated array [1, n_head, capacity,
 * head_size], of which the first {@link #length()} rows per head are filled: appending writes the new rows in place,
 * and attention reads them where they lie ({@link io.carpathia.engine.ops.Attention#cachedAttention}), so a step
 * costs neither a copy of the cache nor a new array.
 *
 * <p>The capacity starts at the first step's length rounded up to a power of two (at least {@value #MIN_CAPACITY},
 * at most n_positions) and doubles when full, with one copy of what is cached. The arrays come from the
 * {@link ArrayPool} outside any {@link io.carpathia.engine.memory.Scope}, so they outlive the scope of the step that
 * appends to them; {@link #close()} gives them back, and the next generation reuses them.
 */
public final class Gpt2KvCache implements AutoCloseable {
    /** The smallest capacity: below this, doubling would copy more often than it saves memory. */
    static final int MIN_CAPACITY = 16;

    private final int nHead;
    private final int headSize;
    private final int maxLength;
    /** Per layer [1, nh, capacity, hs]; null until the layer's first append and after close. */
    private final Tensor[] keys;
    private final Tensor[] values;
    private int length;
    private boolean closed;

    public Gpt2KvCache(Gpt2Config config) {
        this.nHead = config.nHead();
        this.headSize = config.nEmbd() / config.nHead();
        this.maxLength = config.nPositions();
        this.keys = new Tensor[config.nLayer()];
        this.values = new Tensor[config.nLayer()];
    }

    /** Tokens cached so far: the position of the next token. */
    public int length() {
        return length;
    }

    /** Positions each layer can hold before its storage grows (0 before the first step). */
    public int capacity() {
        return keys[0] == null ? 0 : (int) keys[0].size(2);
    }

    /**
     * Writes this step's k, v of layer {@code layer} ([1, n, C], the heads side by side as c_attn makes them) at
     * positions length() .. length()+n-1, growing the layer's storage first when they do not fit.
     */
    void append(int layer, Tensor k, Tensor v) {
        if (closed) throw new IllegalStateException("Gpt2KvCache: the cache was closed; start a new one");
        long[] expected = {1, k.rank() == 3 ? k.size(1) : -1, (long) nHead * headSize};
        if (!Shapes.same(k.shape(), expected) || !Shapes.same(v.shape(), expected)) {
            throw new ShapeException("Gpt2KvCache: layer " + layer + " appends k " + Shapes.str(k.shape()) + " and v "
                    + Shapes.str(v.shape()) + ", expected both [1, n, n_embd] = " + Shapes.str(expected));
        }
        int n = (int) k.size(1);
        if (length + n > maxLength) {
            throw new ShapeException("Gpt2KvCache: " + (length + n) + " positions do not fit n_positions = " + maxLength);
        }
        keys[layer] = fit(keys[layer], k.dtype(), length + n);
        values[layer] = fit(values[layer], v.dtype(), length + n);
        writeRows(k, keys[layer]);
        writeRows(v, values[layer]);
    }

    /** Layer {@code layer}'s key storage [1, nh, capacity, hs]; rows 0 .. length()-1 (plus this step's) are filled. */
    Tensor keys(int layer) {
        return keys[layer];
    }

    /** Layer {@code layer}'s value storage [1, nh, capacity, hs], filled as {@link #keys}. */
    Tensor values(int layer) {
        return values[layer];
    }

    /** Called once all layers have appended a step of {@code n} tokens. */
    void advance(int n) {
        length += n;
    }

    /** Gives the storage back to the pool; the cache cannot be used afterwards. */
    @Override
    public void close() {
        closed = true;
        for (Tensor[] layers : new Tensor[][] {keys, values}) {
            for (int i = 0; i < layers.length; i++) {
                if (layers[i] != null) ArrayPool.release(layers[i].value());
                layers[i] = null;
            }
        }
    }

    /**
     * {@code storage}, or, when it cannot hold {@code needed} positions, a larger array (twice the capacity, or the
     * needed length rounded up to a power of two, at most n_positions) holding the same cached rows.
     */
    private Tensor fit(Tensor storage, DataType dtype, int needed) {
        int capacity = storage == null ? 0 : (int) storage.size(2);
        if (needed <= capacity) return storage;
        int grown = Math.min(maxLength, Math.max(MIN_CAPACITY, Math.max(2 * capacity, ceilPowerOfTwo(needed))));
        Tensor bigger = Tensor.of(ArrayPool.acquire(dtype, 1, nHead, grown, headSize));
        if (storage != null) {
            // per head the first `length` rows move over: [capacity, hs] -> [grown, hs]
            Native.View from = Native.view(storage.value());
            Native.View to = Native.view(bigger.value());
            for (int h = 0; h < nHead; h++) {
                from.copyTo((long) h * capacity * headSize, 1, length * headSize, to, (long) h * grown * headSize);
            }
            ArrayPool.release(storage.value());
        }
        return bigger;
    }

    /**
     * x: [1, n, C] -> rows length .. length+n-1 of storage [1, nh, capacity, hs]: token i's head h (hs values from
     * column h·hs) becomes row length+i of head h.
     */
    private void writeRows(Tensor x, Tensor storage) {
        if (x.dtype() != storage.dtype()) {
            throw new IllegalArgumentException("Gpt2KvCache: a step of " + x.dtype() + " into a cache of "
                    + storage.dtype());
        }
        int n = (int) x.size(1);
        long capacity = storage.size(2);
        Native.View from = Native.view(x.value());
        Native.View to = Native.view(storage.value());
        for (int i = 0; i < n; i++) {
            for (int h = 0; h < nHead; h++) {
                from.copyTo(((long) i * nHead + h) * headSize, 1, headSize, to, (h * capacity + length + i) * headSize);
            }
        }
    }

    private static int ceilPowerOfTwo(int x) {
        return x <= 1 ? 1 : Integer.highestOneBit(x - 1) << 1;
    }
}
