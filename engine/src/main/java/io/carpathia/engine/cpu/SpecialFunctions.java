package io.carpathia.engine.cpu;

/** Functions java.lang.Math lacks. */
public final class SpecialFunctions {
    private SpecialFunctions() {}

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /**
     * The error function to about 1e-15: its Maclaurin series below |x| = 2.5 (at most ~60 terms, alternating but
     * with no catastrophic loss in that range), and 1 - erfc(x) from erfc's continued fraction above.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2.5) {
            // erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
            double x2 = x * x;
            double term = x;
            double sum = x;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            return TWO_OVER_SQRT_PI * sum;
        }
        if (ax > 6) return Math.signum(x);
        double erfc = erfcContinuedFraction(ax);
        return Math.signum(x) * (1 - erfc);
    }

    /** erfc(x) for x ≥ 2.5: e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), by modified Lentz. */
    private static double erfcContinuedFraction(double x) {
        double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int k = 1; k < 300; k++) {
            double a = k / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }

    /**
     * tanh to about 1e-15 absolute, through {@link Math#exp} (a JIT intrinsic). JDK 17's {@link Math#tanh} is a
     * native fdlibm call per element, which took half a GPT training step's native time; float32 tensors use this.
     */
    public static double tanhFast(double x) {
        double ax = Math.abs(x);
        double t;
        if (ax < 1e-4) {
            t = ax - ax * ax * ax / 3;              // the next term, 2x⁵/15, is below 1e-21
        } else if (ax > 19) {
            t = 1;                                  // 1 - tanh(19) < 1e-16
        } else {
            double e = Math.exp(-2 * ax);
            t = (1 - e) / (1 + e);
        }
        return x < 0 ? -t : t;
    }

    /**
     * The error function to 1.5e-7 absolute (Abramowitz and Stegun 7.1.26): below float32's resolution of values
     * near 1, so float32 tensors use it.
     */
    public static double erfFast(double x) {
        double ax = Math.abs(x);
        double t = 1 / (1 + 0.3275911 * ax);
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                * t * Math.exp(-ax * ax);
        return x < 0 ? -y : y;
    }
}
