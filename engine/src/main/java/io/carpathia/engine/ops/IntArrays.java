package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.Native;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Integer and boolean arrays (indices, token ids, masks) read and written in bulk. ND4J's element getters cost
 * 60-300 ns each; one bulk copy through a typed JavaCPP pointer costs well under a nanosecond per element.
 */
final class IntArrays {
    private IntArrays() {}

    /** The integer values of {@code t}, row-major; throws naming {@code op} and {@code arg} unless t is integral. */
    static long[] indexValues(String op, String arg, Tensor t) {
        if (!isIntegral(t.dtype())) {
            throw new IllegalArgumentException(op + ": " + arg + " must be an integer tensor (INT64 or INT32), got "
                    + t.dtype() + " of shape " + Shapes.str(t.shape()));
        }
        return read(t.value());
    }

    static boolean isIntegral(DataType t) {
        return switch (t) {
            case LONG, INT, SHORT, BYTE, UBYTE, UINT16, UINT32, UINT64 -> true;
            default -> false;
        };
    }

    /** All elements of an integer or boolean array as longs (booleans as 0/1), row-major. */
    static long[] read(INDArray array) {
        INDArray a = Native.dense(array);
        int n = Math.toIntExact(a.length());
        long[] out = new long[n];
        if (n == 0) return out;
        Pointer base = a.data().pointer();
        long at = a.offset();
        switch (a.dataType()) {
            case LONG, UINT64 -> new LongPointer(base).position(at).get(out);
            case INT, UINT32 -> {
                int[] v = new int[n];
                new IntPointer(base).position(at).get(v);
                boolean unsigned = a.dataType() == DataType.UINT32;
                for (int i = 0; i < n; i++) out[i] = unsigned ? Integer.toUnsignedLong(v[i]) : v[i];
            }
            case SHORT, UINT16 -> {
                short[] v = new short[n];
                new ShortPointer(base).position(at).get(v);
                boolean unsigned = a.dataType() == DataType.UINT16;
                for (int i = 0; i < n; i++) out[i] = unsigned ? Short.toUnsignedInt(v[i]) : v[i];
            }
            case BYTE, UBYTE, BOOL -> {
                byte[] v = new byte[n];
                new BytePointer(base).position(at).get(v);
                boolean unsigned = a.dataType() != DataType.BYTE;
                for (int i = 0; i < n; i++) out[i] = unsigned ? Byte.toUnsignedInt(v[i]) : v[i];
            }
            default -> throw new IllegalArgumentException("internal: not an integer or boolean array: " + a.dataType());
        }
        return out;
    }

    /** Writes {@code values} (row-major) into a dense integer or boolean array of the same length. */
    static void write(long[] values, INDArray a) {
        int n = values.length;
        if (n != a.length() || !Native.isDense(a)) {
            throw new IllegalArgumentException("internal: " + n + " values for a " + (Native.isDense(a) ? "" : "non-dense ")
                    + "array of " + a.length() + " elements");
        }
        if (n == 0) return;
        Pointer base = a.data().pointer();
        long at = a.offset();
        switch (a.dataType()) {
            case LONG, UINT64 -> new LongPointer(base).position(at).put(values);
            case INT, UINT32 -> {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = (int) values[i];
                new IntPointer(base).position(at).put(v);
            }
            case SHORT, UINT16 -> {
                short[] v = new short[n];
                for (int i = 0; i < n; i++) v[i] = (short) values[i];
                new ShortPointer(base).position(at).put(v);
            }
            case BYTE, UBYTE, BOOL -> {
                byte[] v = new byte[n];
                for (int i = 0; i < n; i++) v[i] = (byte) values[i];
                new BytePointer(base).position(at).put(v);
            }
            default -> throw new IllegalArgumentException("internal: not an integer or boolean array: " + a.dataType());
        }
    }

    /**
     * A pooled array of the mask's shape in {@code dtype}: 1 where the mask is true or non-zero, else 0. The mask may
     * be boolean, integer or floating (NaN counts as non-zero).
     */
    static INDArray nonZero(String op, String arg, Tensor mask, DataType dtype) {
        INDArray m = mask.value();
        INDArray out = Autograd.temp(dtype, m.shape());
        DataType t = m.dataType();
        if (t == DataType.FLOAT || t == DataType.DOUBLE) {
            Chunks.map(m, out, (v, n) -> {
                for (int i = 0; i < n; i++) v[i] = v[i] != 0 || Double.isNaN(v[i]) ? 1 : 0;
            });
        } else if (t == DataType.BOOL || isIntegral(t)) {
            long[] v = read(m);
            double[] flags = new double[v.length];
            for (int i = 0; i < v.length; i++) flags[i] = v[i] != 0 ? 1 : 0;
            Native.fromDoubles(flags, out);
        } else {
            Autograd.release(out);
            throw new IllegalArgumentException(op + ": " + arg + " must be a BOOL, integer, FLOAT or DOUBLE tensor, got "
                    + t + " of shape " + Shapes.str(m.shape()));
        }
        return out;
    }
}
