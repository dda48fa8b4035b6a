package io.carpathia.engine;

import java.util.Arrays;

/** Shape arithmetic on {@code long[]} shapes: sizes, C-order strides, NumPy broadcasting, dimension normalisation. */
public final class Shapes {
    private Shapes() {}

    public static final long[] SCALAR = new long[0];

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Row-major (C-order) strides in elements. */
    public static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /**
     * NumPy broadcasting: shapes are aligned on their last dimension; each pair of sizes must be equal or one of
     * them 1. Throws a {@link ShapeException} that names the op and both shapes.
     */
    public static long[] broadcast(String op, long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dimension " + i + " of the result: " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides that read {@code shape} as if it had been broadcast to {@code outShape}: leading missing dimensions
     * and size-1 dimensions get stride 0.
     */
    public static long[] broadcastStrides(long[] shape, long[] outShape) {
        long[] own = strides(shape);
        long[] s = new long[outShape.length];
        int shift = outShape.length - shape.length;
        for (int i = 0; i < outShape.length; i++) {
            int j = i - shift;
            s[i] = (j < 0 || shape[j] == 1) ? 0 : own[j];
        }
        return s;
    }

    /** A dimension index, allowing Python-style negatives ({@code -1} is the last). */
    public static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.max(rank, 1)) {
            throw new ShapeException(op + ": dimension " + dim + " is out of range for a tensor of rank " + rank);
        }
        return d;
    }

    public static boolean same(long[] a, long[] b) {
        return Arrays.equals(a, b);
    }

    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

}
