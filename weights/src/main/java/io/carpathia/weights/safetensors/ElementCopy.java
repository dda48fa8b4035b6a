package io.carpathia.weights.safetensors;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Which ND4J types a dtype can be read as, and the exact widenings among them (narrow floats to FLOAT or DOUBLE,
 * smaller integers to INT or LONG). Nothing that would round or wrap is offered.
 */
final class ElementCopy {
    private ElementCopy() {}

    /** True when {@code from} elements can go into an array of {@code to} unchanged: the same type or a widening. */
    static boolean supports(Dtype from, DataType to) {
        if (from.hasExactNd4jType() && from.nd4jType() == to) return true;
        return switch (to) {
            case FLOAT -> from == Dtype.F16 || from == Dtype.BF16 || from == Dtype.F8_E4M3 || from == Dtype.F8_E5M2;
            case DOUBLE -> from.isFloatingPoint();
            case LONG -> from.isInteger() && from != Dtype.U64;
            case INT -> from == Dtype.I8 || from == Dtype.I16 || from == Dtype.U8 || from == Dtype.U16;
            default -> false;
        };
    }

    /** The ND4J types {@code from} can be read as, for messages. */
    static String targetsOf(Dtype from) {
        StringBuilder s = new StringBuilder();
        for (DataType t : new DataType[] {from.nd4jType(), DataType.FLOAT, DataType.DOUBLE, DataType.LONG,
                DataType.INT}) {
            if (supports(from, t) && s.indexOf(t.name()) < 0) s.append(s.length() == 0 ? "" : ", ").append(t);
        }
        return s.toString();
    }

    /**
     * Widens all of {@code src} (whole elements of {@code from}, little-endian) into {@code dst} (little-endian
     * elements of {@code to}, with room for as many elements). Same-type reads do not come here: they go straight
     * from the file into the array.
     */
    static void widen(Dtype from, DataType to, ByteBuffer src, ByteBuffer dst) {
        int n = src.remaining() / from.byteSize();
        switch (to) {
            case FLOAT -> toFloats(from, src, dst, n);
            case DOUBLE -> {
                for (int i = 0; i < n; i++) {
                    dst.putDouble(from == Dtype.F64 ? src.getDouble() : from == Dtype.F32 ? src.getFloat()
                            : narrowFloat(from, src));
                }
            }
            case LONG -> {
                for (int i = 0; i < n; i++) dst.putLong(toLong(from, src));
            }
            case INT -> {
                for (int i = 0; i < n; i++) dst.putInt((int) toLong(from, src));
            }
            default -> throw new IllegalArgumentException("internal: no conversion from " + from + " to " + to);
        }
    }

    /** Widens n narrow floats (one loop per format, so the loop body has no branch on the format). */
    private static void toFloats(Dtype from, ByteBuffer src, ByteBuffer dst, int n) {
        switch (from) {
            case F16 -> {
                for (int i = 0; i < n; i++) dst.putFloat(NarrowFloats.halfToFloat(src.getShort()));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.putInt((src.getShort() & 0xFFFF) << 16); // the upper half of a float32
            }
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) dst.putFloat(NarrowFloats.e4m3(src.get()));
            }
            case F8_E5M2 -> {
                for (int i = 0; i < n; i++) dst.putFloat(NarrowFloats.e5m2(src.get()));
            }
            default -> throw new IllegalArgumentException("internal: " + from + " is not a narrow float");
        }
    }

    private static float narrowFloat(Dtype from, ByteBuffer src) {
        return switch (from) {
            case F16 -> NarrowFloats.halfToFloat(src.getShort());
            case BF16 -> NarrowFloats.bfloat16ToFloat(src.getShort());
            case F8_E4M3 -> NarrowFloats.e4m3(src.get());
            case F8_E5M2 -> NarrowFloats.e5m2(src.get());
            default -> throw new IllegalArgumentException("internal: " + from + " is not a narrow float");
        };
    }

    private static long toLong(Dtype from, ByteBuffer src) {
        return switch (from) {
            case I8 -> src.get();
            case U8 -> src.get() & 0xFFL;
            case I16 -> src.getShort();
            case U16 -> src.getShort() & 0xFFFFL;
            case I32 -> src.getInt();
            case U32 -> src.getInt() & 0xFFFF_FFFFL;
            case I64 -> src.getLong();
            default -> throw new IllegalArgumentException("internal: " + from + " does not widen to an integer");
        };
    }
}
