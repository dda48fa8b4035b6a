package io.carpathia.engine.cpu;

/**
 * Reductions over a row held in a {@code double[]} — a softmax's, a norm's or a loss's row. Each keeps four partial
 * results, so that consecutive additions do not wait on each other: a single running sum costs a full addition
 * latency per element, four times what these take.
 */
public final class Rows {
    private Rows() {}

    /** x[0] + ... + x[n-1]. */
    public static double sum(double[] x, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < n; i++) s0 += x[i];
        return (s0 + s1) + (s2 + s3);
    }

    /** x[0]·y[0] + ... + x[n-1]·y[n-1]. */
    public static double dot(double[] x, double[] y, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += x[i] * y[i];
            s1 += x[i + 1] * y[i + 1];
            s2 += x[i + 2] * y[i + 2];
            s3 += x[i + 3] * y[i + 3];
        }
        for (; i < n; i++) s0 += x[i] * y[i];
        return (s0 + s1) + (s2 + s3);
    }

    /** The largest of x[0..n), -inf when n is 0, NaN when one of them is NaN. */
    public static double max(double[] x, int n) {
        double m0 = Double.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            m0 = Math.max(m0, x[i]);
            m1 = Math.max(m1, x[i + 1]);
            m2 = Math.max(m2, x[i + 2]);
            m3 = Math.max(m3, x[i + 3]);
        }
        for (; i < n; i++) m0 = Math.max(m0, x[i]);
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /**
     * e^x in place for x[0..n): {@link Math#exp} when {@code precise} (float64 tensors), else the vectorised
     * {@link SpecialFunctions#exp(double[], int)}, accurate far beyond float32.
     */
    public static void exp(double[] x, int n, boolean precise) {
        if (precise) {
            for (int i = 0; i < n; i++) x[i] = Math.exp(x[i]);
        } else {
            SpecialFunctions.exp(x, n);
        }
    }
}
