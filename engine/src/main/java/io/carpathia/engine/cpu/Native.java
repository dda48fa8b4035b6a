package io.carpathia.engine.cpu;

import io.carpathia.engine.Shapes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Direct access to an INDArray's native memory. ND4J's element accessors cost 20 ns and its high-level ops 10-45 µs
 * per call, so the engine's kernels read and write the buffer themselves, a chunk at a time (see {@link Chunks}).
 * Only dense row-major arrays are accessed this way; {@link #dense} copies anything else first.
 */
public final class Native {
    private Native() {}

    /** A pointer over raw memory, so JavaCPP can hand us a direct ByteBuffer of it. */
    private static final class Raw extends Pointer {
        Raw(long address, long bytes) {
            this.address = address;
            this.position = 0;
            this.limit = bytes;
            this.capacity = bytes;
        }
    }

    /** Address of the array's first element (a view's offset included). */
    public static long address(INDArray a) {
        return a.data().address() + a.offset() * a.dataType().width();
    }

    /** True when the array is laid out row-major with no gaps, so element i sits at address + i * width. */
    public static boolean isDense(INDArray a) {
        if (a.isEmpty()) return true;
        long[] shape = a.shape();
        long[] strides = a.stride();
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** The array itself when dense, else a dense copy. */
    public static INDArray dense(INDArray a) {
        return isDense(a) ? a : a.dup('c');
    }

    /**
     * A view of a dense FLOAT, DOUBLE, LONG or INT array: element-indexed reads and writes, and chunked widening
     * loads. Integer arrays (indices, token ids, masks) read as doubles, exactly up to 2^53; {@link View#getLong}
     * reads them exactly.
     */
    public static View view(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("internal: kernel given a non-dense array of shape "
                    + Shapes.str(a.shape()) + " strides " + Shapes.str(a.stride()));
        }
        DataType t = a.dataType();
        long n = a.length();
        if (n == 0) return new View(null, null, null, null, 0);
        ByteBuffer bb = new Raw(address(a), n * t.width()).asByteBuffer().order(ByteOrder.nativeOrder());
        return switch (t) {
            case FLOAT -> new View(bb.asFloatBuffer(), null, null, null, n);
            case DOUBLE -> new View(null, bb.asDoubleBuffer(), null, null, n);
            case LONG -> new View(null, null, bb.asLongBuffer(), null, n);
            case INT -> new View(null, null, null, bb.asIntBuffer(), n);
            default -> throw new IllegalArgumentException("the engine computes in FLOAT or DOUBLE and indexes with "
                    + "LONG or INT; got an array of " + t + " (convert it with castTo first)");
        };
    }

    /** Element access for one dense FLOAT or DOUBLE array; indexes are in elements from the array's start. */
    public static final class View {
        /** Runs up to this long are copied element by element rather than through a scratch array. */
        private static final int SHORT_RUN = 64;

        private final FloatBuffer f;
        private final DoubleBuffer d;
        private final LongBuffer l;
        private final IntBuffer n32;
        public final long length;

        View(FloatBuffer f, DoubleBuffer d, LongBuffer l, IntBuffer n32, long length) {
            this.f = f;
            this.d = d;
            this.l = l;
            this.n32 = n32;
            this.length = length;
        }

        public boolean isDouble() {
            return d != null;
        }

        public boolean isInteger() {
            return l != null || n32 != null;
        }

        public double get(long i) {
            if (f != null) return f.get((int) i);
            if (d != null) return d.get((int) i);
            return l != null ? l.get((int) i) : n32.get((int) i);
        }

        /** An integer element, exactly (floating elements are truncated). */
        public long getLong(long i) {
            if (l != null) return l.get((int) i);
            if (n32 != null) return n32.get((int) i);
            return (long) get(i);
        }

        public void set(long i, double v) {
            if (f != null) f.put((int) i, (float) v);
            else if (d != null) d.put((int) i, v);
            else if (l != null) l.put((int) i, (long) v);
            else n32.put((int) i, (int) v);
        }

        /** Widens {@code n} elements starting at {@code from} into {@code dst[off..off+n)}. */
        public void load(long from, int n, double[] dst, int off) {
            if (d != null) {
                d.get((int) from, dst, off, n);
            } else if (isInteger()) {
                for (int i = 0; i < n; i++) dst[off + i] = get(from + i);
            } else if (n <= SHORT_RUN) {
                // rows of a few dozen elements: element reads beat the bulk copy's per-call set-up
                int base = (int) from;
                for (int i = 0; i < n; i++) dst[off + i] = f.get(base + i);
            } else {
                float[] tmp = Scratch.floats(n);
                f.get((int) from, tmp, 0, n);
                for (int i = 0; i < n; i++) dst[off + i] = tmp[i];
            }
        }

        /** Narrows {@code src[off..off+n)} into elements {@code to..to+n)}. */
        public void store(double[] src, int off, int n, long to) {
            if (d != null) {
                d.put((int) to, src, off, n);
            } else if (isInteger()) {
                for (int i = 0; i < n; i++) set(to + i, src[off + i]);
            } else if (n <= SHORT_RUN) {
                int base = (int) to;
                for (int i = 0; i < n; i++) f.put(base + i, (float) src[off + i]);
            } else {
                float[] tmp = Scratch.floats(n);
                for (int i = 0; i < n; i++) tmp[i] = (float) src[off + i];
                f.put((int) to, tmp, 0, n);
            }
        }
    }

    public static void fill(INDArray a, double value) {
        View v = view(a);
        long n = v.length;
        if (n == 0) return;
        Parallel.forRange(n, Chunks.GRAIN, (from, to) -> {
            double[] buf = Scratch.doubles(Chunks.CHUNK);
            java.util.Arrays.fill(buf, value);
            for (long s = from; s < to; s += Chunks.CHUNK) {
                int len = (int) Math.min(Chunks.CHUNK, to - s);
                v.store(buf, 0, len, s);
            }
        });
    }

    /** Copies {@code src} into {@code dst} (same number of elements; dtypes may differ; src may be a strided view). */
    public static void copy(INDArray src, INDArray dst) {
        if (src.length() != dst.length()) {
            throw new IllegalArgumentException("internal: copy of " + src.length() + " elements into " + dst.length());
        }
        if (src.dataType() == dst.dataType() && isDense(src) && isDense(dst)) {
            Pointer.memcpy(new Raw(address(dst), 0), new Raw(address(src), 0), src.length() * src.dataType().width());
            return;
        }
        INDArray s = dense(src);
        View vs = view(s);
        View vd = view(dst);
        Chunks.each(vs.length, (from, n, buf) -> {
            vs.load(from, n, buf, 0);
            vd.store(buf, 0, n, from);
        });
    }

    /** All elements, widened to double (for tests, small tensors and printing). */
    public static double[] toDoubles(INDArray a) {
        View v = view(dense(a));
        double[] out = new double[(int) v.length];
        if (v.length > 0) v.load(0, (int) v.length, out, 0);
        return out;
    }

    /** Writes {@code values} into a dense array of the same length. */
    public static void fromDoubles(double[] values, INDArray a) {
        View v = view(a);
        if (v.length != values.length) {
            throw new IllegalArgumentException("internal: " + values.length + " values for " + v.length + " elements");
        }
        if (values.length > 0) v.store(values, 0, values.length, 0);
    }
}
