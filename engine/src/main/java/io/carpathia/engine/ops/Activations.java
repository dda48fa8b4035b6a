package io.carpathia.engine.ops;

import static io.carpathia.engine.ops.Arithmetic.temp;
import static io.carpathia.engine.ops.Arithmetic.unaryResult;

import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
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
            for (int i = 0; i < n; i++) v[i] = precise ? Math.tanh(v[i]) : SpecialFunctions.tanhFast(v[i]);
        });
        Autograd.record(out, "tanh", g -> {
            // d tanh(x)/dx = 1 - tanh²(x)
            INDArray gx = temp(g);
            Chunks.zip(g, out.value(), gx, (gg, t, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= 1 - t[i] * t[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** σ(x) = 1 / (1 + e^-x) */
    public static Tensor sigmoid(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
        });
        Autograd.record(out, "sigmoid", g -> {
            // dσ/dx = σ(1 - σ)
            INDArray gx = temp(g);
            Chunks.zip(g, out.value(), gx, (gg, s, n) -> {
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
        });
        Autograd.record(out, "relu", g -> {
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] = v[i] > 0 ? gg[i] : 0;
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** Exact GELU: x · Φ(x), Φ the standard normal CDF = (1 + erf(x/√2)) / 2 (PyTorch's gelu, HF's "gelu"). */
    public static Tensor gelu(Tensor x) {
        Tensor out = unaryResult(x);
        // erf to the precision of the dtype: a 1.5e-7 approximation is exact for float32 storage
        boolean precise = out.dtype() == DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) {
                double e = precise ? SpecialFunctions.erf(v[i] * INV_SQRT_2) : SpecialFunctions.erfFast(v[i] * INV_SQRT_2);
                v[i] = 0.5 * v[i] * (1 + e);
            }
        });
        Autograd.record(out, "gelu", g -> {
            // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(-x²/2) / √(2π)
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) {
                    double xv = v[i];
                    double e = precise ? SpecialFunctions.erf(xv * INV_SQRT_2) : SpecialFunctions.erfFast(xv * INV_SQRT_2);
                    double cdf = 0.5 * (1 + e);
                    double pdf = INV_SQRT_2PI * Math.exp(-0.5 * xv * xv);
                    gg[i] *= cdf + xv * pdf;
                }
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** GELU's tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) — GPT-2's "gelu_new". */
    public static Tensor geluTanh(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) {
                double xv = v[i];
                double u = SQRT_2_OVER_PI * (xv + GELU_TANH_C * xv * xv * xv);
                v[i] = 0.5 * xv * (1 + (precise ? Math.tanh(u) : SpecialFunctions.tanhFast(u)));
            }
        });
        Autograd.record(out, "gelu_tanh", g -> {
            // with u = √(2/π)(x + c·x³), t = tanh(u):
            // d/dx = ½(1 + t) + ½x(1 - t²)·√(2/π)(1 + 3c·x²)
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) {
                    double xv = v[i];
                    double u = SQRT_2_OVER_PI * (xv + GELU_TANH_C * xv * xv * xv);
                    double t = precise ? Math.tanh(u) : SpecialFunctions.tanhFast(u);
                    double du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * xv * xv);
                    gg[i] *= 0.5 * (1 + t) + 0.5 * xv * (1 - t * t) * du;
                }
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }
}
