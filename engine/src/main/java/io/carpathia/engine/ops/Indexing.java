package io.carpathia.engine.ops;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Node;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Indexing ops: row lookup (index select, embedding), gather, and masks (masked fill, where). Indices are integer
 * tensors (INT64 or INT32, see {@link Tensor#indices}); masks are boolean, integer or floating, non-zero meaning
 * true. Lookups copy whole runs of elements; their gradients scatter-add back, so a repeated index accumulates.
 */
public final class Indexing {
    private Indexing() {}

    /**
     * The slices of {@code x} along {@code dim} at the positions in the 1-D integer {@code index}, in that order:
     * x: [outer, n, inner], index: [k] -> [outer, k, inner]. Indices repeat freely; negative ones are out of range.
     */
    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        requireFloating("indexSelect", "x", x);
        long[] in = x.shape();
        if (in.length == 0) throw new ShapeException("indexSelect: x must have at least one dimension, got a scalar");
        int d = Shapes.dim("indexSelect", dim, in.length);
        if (index.rank() > 1) {
            throw new ShapeException("indexSelect: index must be 1-D, got shape " + Shapes.str(index.shape()));
        }
        long[] idx = IntArrays.indexValues("indexSelect", "index", index);
        long size = in[d];
        for (int j = 0; j < idx.length; j++) {
            if (idx[j] < 0 || idx[j] >= size) {
                throw new ShapeException("indexSelect: index[" + j + "] = " + idx[j] + " is out of range for dimension "
                        + dim + " of size " + size + " (x " + Shapes.str(in) + ")");
            }
        }
        long[] shape = in.clone();
        shape[d] = idx.length;
        long inner = ShapeOps.innerSize(in, d);
        long k = idx.length;
        // output row r = (o, j) is input row (o, idx[j]), a run of `inner` elements
        Blocks.RowStart fromX = r -> ((r / k) * size + idx[(int) (r % k)]) * inner;
        Blocks.RowStart intoOut = r -> r * inner;
        long rows = ShapeOps.outerSize(in, d) * k;
        Tensor out = Autograd.result(x.dtype(), shape);
        Blocks.copy(x.value(), fromX, out.value(), intoOut, rows, inner);
        Autograd.record(out, "indexSelect", g -> {
            // each output row's gradient adds into the input row it was read from
            INDArray gx = zeros(g.dataType(), in);
            Blocks.add(g, intoOut, gx, fromX, rows, inner);
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * PyTorch's gather: out has index's shape, and out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (likewise for
     * the other dims). index has x's rank and is no larger than x in the other dimensions.
     */
    public static Tensor gather(Tensor x, int dim, Tensor index) {
        requireFloating("gather", "x", x);
        long[] in = x.shape();
        long[] shape = index.shape();
        if (in.length == 0) throw new ShapeException("gather: x must have at least one dimension, got a scalar");
        int d = Shapes.dim("gather", dim, in.length);
        if (shape.length != in.length) {
            throw new ShapeException("gather: index " + Shapes.str(shape) + " must have the rank of x "
                    + Shapes.str(in) + " (" + in.length + "), got " + shape.length);
        }
        for (int k = 0; k < in.length; k++) {
            if (k != d && shape[k] > in[k]) {
                throw new ShapeException("gather: index " + Shapes.str(shape) + " is larger than x " + Shapes.str(in)
                        + " in dimension " + k + " (" + shape[k] + " > " + in[k] + ")");
            }
        }
        long[] idx = IntArrays.indexValues("gather", "index", index);
        // where each output element is read from in x: its own position in every dim but d, and idx there
        long[] xStrides = Shapes.strides(in);
        long[] source = new long[idx.length];
        long[] pos = new long[shape.length];
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= in[d]) {
                throw new ShapeException("gather: index value " + idx[i] + " at " + Shapes.str(pos)
                        + " is out of range for dimension " + dim + " of size " + in[d] + " (x " + Shapes.str(in) + ")");
            }
            long at = 0;
            for (int k = 0; k < shape.length; k++) at += (k == d ? idx[i] : pos[k]) * xStrides[k];
            source[i] = at;
            for (int k = shape.length - 1; k >= 0 && ++pos[k] == shape[k]; k--) pos[k] = 0;
        }
        Blocks.RowStart fromX = r -> source[(int) r];
        Blocks.RowStart intoOut = r -> r;
        Tensor out = Autograd.result(x.dtype(), shape);
        Blocks.copy(x.value(), fromX, out.value(), intoOut, idx.length, 1);
        Autograd.record(out, "gather", g -> {
            // scatter-add: two outputs read from one element add their gradients there
            INDArray gx = zeros(g.dataType(), in);
            Blocks.add(g, intoOut, gx, fromX, idx.length, 1);
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * Embedding lookup: weight [V, D], integer ids of any shape [...] -> [..., D], row ids[i] of weight for each id.
     * Its backward adds each output row's gradient into the weight row it came from.
     */
    public static Tensor embedding(Tensor weight, Tensor ids) {
        requireFloating("embedding", "weight", weight);
        long[] w = weight.shape();
        if (w.length != 2) {
            throw new ShapeException("embedding: weight must be [V, D], got shape " + Shapes.str(w));
        }
        long vocab = w[0];
        long width = w[1];
        long[] id = IntArrays.indexValues("embedding", "ids", ids);
        for (int i = 0; i < id.length; i++) {
            if (id[i] < 0 || id[i] >= vocab) {
                throw new IllegalArgumentException("embedding: id " + id[i] + " (element " + i + " of ids "
                        + Shapes.str(ids.shape()) + ") is out of range for a vocabulary of V = " + vocab
                        + " rows (weight " + Shapes.str(w) + ")");
            }
        }
        long[] idShape = ids.shape();
        long[] shape = java.util.Arrays.copyOf(idShape, idShape.length + 1);
        shape[idShape.length] = width;
        Blocks.RowStart fromWeight = r -> id[(int) r] * width;
        Blocks.RowStart intoOut = r -> r * width;
        Tensor out = Autograd.result(weight.dtype(), shape);
        Blocks.copy(weight.value(), fromWeight, out.value(), intoOut, id.length, width);
        Autograd.record(out, "embedding", g -> {
            // g: [..., D]; row i adds into weight row ids[i] (repeated ids accumulate)
            INDArray gw = zeros(g.dataType(), w);
            Blocks.add(g, intoOut, gw, fromWeight, id.length, width);
            Autograd.accumulate(weight, gw, true);
        }, weight);
        return out;
    }

    /**
     * x with {@code value} wherever the mask is true or non-zero (the mask broadcasts to x's shape). Filled elements
     * get no gradient; the others pass g through.
     */
    public static Tensor maskedFill(Tensor x, Tensor mask, double value) {
        requireFloating("maskedFill", "x", x);
        long[] shape = x.shape();
        if (!Shapes.same(Shapes.broadcast("maskedFill", shape, mask.shape()), shape)) {
            throw new ShapeException("maskedFill: mask " + Shapes.str(mask.shape()) + " does not broadcast to x's shape "
                    + Shapes.str(shape));
        }
        DataType dt = x.dtype();
        INDArray fill = IntArrays.nonZero("maskedFill", "mask", mask, dt); // 1 where filled, mask's shape
        Tensor out = Autograd.result(dt, shape);
        Chunks.zip(x.value(), fill, out.value(), (v, m, n) -> {
            for (int i = 0; i < n; i++) v[i] = m[i] != 0 ? value : v[i];
        });
        Node node = Autograd.record(out, "maskedFill", g -> {
            INDArray gx = Autograd.temp(g.dataType(), shape);
            Chunks.zip(g, fill, gx, (gg, m, n) -> {
                for (int i = 0; i < n; i++) gg[i] = m[i] != 0 ? 0 : gg[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        Autograd.saveOrRelease(node, fill);
        return out;
    }

    /**
     * {@code cond ? a : b} elementwise, the three broadcast together. The gradient of a is g where cond holds, of b
     * where it does not (each summed back to its own shape); cond gets none.
     */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        requireFloating("where", "a", a);
        requireFloating("where", "b", b);
        long[] shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape(), a.shape()), b.shape());
        DataType dt = Autograd.floatType(a, b);
        INDArray take = IntArrays.nonZero("where", "cond", cond, dt); // 1 where a is taken, cond's shape
        Tensor out = Autograd.result(dt, shape);
        Chunks.zip3(take, a.value(), b.value(), out.value(), (c, x, y, n) -> {
            for (int i = 0; i < n; i++) c[i] = c[i] != 0 ? x[i] : y[i];
        });
        Node node = Autograd.record(out, "where", g -> {
            if (a.requiresGrad()) Autograd.accumulate(a, selected(g, take, true), true);
            if (b.requiresGrad()) Autograd.accumulate(b, selected(g, take, false), true);
        }, a, b);
        Autograd.saveOrRelease(node, take);
        return out;
    }

    /** g where the flag is set (or, when !whereSet, where it is not), zero elsewhere; g's shape. */
    private static INDArray selected(INDArray g, INDArray flag, boolean whereSet) {
        INDArray r = Autograd.temp(g.dataType(), g.shape());
        Chunks.zip(g, flag, r, (gg, f, n) -> {
            for (int i = 0; i < n; i++) gg[i] = (f[i] != 0) == whereSet ? gg[i] : 0;
        });
        return r;
    }

    private static INDArray zeros(DataType dt, long[] shape) {
        INDArray a = Autograd.temp(dt, shape);
        Native.fill(a, 0);
        return a;
    }

    private static void requireFloating(String op, String arg, Tensor t) {
        DataType dt = t.dtype();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException(op + ": " + arg + " must be a FLOAT or DOUBLE tensor, got " + dt
                    + " of shape " + Shapes.str(t.shape()));
        }
    }
}
