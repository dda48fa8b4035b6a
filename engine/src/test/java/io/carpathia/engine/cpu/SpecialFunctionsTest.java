package io.carpathia.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The vectorised array functions against java.lang.Math, and the four-way row reductions against plain loops. */
class SpecialFunctionsTest {

    private static double[] around(double x) {
        // the value itself, its neighbours, and a chunk's worth of copies so the vectorised loop body runs too
        double[] a = new double[37];
        for (int i = 0; i < a.length; i++) a[i] = x * (1 + (i - 18) * 1e-3);
        return a;
    }

    @Property
    void expIsWithin5e12OfMath(@ForAll @DoubleRange(min = -104, max = 88.7) double x) {
        double[] a = around(x);
        double[] e = a.clone();
        SpecialFunctions.exp(e, e.length);
        for (int i = 0; i < a.length; i++) {
            double ref = Math.exp(Math.max(a[i], -104));
            assertEquals(ref, e[i], 5e-12 * ref, "exp(" + a[i] + ")");
        }
    }

    @Property
    void expm1IsRelativelyAccurateEvenNearZero(@ForAll @DoubleRange(min = -30, max = 30) double x,
                                               @ForAll @IntRange(min = 0, max = 300) int shrink) {
        assertRelativelyClose(SpecialFunctions::expm1, Math::expm1, "expm1", x * Math.pow(2, -shrink));
    }

    @Property
    void tanhIsRelativelyAccurate(@ForAll @DoubleRange(min = -30, max = 30) double x,
                                  @ForAll @IntRange(min = 0, max = 300) int shrink) {
        assertRelativelyClose(SpecialFunctions::tanh, Math::tanh, "tanh", x * Math.pow(2, -shrink));
    }

    /** The array function on values around x against java.lang.Math, to 5e-12 relative. */
    private static void assertRelativelyClose(java.util.function.ObjIntConsumer<double[]> f,
                                              java.util.function.DoubleUnaryOperator reference, String name,
                                              double x) {
        double[] a = around(x);
        double[] y = a.clone();
        f.accept(y, y.length);
        for (int i = 0; i < a.length; i++) {
            double ref = reference.applyAsDouble(a[i]);
            assertEquals(ref, y[i], 5e-12 * Math.abs(ref), name + "(" + a[i] + ")");
        }
    }

    @Test
    void specialValues() {
        double[] x = {Double.NEGATIVE_INFINITY, -1e300, -104.5, 0.0, -0.0, 710, Double.POSITIVE_INFINITY, Double.NaN};
        double[] e = x.clone();
        SpecialFunctions.exp(e, e.length);
        // below -104 e^x is under float32's smallest subnormal: e^-104 = 6.8e-46 rounds to 0 there
        assertEquals(0f, (float) e[0]);
        assertEquals(0f, (float) e[1]);
        assertEquals(0f, (float) e[2]);
        assertEquals(1.0, e[3]);
        assertEquals(1.0, e[4]);
        assertEquals(Double.POSITIVE_INFINITY, e[5]);
        assertEquals(Double.POSITIVE_INFINITY, e[6]);
        assertTrue(Double.isNaN(e[7]));

        double[] m = x.clone();
        SpecialFunctions.expm1(m, m.length);
        assertEquals(-1.0, m[0]);
        assertEquals(0.0, m[3]);
        assertEquals(Double.POSITIVE_INFINITY, m[6]);
        assertTrue(Double.isNaN(m[7]));

        double[] t = x.clone();
        SpecialFunctions.tanh(t, t.length);
        assertEquals(-1.0, t[0]);
        assertEquals(-1.0, t[1]);
        assertEquals(0.0, t[3]);
        assertEquals(1.0, t[5]);
        assertEquals(1.0, t[6]);
        assertTrue(Double.isNaN(t[7]));
    }

    @Property
    void rowReductionsMatchPlainLoops(@ForAll @IntRange(min = 0, max = 40) int n, @ForAll long seed) {
        java.util.Random r = new java.util.Random(seed);
        double[] x = new double[n + 3];
        double[] y = new double[n + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextGaussian();
            y[i] = r.nextGaussian();
        }
        double sum = 0, dot = 0, max = Double.NEGATIVE_INFINITY, scale = 0;
        for (int i = 0; i < n; i++) {
            sum += x[i];
            dot += x[i] * y[i];
            max = Math.max(max, x[i]);
            scale += Math.abs(x[i] * y[i]) + Math.abs(x[i]);
        }
        // only the order of the additions differs: within a few roundings of the inputs' magnitude
        assertEquals(sum, Rows.sum(x, n), 1e-15 * scale);
        assertEquals(dot, Rows.dot(x, y, n), 1e-15 * scale);
        assertEquals(max, Rows.max(x, n));
    }

    @Test
    void rowMaxPropagatesNaN() {
        assertTrue(Double.isNaN(Rows.max(new double[] {1, 2, Double.NaN, 3, 4, 5}, 6)));
        assertTrue(Double.isNaN(Rows.max(new double[] {1, 2, 3, 4, 5, Double.NaN}, 6)));
    }
}
