package io.carpathia.engine.ops;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Shape manipulation: views where the layout allows, dense copies otherwise. */
public final class ShapeOps {
    private ShapeOps() {}

    /**
     * The same elements in a new shape (a zero-copy view of the input's storage). One dimension may be -1 and is
     * inferred.
     */
    public static Tensor reshape(Tensor x, long... shape) {
        long[] target = inferShape(x, shape);
        long[] in = x.shape();
        INDArray view = x.value().reshape('c', target);
        Tensor out = Autograd.view(x, view);
        Autograd.record(out, "reshape", g -> {
            // the gradient is the incoming one read in the input's shape
            Autograd.accumulate(x, g.reshape('c', in), false);
        }, x);
        return out;
    }

    private static long[] inferShape(Tensor x, long[] shape) {
        long known = 1;
        int infer = -1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) throw new ShapeException("reshape: only one dimension can be -1, got " + Shapes.str(shape));
                infer = i;
            } else if (shape[i] < 0) {
                throw new ShapeException("reshape: invalid size " + shape[i] + " in " + Shapes.str(shape));
            } else {
                known *= shape[i];
            }
        }
        long n = x.numel();
        long[] target = shape.clone();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new ShapeException("reshape: cannot infer -1 in " + Shapes.str(shape) + " for " + n + " elements");
            }
            target[infer] = n / known;
        } else if (known != n) {
            throw new ShapeException("reshape: shape " + Shapes.str(shape) + " holds " + known + " elements but the "
                    + "tensor " + Shapes.str(x.shape()) + " has " + n);
        }
        return target;
    }

    /** Inserts a dimension of size 1 at {@code dim} (negative counts from the end of the result). */
    public static Tensor unsqueeze(Tensor x, int dim) {
        long[] s = x.shape();
        int d = Shapes.dim("unsqueeze", dim, s.length + 1);
        long[] t = new long[s.length + 1];
        for (int i = 0, j = 0; i < t.length; i++) t[i] = i == d ? 1 : s[j++];
        return reshape(x, t);
    }

    /** Removes dimension {@code dim}, which must have size 1. */
    public static Tensor squeeze(Tensor x, int dim) {
        long[] s = x.shape();
        int d = Shapes.dim("squeeze", dim, s.length);
        if (s[d] != 1) {
            throw new ShapeException("squeeze: dimension " + dim + " of " + Shapes.str(s) + " has size " + s[d] + ", not 1");
        }
        long[] t = new long[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) if (i != d) t[j++] = s[i];
        return reshape(x, t);
    }

    /**
     * Swaps dimensions {@code dim0} and {@code dim1} (negatives count from the end), as a dense copy: the engine's
     * kernels read row-major buffers, so a strided view would only move the copy into every consumer.
     */
    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        int rank = x.rank();
        // a scalar accepts dimensions 0 and -1, as in PyTorch
        int d0 = Shapes.dim("transpose", dim0, Math.max(rank, 1));
        int d1 = Shapes.dim("transpose", dim1, Math.max(rank, 1));
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) dims[i] = i;
        if (rank > 0) {
            dims[d0] = d1;
            dims[d1] = d0;
        }
        return permuteChecked("transpose", x, dims);
    }

    /**
     * Reorders the dimensions: dimension i of the result is dimension {@code dims[i]} of x (negatives count from the
     * end), as a dense copy. x: [2, 3, 4].permute(2, 0, 1) -> [4, 2, 3].
     */
    public static Tensor permute(Tensor x, int... dims) {
        int rank = x.rank();
        if (dims.length != rank) {
            throw new ShapeException("permute: " + dims.length + " dimensions " + java.util.Arrays.toString(dims)
                    + " given for a tensor of rank " + rank + " " + Shapes.str(x.shape()));
        }
        int[] order = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = Shapes.dim("permute", dims[i], rank);
            if (seen[order[i]]) {
                throw new ShapeException("permute: dimension " + dims[i] + " appears twice in "
                        + java.util.Arrays.toString(dims));
            }
            seen[order[i]] = true;
        }
        return permuteChecked("permute", x, order);
    }

    /** The copy behind transpose and permute; {@code order} is a valid permutation of x's dimensions. */
    private static Tensor permuteChecked(String op, Tensor x, int[] order) {
        long[] in = x.shape();
        boolean identity = true;
        for (int i = 0; i < order.length; i++) identity &= order[i] == i;
        if (identity) return reshape(x, in); // nothing moves: a view, like reshape to the same shape
        long[] outShape = new long[order.length];
        for (int i = 0; i < order.length; i++) outShape[i] = in[order[i]];
        Tensor out = Autograd.result(x.dtype(), outShape);
        if (!x.dtype().isFPType()) {
            // index and mask tensors: rare and never differentiated, so ND4J's strided assign is fine here
            out.value().assign(x.value().permute(order));
            return out;
        }
        PermuteCopy.into(x.value(), order, out.value());
        // the inverse permutation: dimension order[i] of the input is dimension i of the output
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[order[i]] = i;
        Autograd.record(out, op, g -> {
            INDArray gx = Autograd.temp(g.dataType(), in);
            PermuteCopy.into(g, inverse, gx);
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    public static Tensor narrow(Tensor x, int dim, long start, long length) {
        throw new UnsupportedOperationException("narrow");
    }

    public static List<Tensor> split(Tensor x, long size, int dim) {
        throw new UnsupportedOperationException("split");
    }

    public static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        throw new UnsupportedOperationException("chunk");
    }

    public static Tensor concat(List<Tensor> xs, int dim) {
        throw new UnsupportedOperationException("concat");
    }
}
