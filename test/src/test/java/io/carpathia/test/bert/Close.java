package io.carpathia.test.bert;

/** Element-wise comparison that reports the worst difference and where it is. */
final class Close {
    private Close() {}

    /** The largest |a - e|; throws naming the element when it exceeds {@code tol} (or a value is NaN). */
    static double assertWithin(String what, double[] expected, double[] actual, double tol) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        if (worst > tol) {
            throw new AssertionError(what + ": element " + at + " is " + actual[at] + ", expected " + expected[at]
                    + " (|diff| " + worst + " > " + tol + ")");
        }
        return worst;
    }

    static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
