package io.carpathia.engine.cpu;

/** Per-thread scratch arrays that kernels load chunks into; they grow to the largest size asked for and stay. */
final class Scratch {
    private Scratch() {}

    private static final ThreadLocal<float[][]> FLOATS =
            ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0], new float[0]});
    private static final ThreadLocal<double[][]> DOUBLES =
            ThreadLocal.withInitial(() -> new double[][] {new double[0], new double[0], new double[0], new double[0]});

    /** Float slot 0: {@link Native.View} narrows and widens through it, so kernels use slots 1 to 3. */
    static float[] floats(int n) {
        return floats(0, n);
    }

    static float[] floats(int slot, int n) {
        float[][] h = FLOATS.get();
        if (h[slot].length < n) h[slot] = new float[Math.max(n, Chunks.CHUNK)];
        return h[slot];
    }

    /** Scratch slot 0. */
    static double[] doubles(int n) {
        return doubles(0, n);
    }

    /** One of four independent scratch slots per thread, so a kernel can hold several chunks at once. */
    static double[] doubles(int slot, int n) {
        double[][] h = DOUBLES.get();
        if (h[slot].length < n) h[slot] = new double[Math.max(n, Chunks.CHUNK)];
        return h[slot];
    }
}
