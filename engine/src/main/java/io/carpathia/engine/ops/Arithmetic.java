package io.carpathia.engine.ops;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Autograd;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Chunks;
import io.carpathia.engine.cpu.SpecialFunctions;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Elementwise arithmetic with NumPy broadcasting. Each op computes its output, then records its backward right
 * below: the local derivative times the incoming gradient {@code g}. Gradients of broadcast inputs are summed back
 * to the input's shape by {@link Autograd#accumulate}.
 */
public final class Arithmetic {
    private Arithmetic() {}

    /** a + b */
    public static Tensor add(Tensor a, Tensor b) {
        Tensor out = binaryResult("add", a, b);
        Chunks.zip(a.value(), b.value(), out.value(), (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] += y[i];
        }, (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] += y[i];
        });
        Autograd.record(out, "add", g -> {
            // d(a+b)/da = d(a+b)/db = 1
            Autograd.accumulate(a, g, false);
            Autograd.accumulate(b, g, false);
        }, a, b);
        return out;
    }

    /** a - b */
    public static Tensor sub(Tensor a, Tensor b) {
        Tensor out = binaryResult("sub", a, b);
        Chunks.zip(a.value(), b.value(), out.value(), (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] -= y[i];
        }, (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] -= y[i];
        });
        Autograd.record(out, "sub", g -> {
            // d(a-b)/da = 1, d(a-b)/db = -1
            Autograd.accumulate(a, g, false);
            if (b.requiresGrad()) Autograd.accumulate(b, scaled(g, -1), true);
        }, a, b);
        return out;
    }

    /** a * b */
    public static Tensor mul(Tensor a, Tensor b) {
        Tensor out = binaryResult("mul", a, b);
        Chunks.zip(a.value(), b.value(), out.value(), (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] *= y[i];
        }, (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] *= y[i];
        });
        Autograd.record(out, "mul", g -> {
            // d(a*b)/da = b, d(a*b)/db = a
            if (a.requiresGrad()) Autograd.accumulate(a, product(g, b.value()), true);
            if (b.requiresGrad()) Autograd.accumulate(b, product(g, a.value()), true);
        }, a, b);
        return out;
    }

    /** a / b */
    public static Tensor div(Tensor a, Tensor b) {
        Tensor out = binaryResult("div", a, b);
        Chunks.zip(a.value(), b.value(), out.value(), (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] /= y[i];
        }, (x, y, n) -> {
            for (int i = 0; i < n; i++) x[i] /= y[i];
        });
        Autograd.record(out, "div", g -> {
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -out/b
            if (a.requiresGrad()) {
                INDArray ga = temp(g);
                Chunks.zip(g, b.value(), ga, (x, y, n) -> {
                    for (int i = 0; i < n; i++) x[i] /= y[i];
                }, (x, y, n) -> {
                    for (int i = 0; i < n; i++) x[i] /= y[i];
                });
                Autograd.accumulate(a, ga, true);
            }
            if (b.requiresGrad()) {
                INDArray gb = temp(g);
                Chunks.zip3(g, out.value(), b.value(), gb, (x, q, y, n) -> {
                    for (int i = 0; i < n; i++) x[i] = -x[i] * q[i] / y[i];
                }, (x, q, y, n) -> {
                    for (int i = 0; i < n; i++) x[i] = -x[i] * q[i] / y[i];
                });
                Autograd.accumulate(b, gb, true);
            }
        }, a, b);
        return out;
    }

    /** x + c */
    public static Tensor add(Tensor x, double c) {
        Tensor out = unaryResult(x);
        float cf = (float) c;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] += c;
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] += cf;
        });
        Autograd.record(out, "add_scalar", g -> Autograd.accumulate(x, g, false), x);
        return out;
    }

    /** x * c */
    public static Tensor mul(Tensor x, double c) {
        Tensor out = unaryResult(x);
        float cf = (float) c;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] *= c;
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] *= cf;
        });
        Autograd.record(out, "mul_scalar", g -> Autograd.accumulate(x, scaled(g, c), true), x);
        return out;
    }

    /** -x */
    public static Tensor neg(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = -v[i];
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = -v[i];
        });
        Autograd.record(out, "neg", g -> Autograd.accumulate(x, scaled(g, -1), true), x);
        return out;
    }

    /** x ^ p for a constant exponent p */
    public static Tensor pow(Tensor x, double p) {
        Tensor out = unaryResult(x);
        if (p == 2) {
            Chunks.map(x.value(), out.value(), (v, n) -> {
                for (int i = 0; i < n; i++) v[i] *= v[i];
            });
        } else {
            Chunks.map(x.value(), out.value(), (v, n) -> {
                for (int i = 0; i < n; i++) v[i] = Math.pow(v[i], p);
            });
        }
        Autograd.record(out, "pow", g -> {
            // d(x^p)/dx = p · x^(p-1)
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= p == 2 ? 2 * v[i] : p * Math.pow(v[i], p - 1);
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** e^x */
    public static Tensor exp(Tensor x) {
        Tensor out = unaryResult(x);
        boolean precise = out.dtype() == org.nd4j.linalg.api.buffer.DataType.DOUBLE;
        Chunks.map(x.value(), out.value(), (v, n) -> {
            if (precise) {
                for (int i = 0; i < n; i++) v[i] = Math.exp(v[i]);
            } else {
                SpecialFunctions.exp(v, n);
            }
        }, io.carpathia.engine.cpu.FloatRows::exp);
        // d(e^x)/dx = e^x, the output itself
        Autograd.record(out, "exp", g -> Autograd.accumulate(x, product(g, out.value()), true), x);
        return out;
    }

    /** natural logarithm */
    public static Tensor log(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = Math.log(v[i]);
        });
        Autograd.record(out, "log", g -> {
            // d(ln x)/dx = 1/x
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] /= v[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** square root */
    public static Tensor sqrt(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = Math.sqrt(v[i]);
        });
        Autograd.record(out, "sqrt", g -> {
            // d(√x)/dx = 1 / (2√x)
            INDArray gx = temp(g);
            Chunks.zip(g, out.value(), gx, (gg, s, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= 0.5 / s[i];
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    /** |x| (its gradient at 0 is 0, as in PyTorch) */
    public static Tensor abs(Tensor x) {
        Tensor out = unaryResult(x);
        Chunks.map(x.value(), out.value(), (v, n) -> {
            for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]);
        });
        Autograd.record(out, "abs", g -> {
            INDArray gx = temp(g);
            Chunks.zip(g, x.value(), gx, (gg, v, n) -> {
                for (int i = 0; i < n; i++) gg[i] *= Math.signum(v[i]);
            });
            Autograd.accumulate(x, gx, true);
        }, x);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Tensor binaryResult(String op, Tensor a, Tensor b) {
        return Autograd.result(Autograd.floatType(a, b), Shapes.broadcast(op, a.shape(), b.shape()));
    }

    static Tensor unaryResult(Tensor x) {
        return Autograd.result(Autograd.floatType(x), x.shape());
    }

    /** A pooled array shaped like {@code like}. */
    static INDArray temp(INDArray like) {
        return Autograd.temp(like.dataType(), like.shape());
    }

    /** g · c, as a new pooled array. */
    static INDArray scaled(INDArray g, double c) {
        INDArray r = temp(g);
        float cf = (float) c;
        Chunks.map(g, r, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] *= c;
        }, (v, n) -> {
            for (int i = 0; i < n; i++) v[i] *= cf;
        });
        return r;
    }

    /** g · y elementwise (y broadcast to g's shape), as a new pooled array. */
    static INDArray product(INDArray g, INDArray y) {
        INDArray r = temp(g);
        Chunks.zip(g, y, r, (a, b, n) -> {
            for (int i = 0; i < n; i++) a[i] *= b[i];
        }, (a, b, n) -> {
            for (int i = 0; i < n; i++) a[i] *= b[i];
        });
        return r;
    }
}
