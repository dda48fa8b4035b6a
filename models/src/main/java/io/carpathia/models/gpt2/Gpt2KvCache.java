package io.carpathia.models.gpt2;

import io.carpathia.engine.autograd.Tensor;

/**
 * The keys and values of every layer for the tokens seen so far (batch 1), so generation feeds only the new
 * token through the model: per layer k, v: [1, n_head, length, head_size].
 */
public final class Gpt2KvCache {
    private final Tensor[] keys;
    private final Tensor[] values;
    private int length;

    public Gpt2KvCache(int layers) {
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
    }

    /** Tokens cached so far: the position of the next token. */
    public int length() {
        return length;
    }

    Tensor keys(int layer) {
        return keys[layer];
    }

    Tensor values(int layer) {
        return values[layer];
    }

    /** Appends this step's k, v ([1, nh, n, hs]) to layer {@code layer}'s cache and returns the whole cache. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        keys[layer] = keys[layer] == null ? k.copy() : io.carpathia.engine.ops.ShapeOps.concat(java.util.List.of(keys[layer], k), 2).copy();
        values[layer] = values[layer] == null ? v.copy() : io.carpathia.engine.ops.ShapeOps.concat(java.util.List.of(values[layer], v), 2).copy();
        return new Tensor[] {keys[layer], values[layer]};
    }

    /** Called once all layers have appended a step of {@code n} tokens. */
    void advance(int n) {
        length += n;
    }
}
