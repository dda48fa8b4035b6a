package io.carpathia.engine.ops;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
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

    /**
     * The elements {@code start .. start+length-1} of dimension {@code dim}, as a dense copy (a negative start counts
     * from the end, as in PyTorch). Its gradient is g written into that slice of a zeroed input-shaped array.
     */
    public static Tensor narrow(Tensor x, int dim, long start, long length) {
        return slice("narrow", x, dim, start, length);
    }

    /**
     * Pieces of {@code size} along {@code dim} (the last one smaller when the size does not divide the dimension),
     * as in PyTorch. Each piece is a copy with its own backward.
     */
    public static List<Tensor> split(Tensor x, long size, int dim) {
        return pieces("split", x, size, dim);
    }

    /**
     * At most {@code chunks} pieces of ceil(n / chunks) along {@code dim}, as in PyTorch: the last one may be smaller,
     * and fewer pieces come back when the division leaves nothing for the last ones (6 in 4 chunks: 2, 2, 2).
     */
    public static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        if (chunks <= 0) {
            throw new IllegalArgumentException("chunk: the number of chunks must be positive, got " + chunks);
        }
        long n = x.shape()[checkedDim("chunk", x, dim)];
        return pieces("chunk", x, Math.max(1, (n + chunks - 1) / chunks), dim);
    }

    private static List<Tensor> pieces(String op, Tensor x, long size, int dim) {
        long n = x.shape()[checkedDim(op, x, dim)];
        if (size <= 0) {
            throw new IllegalArgumentException(op + ": the piece size must be positive, got " + size);
        }
        List<Tensor> out = new ArrayList<>();
        for (long start = 0; start < n; start += size) out.add(slice(op, x, dim, start, Math.min(size, n - start)));
        if (out.isEmpty()) out.add(slice(op, x, dim, 0, 0)); // an empty dimension splits into one empty piece
        return out;
    }

    /** A dense copy of x's elements start .. start+length-1 along dim; narrow, split and chunk all come here. */
    private static Tensor slice(String op, Tensor x, int dim, long start, long length) {
        long[] in = x.shape();
        int d = checkedDim(op, x, dim);
        long size = in[d];
        long from = start < 0 ? start + size : start;
        if (from < 0 || from > size || length < 0 || from + length > size) {
            throw new ShapeException(op + ": start " + start + " and length " + length + " do not fit dimension " + dim
                    + " of size " + size + " (tensor " + Shapes.str(in) + ")");
        }
        long[] shape = in.clone();
        shape[d] = length;
        // x: [outer, size, inner] -> out: [outer, length, inner]; each outer row is one run of length·inner elements
        long inner = innerSize(in, d);
        long rows = outerSize(in, d);
        long run = length * inner;
        Tensor out = Autograd.result(x.dtype(), shape);
        Blocks.copy(x.value(), r -> (r * size + from) * inner, out.value(), r -> r * run, rows, run);
        Autograd.record(out, op, g -> {
            // d(slice)/dx: g lands in the slice, zeros elsewhere
            INDArray gx = Autograd.temp(g.dataType(), in);
            Native.fill(gx, 0);
            Blocks.copy(g, r -> r * run, gx, r -> (r * size + from) * inner, rows, run);
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /**
     * The tensors joined along {@code dim}; all have one rank and agree on every other dimension. Floating inputs
     * of mixed precision give a DOUBLE result; integer inputs (ids) must share one type. Its gradient slices g back
     * into each input's part.
     */
    public static Tensor concat(List<Tensor> xs, int dim) {
        if (xs == null || xs.isEmpty()) throw new IllegalArgumentException("concat: needs at least one tensor");
        long[] first = xs.get(0).shape();
        if (first.length == 0) {
            throw new ShapeException("concat: tensor 0 is a scalar (shape []); scalars cannot be concatenated");
        }
        int d = Shapes.dim("concat", dim, first.length);
        long[] shape = first.clone();
        shape[d] = 0;
        for (int i = 0; i < xs.size(); i++) {
            long[] s = xs.get(i).shape();
            boolean fits = s.length == first.length;
            for (int k = 0; fits && k < s.length; k++) fits = k == d || s[k] == first[k];
            if (!fits) {
                throw new ShapeException("concat: tensor " + i + " has shape " + Shapes.str(s) + ", expected "
                        + describeExpected(first, d) + " to join tensor 0 " + Shapes.str(first) + " along dimension " + dim);
            }
            shape[d] += s[d];
        }
        Tensor[] inputs = xs.toArray(new Tensor[0]);
        Tensor out = Autograd.result(concatType(inputs), shape);
        // input i: [outer, s_i, inner] lands in out: [outer, S, inner] at offset off_i along dim
        long inner = innerSize(shape, d);
        long rows = outerSize(shape, d);
        long outRun = shape[d] * inner;
        long[] offsets = new long[inputs.length];
        long offset = 0;
        for (int i = 0; i < inputs.length; i++) {
            long at = offset * inner;
            long run = inputs[i].shape()[d] * inner;
            offsets[i] = at;
            Blocks.copy(inputs[i].value(), r -> r * run, out.value(), r -> r * outRun + at, rows, run);
            offset += inputs[i].shape()[d];
        }
        Autograd.record(out, "concat", g -> {
            // each input's gradient is its own part of g
            for (int i = 0; i < inputs.length; i++) {
                Tensor x = inputs[i];
                if (!x.requiresGrad()) continue;
                long at = offsets[i];
                long run = x.shape()[d] * inner;
                INDArray gx = Autograd.temp(g.dataType(), x.shape());
                Blocks.copy(g, r -> r * outRun + at, gx, r -> r * run, rows, run);
                Autograd.accumulate(x, gx, true);
            }
        }, inputs);
        return out;
    }

    private static String describeExpected(long[] first, int d) {
        StringBuilder b = new StringBuilder("[");
        for (int k = 0; k < first.length; k++) {
            if (k > 0) b.append(", ");
            b.append(k == d ? "*" : String.valueOf(first[k]));
        }
        return b.append("]").toString();
    }

    private static DataType concatType(Tensor[] xs) {
        boolean allFloat = true;
        for (Tensor x : xs) allFloat &= x.dtype() == DataType.FLOAT || x.dtype() == DataType.DOUBLE;
        if (allFloat) return Autograd.floatType(xs);
        DataType t = xs[0].dtype();
        for (int i = 1; i < xs.length; i++) {
            if (xs[i].dtype() != t) {
                throw new IllegalArgumentException("concat: tensor 0 is " + t + " but tensor " + i + " is "
                        + xs[i].dtype() + "; join floating tensors with floating ones and integer tensors of one type");
            }
        }
        return t;
    }

    /** The dimension, checked: slicing ops need at least one dimension. */
    private static int checkedDim(String op, Tensor x, int dim) {
        if (x.rank() == 0) throw new ShapeException(op + ": cannot slice a scalar (shape [])");
        return Shapes.dim(op, dim, x.rank());
    }

    /** Elements per step of dimension d (the product of the dimensions after it). */
    static long innerSize(long[] shape, int d) {
        long n = 1;
        for (int k = d + 1; k < shape.length; k++) n *= shape[k];
        return n;
    }

    /** The product of the dimensions before d. */
    static long outerSize(long[] shape, int d) {
        long n = 1;
        for (int k = 0; k < d; k++) n *= shape[k];
        return n;
    }
}
