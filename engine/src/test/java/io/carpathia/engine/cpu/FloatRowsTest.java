package io.carpathia.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Both implementations of {@link FloatRows} — the Vector API one and the plain-Java one — against float64
 * arithmetic on the same values, over row lengths that leave every kind of tail (shorter than a vector, a vector and
 * a bit, past a fold of 256), and with the special values a row op meets (NaN, ±inf, -inf shifts).
 */
class FloatRowsTest {

    /** The implementations this JVM can run: the scalar one always, the vector one when the module is present. */
    private static List<FloatRows.Kernels> kernels() {
        List<FloatRows.Kernels> ks = new ArrayList<>();
        ks.add(new ScalarFloatRows());
        if (FloatRows.vectorApiUsable()) ks.add(new VectorFloatRows());
        return ks;
    }

    @Test
    void theTestsRunWithTheVectorModule() {
        // surefire passes --add-modules jdk.incubator.vector; without it this suite would test one implementation
        assertTrue(FloatRows.vectorApiUsable() || !System.getProperty("os.arch", "").equals("amd64"),
                "the Vector API module is missing from this JVM: the vector kernels went untested");
        assertEquals(FloatRows.vectorApiUsable() ? "vector" : "scalar", FloatRows.implementation());
    }

    private static float[] row(long seed, int n, double scale, double offset) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (offset + scale * r.nextGaussian());
        return x;
    }

    @Property
    void maxIsTheExactLargestValue(@ForAll @IntRange(min = 0, max = 700) int n, @ForAll long seed) {
        float[] x = row(seed, n, 10, 0);
        float ref = Float.NEGATIVE_INFINITY;
        for (float v : x) ref = Math.max(ref, v);
        for (FloatRows.Kernels k : kernels()) assertEquals(ref, k.max(x, n), k.getClass().getSimpleName());
    }

    @Property
    void maxPropagatesNaNWherever(@ForAll @IntRange(min = 1, max = 100) int n, @ForAll long seed) {
        float[] x = row(seed, n, 1, 0);
        x[(int) Math.floorMod(seed, n)] = Float.NaN;
        for (FloatRows.Kernels k : kernels()) {
            assertTrue(Float.isNaN(k.max(x, n)), k.getClass().getSimpleName() + " lost a NaN at " + (seed % n));
        }
    }

    @Property
    void sumsAreWithinTheRoundingsOfTheirLanes(@ForAll @IntRange(min = 0, max = 3000) int n, @ForAll long seed,
                                              @ForAll @DoubleRange(min = -200, max = 200) double offset) {
        float[] x = row(seed, n, 3, offset);
        float[] y = row(seed + 1, n, 1, 0);
        double sum = 0, dot = 0, sumAbs = 0, dotAbs = 0;
        for (int i = 0; i < n; i++) {
            sum += x[i];
            dot += (double) x[i] * y[i];
            sumAbs += Math.abs(x[i]);
            dotAbs += Math.abs((double) x[i] * y[i]);
        }
        // a float lane takes at most 64 terms before its value joins the double total: at most 64 roundings of
        // 2^-24 of the terms' magnitudes (a float32 running total would take n)
        double bound = 64 * 0x1p-24;
        for (FloatRows.Kernels k : kernels()) {
            String who = k.getClass().getSimpleName();
            assertEquals(sum, k.sum(x, n), bound * sumAbs, who + " sum");
            assertEquals(dot, k.dot(x, y, n), bound * dotAbs, who + " dot");
        }
    }

    @Test
    void aLargeMeanKeepsTheDigitsOfTheSpread() {
        // a layer norm's row: 768 values 100 ± 5. Its mean must be good to far below the spread, which a float32
        // running total (error ~7e-5 here) or a float32 sum of the lanes is not
        for (FloatRows.Kernels k : kernels()) {
            for (long seed = 0; seed < 50; seed++) {
                float[] x = row(seed, 768, 5, 100);
                double ref = 0;
                for (float v : x) ref += v;
                assertEquals(ref / 768, k.sum(x, 768) / 768, 4e-6 * 5, k.getClass().getSimpleName() + " seed " + seed);
            }
        }
    }

    @Property
    void expShiftedIsWithinFloatPrecision(@ForAll @IntRange(min = 0, max = 600) int n, @ForAll long seed,
                                          @ForAll @DoubleRange(min = 0.1, max = 30) double scale) {
        float[] x = row(seed, n, scale, 0);
        float shift = n == 0 ? 0 : new ScalarFloatRows().max(x, n);
        for (FloatRows.Kernels k : kernels()) {
            float[] e = x.clone();
            double total = k.expShifted(e, n, shift);
            double refTotal = 0;
            for (int i = 0; i < n; i++) {
                double d = (double) x[i] - shift;
                double ref = Math.exp(Math.max(d, -104));
                refTotal += ref;
                // a few float32 ulps of e^d; x − shift may be rounded to float32 first, an error of |d|·2^-24 in
                // the exponent; denormals are spaced 1.4e-45 apart
                double tol = (4e-7 + 0x1p-24 * Math.abs(d)) * ref + 1.5e-45;
                assertEquals(ref, e[i], tol, k.getClass().getSimpleName() + " e^" + d);
            }
            assertEquals(refTotal, total, (1e-6 + 0x1p-24 * 104) * refTotal + 1e-44, k.getClass().getSimpleName() + " Σ");
        }
    }

    @Test
    void expShiftedSpecialValues() {
        for (FloatRows.Kernels k : kernels()) {
            String who = k.getClass().getSimpleName();
            // 17 values so a 16-lane vector and its tail both see them
            float[] x = new float[17];
            x[0] = Float.NEGATIVE_INFINITY;        // a masked score: e^-inf = 0
            x[1] = -200f;                          // below -104: 0 in float32
            x[2] = 0f;
            x[16] = Float.NEGATIVE_INFINITY;       // in the tail
            double total = k.expShifted(x, 17, 0f);
            assertEquals(0f, x[0], who);
            assertEquals(0f, x[1], who);
            assertEquals(1f, x[2], who);
            assertEquals(0f, x[16], who);
            assertEquals(14.0, total, 1e-6, who);

            float[] nan = new float[17];
            nan[5] = Float.NaN;
            assertTrue(Double.isNaN(k.expShifted(nan, 17, 0f)), who + ": NaN must reach the sum");
            assertTrue(Float.isNaN(nan[5]), who);

            // every value -inf, shifted by their max (-inf): NaN, as softmax of an all -inf row is in PyTorch
            float[] allMasked = new float[20];
            java.util.Arrays.fill(allMasked, Float.NEGATIVE_INFINITY);
            assertTrue(Double.isNaN(k.expShifted(allMasked, 20, Float.NEGATIVE_INFINITY)), who);
        }
    }
}
