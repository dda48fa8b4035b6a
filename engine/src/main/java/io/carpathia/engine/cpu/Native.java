package io.carpathia.engine.cpu;

import io.carpathia.engine.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Direct access to an INDArray's native memory. ND4J's element accessors cost 20 ns and its high-level ops 10-45 µs
 * per call, so the engine's kernels read and write the buffer themselves, a chunk at a time (see {@link Chunks}).
 * Only dense row-major arrays are accessed this way; {@link #dense} copies anything else first.
 */
public final class Native {
    private Native() {}

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

    /** A view of a dense array for the kernels; FLOAT and DOUBLE values, LONG and INT indices. */
    public static View view(INDArray a) {
        if (!isDense(a)) {
            throw new IllegalArgumentException("internal: kernel given a non-dense array of shape "
                    + Shapes.str(a.shape()) + " strides " + Shapes.str(a.stride()));
        }
        DataType t = a.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE && t != DataType.LONG && t != DataType.INT) {
            throw new IllegalArgumentException("the engine computes in FLOAT or DOUBLE and indexes with LONG or INT; "
                    + "got an array of " + t + " (convert it with castTo first)");
        }
        long n = a.length();
        return new View(n == 0 ? 0 : address(a), t, n);
    }

    /**
     * Element access to one dense FLOAT, DOUBLE, LONG or INT array. Integer arrays (indices, token ids, masks) read
     * as doubles, exactly up to 2^53; {@link View#getLong} reads them exactly. Reads and writes go through
     * {@code sun.misc.Unsafe} at the array's address: JDK 17's direct buffers check a memory scope on every element
     * access, which cost a sixth of a training step. Every call checks its range against the array's length first.
     */
    public static final class View {
        private final long address;
        private final DataType type;
        public final long length;

        View(long address, DataType type, long length) {
            this.address = address;
            this.type = type;
            this.length = length;
        }

        public boolean isInteger() {
            return type == DataType.LONG || type == DataType.INT;
        }

        private void check(long from, long n) {
            if (from < 0 || n < 0 || from + n > length) {
                throw new IndexOutOfBoundsException("internal: elements [" + from + ", " + (from + n)
                        + ") of an array of " + length);
            }
        }

        public double get(long i) {
            check(i, 1);
            return switch (type) {
                case FLOAT -> UnsafeMemory.U.getFloat(address + 4 * i);
                case DOUBLE -> UnsafeMemory.U.getDouble(address + 8 * i);
                case LONG -> UnsafeMemory.U.getLong(address + 8 * i);
                default -> UnsafeMemory.U.getInt(address + 4 * i);
            };
        }

        /** An integer element, exactly (floating elements are truncated). */
        public long getLong(long i) {
            check(i, 1);
            return switch (type) {
                case LONG -> UnsafeMemory.U.getLong(address + 8 * i);
                case INT -> UnsafeMemory.U.getInt(address + 4 * i);
                default -> (long) get(i);
            };
        }

        public void set(long i, double v) {
            check(i, 1);
            switch (type) {
                case FLOAT -> UnsafeMemory.U.putFloat(address + 4 * i, (float) v);
                case DOUBLE -> UnsafeMemory.U.putDouble(address + 8 * i, v);
                case LONG -> UnsafeMemory.U.putLong(address + 8 * i, (long) v);
                default -> UnsafeMemory.U.putInt(address + 4 * i, (int) v);
            }
        }

        /** Widens {@code n} elements starting at {@code from} into {@code dst[off..off+n)}. */
        public void load(long from, int n, double[] dst, int off) {
            check(from, n);
            if (type == DataType.DOUBLE) {
                UnsafeMemory.copyToDoubles(address + 8 * from, dst, off, n);
            } else if (type == DataType.FLOAT) {
                long a = address + 4 * from;
                for (int i = 0; i < n; i++) dst[off + i] = UnsafeMemory.U.getFloat(a + 4L * i);
            } else {
                for (int i = 0; i < n; i++) dst[off + i] = get(from + i);
            }
        }

        public boolean isFloat() {
            return type == DataType.FLOAT;
        }

        /** Copies {@code n} elements of a FLOAT array starting at {@code from} into {@code dst[off..off+n)}. */
        public void loadFloats(long from, int n, float[] dst, int off) {
            check(from, n);
            requireFloat();
            UnsafeMemory.copyToFloats(address + 4 * from, dst, off, n);
        }

        /** Copies {@code src[off..off+n)} into elements {@code to..to+n)} of a FLOAT array. */
        public void storeFloats(float[] src, int off, int n, long to) {
            check(to, n);
            requireFloat();
            UnsafeMemory.copyFromFloats(src, off, address + 4 * to, n);
        }

        /**
         * Copies {@code n} elements, {@code stride} apart from {@code from} here, to {@code dst}'s elements
         * {@code to..to+n)}, without converting: both arrays hold the same type. A stride of 1 is a memory copy.
         */
        public void copyTo(long from, long stride, int n, View dst, long to) {
            if (dst.type != type) {
                throw new IllegalStateException("internal: copy from " + type + " to " + dst.type);
            }
            if (n == 0) return;
            check(from, 1);
            check(from + (n - 1) * stride, 1);
            dst.check(to, n);
            int width = type.width();
            long s = address + width * from;
            long d = dst.address + width * to;
            if (stride == 1) {
                UnsafeMemory.U.copyMemory(s, d, (long) width * n);
            } else if (width == 4) {
                for (int i = 0; i < n; i++) UnsafeMemory.U.putInt(d + 4L * i, UnsafeMemory.U.getInt(s + 4 * i * stride));
            } else {
                for (int i = 0; i < n; i++) UnsafeMemory.U.putLong(d + 8L * i, UnsafeMemory.U.getLong(s + 8 * i * stride));
            }
        }

        /** One FLOAT element. */
        public float getFloat(long i) {
            check(i, 1);
            requireFloat();
            return UnsafeMemory.U.getFloat(address + 4 * i);
        }

        private void requireFloat() {
            if (type != DataType.FLOAT) {
                throw new IllegalStateException("internal: a float32 kernel given an array of " + type);
            }
        }

        /** Narrows {@code src[off..off+n)} into elements {@code to..to+n)}. */
        public void store(double[] src, int off, int n, long to) {
            check(to, n);
            if (type == DataType.DOUBLE) {
                UnsafeMemory.copyFromDoubles(src, off, address + 8 * to, n);
            } else if (type == DataType.FLOAT) {
                long a = address + 4 * to;
                for (int i = 0; i < n; i++) UnsafeMemory.U.putFloat(a + 4L * i, (float) src[off + i]);
            } else {
                for (int i = 0; i < n; i++) set(to + i, src[off + i]);
            }
        }
    }

    public static void fill(INDArray a, double value) {
        View v = view(a);
        long n = v.length;
        if (n == 0) return;
        if (v.isFloat()) {
            Parallel.forRange(n, Chunks.GRAIN, (from, to) -> {
                float[] buf = Scratch.floats(0, Chunks.CHUNK);
                java.util.Arrays.fill(buf, (float) value);
                for (long s = from; s < to; s += Chunks.CHUNK) {
                    v.storeFloats(buf, 0, (int) Math.min(Chunks.CHUNK, to - s), s);
                }
            });
            return;
        }
        Parallel.forRange(n, Chunks.GRAIN, (from, to) -> {
            double[] buf = Scratch.doubles(Chunks.CHUNK);
            java.util.Arrays.fill(buf, value);
            for (long s = from; s < to; s += Chunks.CHUNK) {
                int len = (int) Math.min(Chunks.CHUNK, to - s);
                v.store(buf, 0, len, s);
            }
        });
    }

    /** Below this many bytes a copy stays on one thread. */
    private static final long COPY_GRAIN_BYTES = 1 << 19;

    /** Copies {@code src} into {@code dst} (same number of elements; dtypes may differ; src may be a strided view). */
    public static void copy(INDArray src, INDArray dst) {
        if (src.length() != dst.length()) {
            throw new IllegalArgumentException("internal: copy of " + src.length() + " elements into " + dst.length());
        }
        if (src.dataType() == dst.dataType() && isDense(src) && isDense(dst)) {
            long from = address(src);
            long to = address(dst);
            long bytes = src.length() * src.dataType().width();
            // a copy of a few MB is faster split over the cores: one core does not saturate memory bandwidth
            Parallel.forRange(bytes, COPY_GRAIN_BYTES, (b0, b1) -> UnsafeMemory.U.copyMemory(from + b0, to + b0, b1 - b0));
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
