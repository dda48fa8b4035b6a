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

    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        throw new UnsupportedOperationException("transpose");
    }

    public static Tensor permute(Tensor x, int... dims) {
        throw new UnsupportedOperationException("permute");
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
