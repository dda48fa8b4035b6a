package io.carpathia.engine.ops;

import io.carpathia.engine.autograd.Tensor;

/** Indexing ops: row lookup, gather, masks. (To be implemented.) */
public final class Indexing {
    private Indexing() {}

    /** Rows of {@code x} along {@code dim} at the integer positions in 1-D {@code index}. */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) { throw new UnsupportedOperationException("indexSelect"); }

    /** PyTorch's gather: out[i][j] = x[i][index[i][j]] for dim 1 (index has x's rank). */
    public static Tensor gather(Tensor x, int dim, Tensor index) { throw new UnsupportedOperationException("gather"); }

    /** Embedding lookup: weight [V, D], integer ids of any shape [...] -> [..., D]; backward scatter-adds rows. */
    public static Tensor embedding(Tensor weight, Tensor ids) { throw new UnsupportedOperationException("embedding"); }

    /** x with {@code value} where mask is true/non-zero (mask broadcasts to x). */
    public static Tensor maskedFill(Tensor x, Tensor mask, double value) { throw new UnsupportedOperationException("maskedFill"); }

    /** cond ? a : b elementwise, all three broadcast. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { throw new UnsupportedOperationException("where"); }
}
