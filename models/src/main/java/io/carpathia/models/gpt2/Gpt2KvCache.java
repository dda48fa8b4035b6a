package io.carpathia.models.gpt2;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.ops.ShapeOps;
import java.util.List;

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

    /** Appends this step's k, v ([1, nh, n, hs]) to layer {@code layer}'s cache and returns the whole cache. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        keys[layer] = outlive(keys[layer] == null ? k : ShapeOps.concat(List.of(keys[layer], k), 2));
        values[layer] = outlive(values[layer] == null ? v : ShapeOps.concat(List.of(values[layer], v), 2));
        return new Tensor[] {keys[layer], values[layer]};
    }

    /** The cache must outlive the scope of the token that made it: hand it to the enclosing scope, if any. */
    private static Tensor outlive(Tensor t) {
        Scope scope = Scope.current();
        return scope == null ? t : scope.keep(t);
    }

    /** Called once all layers have appended a step of {@code n} tokens. */
    void advance(int n) {
        length += n;
    }
}
