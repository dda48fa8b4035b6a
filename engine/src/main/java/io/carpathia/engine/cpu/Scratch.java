package io.carpathia.engine.cpu;

/**
 * Per-thread scratch arrays that kernels load chunks into; they grow to the largest size asked for and stay.
 *
 * <p>Kernels ask for them once per chunk or per row, so finding them must be cheap. A {@link ThreadLocal} lookup is
 * not here: in a profile of a training step, {@code ThreadLocalMap.getEntryAfterMiss} took a quarter of the Java
 * time (a thread's map is shared with every thread local ND4J and JavaCPP create). So the engine's own workers
 * carry their buffers, and the last other thread that asked (usually the one thread driving the model) is
 * remembered; any further threads fall back to a thread local.
 */
final class Scratch {
    private Scratch() {}

    /** One thread's arrays: four independent slots of each type, so a kernel can hold several chunks at once. */
    static final class Buffers {
        private final float[][] floats = {new float[0], new float[0], new float[0], new float[0]};
        private final double[][] doubles = {new double[0], new double[0], new double[0], new double[0]};
    }

    private record Owner(Thread thread, Buffers buffers) {}

    private static volatile Owner last = new Owner(null, null);
    private static final ThreadLocal<Buffers> OTHERS = ThreadLocal.withInitial(Buffers::new);

    private static Buffers buffers() {
        Thread t = Thread.currentThread();
        if (t instanceof Parallel.Worker w) return w.scratch;
        Owner o = last;
        if (o.thread() == t) return o.buffers();
        Buffers b = OTHERS.get();
        last = new Owner(t, b);
        return b;
    }

    /** Float slot {@code slot} (0 to 3), at least {@code n} long. */
    static float[] floats(int slot, int n) {
        float[][] h = buffers().floats;
        if (h[slot].length < n) h[slot] = new float[Math.max(n, Chunks.CHUNK)];
        return h[slot];
    }

    /** Double slot 0. */
    static double[] doubles(int n) {
        return doubles(0, n);
    }

    /** Double slot {@code slot} (0 to 3), at least {@code n} long. */
    static double[] doubles(int slot, int n) {
        double[][] h = buffers().doubles;
        if (h[slot].length < n) h[slot] = new double[Math.max(n, Chunks.CHUNK)];
        return h[slot];
    }
}
