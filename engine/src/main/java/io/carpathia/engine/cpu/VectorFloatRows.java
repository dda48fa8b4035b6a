package io.carpathia.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatRows} on the Vector API: the JVM's widest float vectors (16 lanes with AVX-512, 8 with AVX2). Loaded
 * only when {@code jdk.incubator.vector} is present (see {@link FloatRows}); the tails shorter than a vector run in
 * plain Java.
 */
final class VectorFloatRows implements FloatRows.Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Elements accumulated in float lanes before they are folded into the double total. */
    private static final int FOLD = ScalarFloatRows.FOLD;

    @Override
    public float max(float[] x, int n) {
        FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) m = m.max(FloatVector.fromArray(S, x, i)); // lanewise max propagates NaN
        float r = m.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) r = Math.max(r, x[i]);
        return r;
    }

    @Override
    public double sum(float[] x, int n) {
        double total = 0;
        int bound = S.loopBound(n);
        int i = 0;
        while (i < bound) {
            int end = Math.min(bound, i + FOLD);
            FloatVector s = FloatVector.zero(S);
            for (; i < end; i += L) s = s.add(FloatVector.fromArray(S, x, i));
            total += lanesInDouble(s);
        }
        for (; i < n; i++) total += x[i];
        return total;
    }

    @Override
    public double dot(float[] x, float[] y, int n) {
        double total = 0;
        int bound = S.loopBound(n);
        int i = 0;
        while (i < bound) {
            int end = Math.min(bound, i + FOLD);
            FloatVector s = FloatVector.zero(S);
            for (; i < end; i += L) s = FloatVector.fromArray(S, x, i).fma(FloatVector.fromArray(S, y, i), s);
            total += lanesInDouble(s);
        }
        for (; i < n; i++) total += (double) x[i] * y[i];
        return total;
    }

    /** The sum of a vector's lanes, added in double (a float reduction would round at the size of the total). */
    private static double lanesInDouble(FloatVector v) {
        double sum = 0;
        for (int j = 0; j < L; j++) sum += v.lane(j);
        return sum;
    }

    @Override
    public double expShifted(float[] x, int n, float shift) {
        double total = 0;
        int bound = S.loopBound(n);
        int i = 0;
        while (i < bound) {
            int end = Math.min(bound, i + FOLD);
            FloatVector s = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector e = FloatVector.fromArray(S, x, i).sub(shift).max(-104f)
                        .lanewise(VectorOperators.EXP);
                e.intoArray(x, i);
                s = s.add(e);
            }
            total += lanesInDouble(s);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(Math.max(x[i] - shift, -104f));
            x[i] = e;
            total += e;
        }
        return total;
    }

    @Override
    public void tanh(float[] x, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += L) FloatVector.fromArray(S, x, i).lanewise(VectorOperators.TANH).intoArray(x, i);
        for (; i < n; i++) x[i] = (float) Math.tanh(x[i]);
    }
}
