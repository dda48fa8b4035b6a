package io.carpathia.engine.ops;

import static io.carpathia.engine.ops.Arithmetic.temp;
import static io.carpathia.engine.ops.Arithmetic.unaryResult;

import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Node;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.FloatRows;
import io.carpathia.engine.cpu.SpecialFunctions;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Nonlinearities, each with its derivative beside it. */
public final class Activations {
    private Activations() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    private static final double GELU_TANH_C = 0.044715;

    /** tanh(x) */
    public static Tensor tanh(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            if (precise) {
                for (int i = 0; i < n; i++) v[i] = Math.tanh(v[i]);
            } else {
                SpecialFunctions.tanh(v, n);
            }
        }, FloatRows::tanh);
        Autograd.record(out, "tanh", g -> {
            // d tanh(x)/dx = 1 - tanh²(x)
            INDArray gx = temp(g);
            Chunks.zip(g, out.value(), gx, (gg, t, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= 1 - t[i] * t[i];
            }, (gg, t, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= 1 - t[i] * t[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** σ(x) = 1 / (1 + e^-x) */
    public static Tensor sigmoid(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            if (precise) {
                for (int i = 0; i < n; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
            } else {
                for (int i = 0; i < n; i++) v[i] = -v[i];
                SpecialFunctions.exp(v, n);
                for (int i = 0; i < n; i++) v[i] = 1 / (1 + v[i]);
            }
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = -v[i];
            FloatRows.exp(v, n);
            for (int i = 0; i < n; i++) v[i] = 1 / (1 + v[i]);
        });
        Autograd.record(out, "sigmoid", g -> {
            // dσ/dx = σ(1 - σ)
            INDArray gx = temp(g);
            Chunks.zip(g, out.value(), gx, (gg, s, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= s[i] * (1 - s[i]);
            }, (gg, s, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= s[i] * (1 - s[i]);
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** max(0, x) (gradient 0 at 0, as in PyTorch) */
    public static Tensor relu(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = v[i] > 0 ? v[i] : 0;
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = v[i] > 0 ? v[i] : 0;
        });
        Autograd.record(out, "relu", g -> {
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] = v[i] > 0 ? gg[i] : 0;
            }, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] = v[i] > 0 ? gg[i] : 0;
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** Exact GELU: x · Φ(x), Φ the standard normal CDF = (1 + erf(x/√2)) / 2 (PyTorch's gelu, HF's "gelu"). */
    public static Tensor gelu(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            if (precise) {
                for (int i = 0; i < n; i++) v[i] *= 0.5 * (1 + SpecialFunctions.erf(v[i] * INV_SQRT_2));
                return;
            }
            double[] gauss = gaussians(v, n);
            for (int i = 0; i < n; i++) v[i] *= normalCdf(v[i], gauss[i]);
        }, (v, n) -> {
            float[] gauss = gaussians(v, n);
            for (int i = 0; i < n; i++) v[i] *= normalCdf(v[i], gauss[i]);
        });
        Autograd.record(out, "gelu", g -> {
            // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(-x²/2) / √(2π)
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                if (precise) {
                    for (int i = 0; i < n; i++) {
                        double cdf = 0.5 * (1 + SpecialFunctions.erf(v[i] * INV_SQRT_2));
                        gg[i] *= cdf + v[i] * INV_SQRT_2PI * Math.exp(-0.5 * v[i] * v[i]);
                    }
                    return;
                }
                double[] gauss = gaussians(v, n);
                for (int i = 0; i < n; i++) gg[i] *= normalCdf(v[i], gauss[i]) + v[i] * INV_SQRT_2PI * gauss[i];
            }, (gg, v, n) -> {
                float[] gauss = gaussians(v, n);
                float c = (float) INV_SQRT_2PI;
                for (int i = 0; i < n; i++) gg[i] *= normalCdf(v[i], gauss[i]) + v[i] * c * gauss[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** GELU's tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) — GPT-2's "gelu_new". */
    public static Tensor geluTanh(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == DataType.DOUBLE;
        if (!Autograd.needsGrad(x)) {
            Chunks.map(x.value(), out.value(), (v, n) -> {
                double[] s = onePlusTanh(v, n, precise);
                for (int i = 0; i < n; i++) v[i] *= 0.5 * s[i];
            }, (v, n) -> {
                float[] s = Chunks.floatScratch(n);
                System.arraycopy(v, 0, s, 0, n);
                onePlusTanh(s, n);
                for (int i = 0; i < n; i++) v[i] *= 0.5f * s[i];
            });
            return out;
        }
        // s = 1 + tanh(u) is kept for the backward, which then needs no transcendental function at all. It is kept
        // rather than tanh(u) itself: where tanh(u) is near -1 (the negative tail), 1 + tanh(u) computed from a
        // float32 tanh would lose most of its digits, and both passes need exactly that difference
        INDArray onePlusTanh = Autograd.temp(out.dtype(), x.shape());
        Chunks.map(x.value(), onePlusTanh, (v, n) -> {
            double[] s = onePlusTanh(v, n, precise);
            System.arraycopy(s, 0, v, 0, n);
        }, Activations::onePlusTanh);
        Chunks.zip(x.value(), onePlusTanh, out.value(), (v, p, n) -> {
            for (int i = 0; i < n; i++) v[i] *= 0.5 * p[i];
        }, (v, p, n) -> {
            for (int i = 0; i < n; i++) v[i] *= 0.5f * p[i];
        });
        Node node = Autograd.record(out, "gelu_tanh", g -> {
            // with u = √(2/π)(x + c·x³), t = tanh(u), s = 1 + t, so that 1 - t² = s·(2 - s):
            // d/dx = ½s + ½x·s·(2 - s)·√(2/π)(1 + 3c·x²)
            INDArray gx = temp(g);
            float r = (float) SQRT_2_OVER_PI;
            float c3 = (float) (3 * GELU_TANH_C);
            Chunks.zip3(g, x.value(), onePlusTanh, gx, (gg, v, p, n) -> {
                for (int i = 0; i < n; i++) {
                    double du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * v[i] * v[i]);
                    gg[i] *= 0.5 * p[i] + 0.5 * v[i] * p[i] * (2 - p[i]) * du;
                }
            }, (gg, v, p, n) -> {
                for (int i = 0; i < n; i++) {
                    float du = r * (1 + c3 * v[i] * v[i]);
                    gg[i] *= 0.5f * p[i] + 0.5f * v[i] * p[i] * (2 - p[i]) * du;
                }
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        Autograd.saveOrRelease(node, onePlusTanh);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers
    // The float32 paths compute a whole chunk's exponentials at once with SpecialFunctions' array functions, which
    // the JIT vectorises; float64 keeps java.lang.Math per element.

    /**
     * 1 + tanh(u), u = √(2/π)(x + c·x³), for a chunk of x, in the chunk's scratch array, as 2 / (1 + e^(−2u)):
     * relatively accurate in the negative tail too, where 1 + tanh(u) cancels to 0 (in double already below
     * x ≈ −7.3, where GELU is still 1e-24).
     */
    private static double[] onePlusTanh(double[] x, int n, boolean precise) {
        double[] t = Chunks.scratch(n);
        for (int i = 0; i < n; i++) t[i] = -2 * SQRT_2_OVER_PI * (x[i] + GELU_TANH_C * x[i] * x[i] * x[i]);
        if (precise) {
            for (int i = 0; i < n; i++) t[i] = Math.exp(t[i]);
        } else {
            SpecialFunctions.exp(t, n);
        }
        for (int i = 0; i < n; i++) t[i] = 2 / (1 + t[i]);
        return t;
    }

    /**
     * x[i] = 1 + tanh(u), u = √(2/π)(x + c·x³), for a float32 chunk, as 2 / (1 + e^(−2u)): relatively accurate
     * also in the negative tail, where 1 + a float32 tanh(u) ≈ −1 would keep few digits.
     */
    private static void onePlusTanh(float[] x, int n) {
        float minus2r = (float) (-2 * SQRT_2_OVER_PI);
        float c = (float) GELU_TANH_C;
        for (int i = 0; i < n; i++) x[i] = minus2r * (x[i] + c * x[i] * x[i] * x[i]);
        FloatRows.exp(x, n);
        for (int i = 0; i < n; i++) x[i] = 2 / (1 + x[i]);
    }

    /** e^(-x²/2) for a float32 chunk, in the chunk's float scratch array. */
    private static float[] gaussians(float[] x, int n) {
        float[] e = Chunks.floatScratch(n);
        for (int i = 0; i < n; i++) e[i] = -0.5f * x[i] * x[i];
        FloatRows.exp(e, n);
        return e;
    }

    /**
     * {@link #normalCdf(double, double)} in float32. Φ is formed from h = erfc/2 as h (x < 0) or 1 − h (x > 0),
     * not as ½(1 ± (1 − erfc)): in float32, 1 − erfc would lose a small erfc of the negative tail.
     */
    private static float normalCdf(float x, float gauss) {
        float t = 1 / (1 + (float) (0.3275911 * INV_SQRT_2) * Math.abs(x));
        float h = 0.5f * ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t
                + 0.254829592f) * t * gauss;
        float step = 0.5f + 0.5f * (x / Math.max(Math.abs(x), Float.MIN_NORMAL)); // 1, ½ at 0, 0
        return h + step * (1 - 2 * h);
    }

    /** e^(-x²/2) for a chunk of x, in the chunk's scratch array: Φ (through erf) and φ both need it. */
    private static double[] gaussians(double[] x, int n) {
        double[] e = Chunks.scratch(n);
        for (int i = 0; i < n; i++) e[i] = -0.5 * x[i] * x[i];
        SpecialFunctions.exp(e, n);
        return e;
    }

    /**
     * Φ(x) to 1.5e-7 absolute — below float32's resolution of values near 1 — given {@code gauss} = e^(-x²/2):
     * erf by Abramowitz and Stegun 7.1.26, erf(z) = 1 − t·P(t)·e^(−z²) with t = 1 / (1 + 0.3275911·z), z = |x|/√2.
     */
    private static double normalCdf(double x, double gauss) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x) * INV_SQRT_2);
        double erfc = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                * t * gauss;
        double sign = x / Math.max(Math.abs(x), Double.MIN_NORMAL); // ±1, and 0 at x = 0 where erf is 0
        return 0.5 * (1 + sign * (1 - erfc));
    }
}
