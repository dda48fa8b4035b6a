package io.carpathia.engine.cpu;

/**
 * The reductions and exponentials of float32 row ops (softmax, log-softmax, layer norm, cross-entropy, attention) on
 * rows held in {@code float[]}, and the exponentials of float32 activations (GELU, tanh, sigmoid, exp) on chunks.
 *
 * <p>The JIT of Java 17 vectorises elementwise loops over arrays, but not reductions (a max, a sum, a dot product)
 * and not exponentials: written as plain loops these cost 0.3–1.2 ns per element, several times what the rest of a
 * row op takes. So they come in two implementations of the same contract:
 * <ul>
 *   <li>{@code VectorFloatRows}, on the JDK's Vector API ({@code jdk.incubator.vector}): 16 float lanes at a time on
 *       AVX-512, exponentials by the JDK's vector math routines. Chosen when the JVM runs with
 *       {@code --add-modules jdk.incubator.vector} (the launcher, the tests and the benchmarks pass it) on x86-64.
 *   <li>{@link ScalarFloatRows}, plain Java: used otherwise, or with {@code -Dcarpathia.simd=false}.
 * </ul>
 * Both accumulate in float32 lanes whose values are added up in double every 256 elements, so a row's sum carries
 * about the error of a few float32 roundings of its terms, not of its total; both exponentials are within a few
 * float32 ulps of e^x. {@code FloatRowsTest} holds each to the
 * other and to float64 arithmetic.
 */
public final class FloatRows {
    private FloatRows() {}

    /** The contract both implementations keep; elements [0, n) of the arrays. */
    interface Kernels {
        /** The largest of x[0..n): -inf when n is 0, NaN when one of them is NaN. */
        float max(float[] x, int n);

        /** x[0] + ... + x[n-1]. */
        double sum(float[] x, int n);

        /** x[0]·y[0] + ... + x[n-1]·y[n-1]. */
        double dot(float[] x, float[] y, int n);

        /**
         * x[i] = e^(x[i] − shift) in place, and returns the sum of the results. Arguments below -104 give 0 (as
         * e^x does in float32); NaN stays NaN.
         */
        double expShifted(float[] x, int n, float shift);

        /** x[i] = tanh(x[i]) in place for i < n. */
        void tanh(float[] x, int n);
    }

    private static final Kernels K = choose();

    private static Kernels choose() {
        if (!Boolean.parseBoolean(System.getProperty("carpathia.simd", "true"))) return new ScalarFloatRows();
        if (!vectorApiUsable()) return new ScalarFloatRows();
        try {
            return (Kernels) Class.forName("io.carpathia.engine.cpu.VectorFloatRows")
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return new ScalarFloatRows();
        }
    }

    /**
     * True when {@code jdk.incubator.vector} is in the boot layer (the JVM was started with {@code --add-modules
     * jdk.incubator.vector}) and the CPU is x86-64, where the JDK compiles the Vector API's arithmetic and
     * exponentials to vector instructions. Elsewhere the API runs lane by lane, slower than plain loops.
     */
    static boolean vectorApiUsable() {
        String arch = System.getProperty("os.arch", "");
        return (arch.equals("amd64") || arch.equals("x86_64"))
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Which implementation runs: "vector" or "scalar" (for benchmarks and reports). */
    public static String implementation() {
        return K instanceof ScalarFloatRows ? "scalar" : "vector";
    }

    /** The largest of x[0..n): -inf when n is 0, NaN when one of them is NaN. */
    public static float max(float[] x, int n) {
        return K.max(x, n);
    }

    /** x[0] + ... + x[n-1], accumulated in float32 lanes folded into a double. */
    public static double sum(float[] x, int n) {
        return K.sum(x, n);
    }

    /** x[0]·y[0] + ... + x[n-1]·y[n-1], accumulated as {@link #sum}. */
    public static double dot(float[] x, float[] y, int n) {
        return K.dot(x, y, n);
    }

    /** x[i] = e^(x[i] − shift) in place for i < n; returns Σ of the results. */
    public static double expShifted(float[] x, int n, float shift) {
        return K.expShifted(x, n, shift);
    }

    /** x[i] = e^x[i] in place for i < n (0 below -104, +inf above 88.7, NaN stays NaN). */
    public static void exp(float[] x, int n) {
        K.expShifted(x, n, 0f);
    }

    /** x[i] = tanh(x[i]) in place for i < n, relatively accurate near 0. */
    public static void tanh(float[] x, int n) {
        K.tanh(x, n);
    }

    /** x[i] *= c for i < n (a plain loop: the JIT vectorises it). */
    public static void scale(float[] x, int n, float c) {
        for (int i = 0; i < n; i++) x[i] *= c;
    }
}
