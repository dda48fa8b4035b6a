package io.carpathia.engine.cpu;

/**
 * {@link FloatRows} in plain Java, for JVMs without the Vector API module: reductions with eight partial results,
 * exponentials through {@link SpecialFunctions}' array functions on a double copy of the row.
 */
final class ScalarFloatRows implements FloatRows.Kernels {

    /** Elements accumulated in float before they are folded into the double total. */
    static final int FOLD = 256;

    @Override
    public float max(float[] x, int n) {
        // a comparison that also takes NaN: once a partial is NaN, nothing compares above it
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            float a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
            m0 = a > m0 || a != a ? a : m0;
            m1 = b > m1 || b != b ? b : m1;
            m2 = c > m2 || c != c ? c : m2;
            m3 = d > m3 || d != d ? d : m3;
        }
        for (; i < n; i++) {
            float a = x[i];
            m0 = a > m0 || a != a ? a : m0;
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    @Override
    public double sum(float[] x, int n) {
        double total = 0;
        for (int start = 0; start < n; start += FOLD) {
            int end = Math.min(n, start + FOLD);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = start;
            for (; i + 3 < end; i += 4) {
                s0 += x[i];
                s1 += x[i + 1];
                s2 += x[i + 2];
                s3 += x[i + 3];
            }
            for (; i < end; i++) s0 += x[i];
            total += ((double) s0 + s1) + ((double) s2 + s3);
        }
        return total;
    }

    @Override
    public double dot(float[] x, float[] y, int n) {
        double total = 0;
        for (int start = 0; start < n; start += FOLD) {
            int end = Math.min(n, start + FOLD);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = start;
            for (; i + 3 < end; i += 4) {
                s0 += x[i] * y[i];
                s1 += x[i + 1] * y[i + 1];
                s2 += x[i + 2] * y[i + 2];
                s3 += x[i + 3] * y[i + 3];
            }
            for (; i < end; i++) s0 += x[i] * y[i];
            total += ((double) s0 + s1) + ((double) s2 + s3);
        }
        return total;
    }

    @Override
    public double expShifted(float[] x, int n, float shift) {
        double[] e = new double[n];           // callers run inside chunk kernels: the scratch slots are theirs
        for (int i = 0; i < n; i++) e[i] = (double) x[i] - shift;
        SpecialFunctions.exp(e, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float) e[i];
            sum += e[i];
        }
        return sum;
    }

    @Override
    public void tanh(float[] x, int n) {
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = x[i];
        SpecialFunctions.tanh(t, n);
        for (int i = 0; i < n; i++) x[i] = (float) t[i];
    }
}
