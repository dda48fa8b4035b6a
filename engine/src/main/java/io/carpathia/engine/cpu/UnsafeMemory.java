package io.carpathia.engine.cpu;

import java.lang.reflect.Field;

/**
 * {@code sun.misc.Unsafe}, for reading and writing the native memory of ND4J arrays at JIT speed (ND4J and JavaCPP
 * use it the same way). Callers check their ranges: {@link Native.View} does for every access it makes. On Java 22+
 * the launcher passes {@code --sun-misc-unsafe-memory-access=allow}, which silences the JDK's deprecation notice.
 */
final class UnsafeMemory {
    private UnsafeMemory() {}

    static final sun.misc.Unsafe U;
    private static final long FLOATS = sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET;
    private static final long DOUBLES = sun.misc.Unsafe.ARRAY_DOUBLE_BASE_OFFSET;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            U = (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("sun.misc.Unsafe is not available: " + e);
        }
    }

    static void copyToFloats(long address, float[] dst, int off, int n) {
        U.copyMemory(null, address, dst, FLOATS + 4L * off, 4L * n);
    }

    static void copyFromFloats(float[] src, int off, long address, int n) {
        U.copyMemory(src, FLOATS + 4L * off, null, address, 4L * n);
    }

    static void copyToDoubles(long address, double[] dst, int off, int n) {
        U.copyMemory(null, address, dst, DOUBLES + 8L * off, 8L * n);
    }

    static void copyFromDoubles(double[] src, int off, long address, int n) {
        U.copyMemory(src, DOUBLES + 8L * off, null, address, 8L * n);
    }
}
