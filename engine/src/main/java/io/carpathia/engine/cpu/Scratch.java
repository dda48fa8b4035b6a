package io.carpathia.engine.cpu;

/** Per-thread scratch arrays that kernels load chunks into; they grow to the largest size asked for and stay. */
final class Scratch {
    private Scratch() {}

    private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[][] {new float[0]});
    private static final ThreadLocal<double[][]> DOUBLES =
            ThreadLocal.withInitial(() -> new double[][] {new double[0], new double[0], new double[0], new double[0]});

    static float[] floats(int n) {
        float[][] h = FLOATS.get();
        if (h[0].length < n) h[0] = new float[Math.max(n, Chunks.CHUNK)];
        return h[0];
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
