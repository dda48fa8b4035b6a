package io.carpathia.engine.optim;

import static io.carpathia.engine.optim.OptimTesting.backwardQuadratic;
import static io.carpathia.engine.optim.OptimTesting.grad;
import static io.carpathia.engine.optim.OptimTesting.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Three steps of each optimizer against PyTorch's update rules (torch.optim docs, "Algorithm" boxes), written out
 * per element in plain doubles, and a few steps worked by hand.
 */
class OptimizerFormulasTest {
    private static final double TOL = 1e-12;
    private static final double[] C0 = {2.0, -0.5, 1.5, 0.25};
    private static final double[] C1 = {0.7, 3.0};
    private static final double[] P0 = {1.0, -2.0, 0.5, 3.0};
    private static final double[] P1 = {-1.5, 0.25};

    // ------------------------------------------------------------------------------------------------ SGD

    /** PyTorch's SGD on one element sequence: state is the momentum buffer per element (NaN before step 1). */
    private static void sgdReference(double[] p, double[] g, double[] buf, boolean first, double lr, double momentum,
                                     double dampening, boolean nesterov, double wd) {
        for (int i = 0; i < p.length; i++) {
            double d = g[i];
            if (wd != 0) d = d + wd * p[i];
            if (momentum != 0) {
                if (first) buf[i] = d;
                else buf[i] = momentum * buf[i] + (1 - dampening) * d;
                if (nesterov) d = d + momentum * buf[i];
                else d = buf[i];
            }
            p[i] = p[i] - lr * d;
        }
    }

    @Test
    void sgdMatchesPytorchFormulasOverThreeSteps() {
        double[][] configs = {
            // momentum, dampening, nesterov (1/0), weight decay
            {0, 0, 0, 0}, {0, 0, 0, 0.1}, {0.9, 0, 0, 0}, {0.9, 0.1, 0, 0.01}, {0.8, 0, 1, 0}, {0.9, 0, 1, 0.05}};
        for (double[] cfg : configs) {
            Tensor a = param(P0);
            Tensor b = param(P1);
            SGD opt = new SGD(List.of(a, b), SGD.options().lr(0.1).momentum(cfg[0]).dampening(cfg[1])
                    .nesterov(cfg[2] == 1).weightDecay(cfg[3]));
            double[] ra = P0.clone();
            double[] rb = P1.clone();
            double[] bufA = new double[ra.length];
            double[] bufB = new double[rb.length];
            for (int step = 0; step < 3; step++) {
                backwardQuadratic(List.of(a, b), new double[][] {C0, C1});
                opt.step();
                opt.zeroGrad();
                sgdReference(ra, grad(C0, ra), bufA, step == 0, 0.1, cfg[0], cfg[1], cfg[2] == 1, cfg[3]);
                sgdReference(rb, grad(C1, rb), bufB, step == 0, 0.1, cfg[0], cfg[1], cfg[2] == 1, cfg[3]);
                String where = "config " + java.util.Arrays.toString(cfg) + " step " + (step + 1);
                assertArrayEquals(ra, a.toDoubleArray(), TOL, where);
                assertArrayEquals(rb, b.toDoubleArray(), TOL, where);
            }
        }
    }

    @Test
    void sgdMomentumAndNesterovByHand() {
        // p = 1, g = 2p, lr 0.1, momentum 0.9
        // classic: b = 2, p = 0.8;  g = 1.6, b = 3.4, p = 0.46;  g = 0.92, b = 3.98, p = 0.062
        Tensor p = param(1.0);
        SGD classic = new SGD(List.of(p), SGD.options().lr(0.1).momentum(0.9));
        double[] expected = {0.8, 0.46, 0.062};
        for (double e : expected) {
            backwardQuadratic(List.of(p), new double[][] {{2}});
            classic.step();
            classic.zeroGrad();
            assertEquals(e, p.item(), TOL);
        }
        // Nesterov: d = g + 0.9·b
        // b = 2, d = 3.8, p = 0.62;  g = 1.24, b = 3.04, d = 3.976, p = 0.2224;
        // g = 0.4448, b = 3.1808, d = 3.30752, p = -0.108352
        Tensor q = param(1.0);
        SGD nesterov = new SGD(List.of(q), SGD.options().lr(0.1).momentum(0.9).nesterov(true));
        for (double e : new double[] {0.62, 0.2224, -0.108352}) {
            backwardQuadratic(List.of(q), new double[][] {{2}});
            nesterov.step();
            nesterov.zeroGrad();
            assertEquals(e, q.item(), TOL);
        }
    }

    // ------------------------------------------------------------------------------------------------ Adam(W)

    /** PyTorch's Adam / AdamW on a sequence of elements; m and v are the moment buffers, t the step (from 1). */
    private static void adamReference(double[] p, double[] g, double[] m, double[] v, int t, double lr, double beta1,
                                      double beta2, double eps, double wd, boolean decoupled) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            if (decoupled) p[i] = p[i] * (1 - lr * wd);
            else if (wd != 0) gi = gi + wd * p[i];
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double mHat = m[i] / (1 - Math.pow(beta1, t));
            double vHat = v[i] / (1 - Math.pow(beta2, t));
            // written as torch computes it: step_size · m / (√v / √bias_correction2 + ε)
            double stepSize = lr / (1 - Math.pow(beta1, t));
            double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(beta2, t)) + eps;
            double update = stepSize * m[i] / denom;
            // the textbook form lr · m̂ / (√v̂ + ε) agrees with it
            assertEquals(lr * mHat / (Math.sqrt(vHat) + eps), update, 1e-12 * Math.max(1, Math.abs(update)));
            p[i] = p[i] - update;
        }
    }

    private static void checkAdam(boolean decoupled, double lr, double beta1, double beta2, double eps, double wd) {
        Tensor a = param(P0);
        Tensor b = param(P1);
        Adam.Options o = (decoupled ? AdamW.options() : Adam.options()).lr(lr).betas(beta1, beta2).eps(eps).weightDecay(wd);
        Optimizer opt = decoupled ? new AdamW(List.of(a, b), o) : new Adam(List.of(a, b), o);
        double[] ra = P0.clone();
        double[] rb = P1.clone();
        double[] ma = new double[4];
        double[] va = new double[4];
        double[] mb = new double[2];
        double[] vb = new double[2];
        for (int t = 1; t <= 3; t++) {
            backwardQuadratic(List.of(a, b), new double[][] {C0, C1});
            opt.step();
            opt.zeroGrad();
            adamReference(ra, grad(C0, ra), ma, va, t, lr, beta1, beta2, eps, wd, decoupled);
            adamReference(rb, grad(C1, rb), mb, vb, t, lr, beta1, beta2, eps, wd, decoupled);
            String where = opt.kind() + " wd " + wd + " step " + t;
            assertArrayEquals(ra, a.toDoubleArray(), TOL, where);
            assertArrayEquals(rb, b.toDoubleArray(), TOL, where);
            assertArrayEquals(ma, io.carpathia.engine.cpu.Native.toDoubles(opt.state(0, 0).buffer(0)), TOL, where);
            assertArrayEquals(vb, io.carpathia.engine.cpu.Native.toDoubles(opt.state(0, 1).buffer(1)), TOL, where);
            assertEquals(t, opt.state(0, 0).step());
        }
    }

    @Test
    void adamMatchesPytorchFormulasOverThreeSteps() {
        checkAdam(false, 0.1, 0.9, 0.999, 1e-8, 0);
        checkAdam(false, 0.05, 0.8, 0.95, 1e-3, 0.1);  // L2 decay added to the gradient
    }

    @Test
    void adamWMatchesPytorchFormulasOverThreeSteps() {
        checkAdam(true, 0.1, 0.9, 0.999, 1e-8, 0.01);
        checkAdam(true, 0.05, 0.8, 0.95, 1e-3, 0.5);   // strong decoupled decay
    }

    @Test
    void adamFirstStepByHand() {
        // step 1: m̂ = g and v̂ = g², so p moves by lr · g / (|g| + ε), whatever the betas
        Tensor p = param(1.0, -3.0);
        Adam adam = new Adam(List.of(p), Adam.options().lr(0.1).betas(0.8, 0.9).eps(1e-8));
        backwardQuadratic(List.of(p), new double[][] {{2, 0.5}}); // g = (2, -1.5)
        adam.step();
        assertEquals(1 - 0.1 * 2 / (2 + 1e-8), p.get(0), TOL);
        assertEquals(-3 + 0.1 * 1.5 / (1.5 + 1e-8), p.get(1), TOL);
        // AdamW with decay 0.5 first shrinks p by (1 - 0.1·0.5) = 0.95: 0.95 - 0.1·2/(2 + 1e-8)
        Tensor q = param(1.0);
        AdamW adamW = new AdamW(List.of(q), AdamW.options().lr(0.1).weightDecay(0.5));
        backwardQuadratic(List.of(q), new double[][] {{2}});
        adamW.step();
        assertEquals(0.95 - 0.1 * 2 / (2 + 1e-8), q.item(), TOL);
    }

    @Test
    void adamWWithDecayAndNoDecayGroups() {
        // what a model's namedParameters() gives: a matrix, a bias, a norm weight, and an embedding kept from decay
        Map<String, Tensor> named = new LinkedHashMap<>();
        named.put("fc.weight", Tensor.of(DataType.DOUBLE, new double[] {1, -2, 0.5, 3}, 2, 2).requiresGrad(true));
        named.put("fc.bias", param(-1.5, 0.25));
        named.put("ln.weight", param(1, 1));
        named.put("wpe.weight", Tensor.of(DataType.DOUBLE, new double[] {0.3, -0.7}, 1, 2).requiresGrad(true));
        Tensor frozen = Tensor.of(DataType.DOUBLE, new double[] {9, 9}, 1, 2);
        named.put("frozen.weight", frozen);
        List<ParamGroup> groups = ParamGroup.decayAndNoDecay(named, 0.1, "wpe.*");
        assertEquals("decay", groups.get(0).name());
        assertEquals(List.of(named.get("fc.weight")), groups.get(0).params());
        assertEquals(List.of(named.get("fc.bias"), named.get("ln.weight"), named.get("wpe.weight")),
                groups.get(1).params());
        assertEquals(0.0, groups.get(1).weightDecay());

        AdamW opt = new AdamW(groups, AdamW.options().lr(0.01));
        assertEquals(0.1, opt.paramGroups().get(0).weightDecay(), "a group's own setting wins over the default");
        assertEquals(0.01, opt.paramGroups().get(1).lr(), "unset settings come from the defaults");

        List<Tensor> params = List.of(named.get("fc.weight"), named.get("fc.bias"), named.get("ln.weight"),
                named.get("wpe.weight"));
        double[][] c = {{2, -0.5, 1.5, 0.25}, {0.7, 3}, {1, -1}, {0.4, 2}};
        double[][] ref = new double[4][];
        double[][] m = new double[4][];
        double[][] v = new double[4][];
        for (int k = 0; k < 4; k++) {
            ref[k] = params.get(k).toDoubleArray();
            m[k] = new double[ref[k].length];
            v[k] = new double[ref[k].length];
        }
        for (int t = 1; t <= 3; t++) {
            backwardQuadratic(params, c);
            opt.step();
            opt.zeroGrad();
            for (int k = 0; k < 4; k++) {
                double wd = k == 0 ? 0.1 : 0;
                adamReference(ref[k], grad(c[k], ref[k]), m[k], v[k], t, 0.01, 0.9, 0.999, 1e-8, wd, true);
                assertArrayEquals(ref[k], params.get(k).toDoubleArray(), TOL, "param " + k + " step " + t);
            }
        }
        assertArrayEquals(new double[] {9, 9}, frozen.toDoubleArray(), 0);
    }

    @Test
    void float32ParametersFollowTheSameRule() {
        Tensor p = param(DataType.FLOAT, P0);
        Adam adam = new Adam(List.of(p), Adam.options().lr(0.1));
        double[] ref = P0.clone();
        double[] m = new double[4];
        double[] v = new double[4];
        for (int t = 1; t <= 3; t++) {
            double[] before = p.toDoubleArray(); // the float32 values the gradient is computed from
            backwardQuadratic(List.of(p), new double[][] {C0});
            adam.step();
            adam.zeroGrad();
            ref = before;
            adamReference(ref, grad(C0, before), m, v, t, 0.1, 0.9, 0.999, 1e-8, 0, false);
            assertArrayEquals(ref, p.toDoubleArray(), 1e-6);
        }
        assertEquals(DataType.FLOAT, adam.state(0, 0).buffer(0).dataType());
    }

    // ------------------------------------------------------------------------------------------------ mechanics

    @Test
    void stateIsAllocatedOnceAndUpdatedInPlace() {
        Tensor p = param(P0);
        AdamW opt = new AdamW(List.of(p), 0.1);
        assertNull(opt.state(0, 0));
        backwardQuadratic(List.of(p), new double[][] {C0});
        opt.step();
        INDArray m = opt.state(0, 0).buffer(0);
        INDArray v = opt.state(0, 0).buffer(1);
        INDArray value = p.value();
        for (int i = 0; i < 3; i++) {
            opt.zeroGrad();
            backwardQuadratic(List.of(p), new double[][] {C0});
            opt.step();
        }
        assertSame(m, opt.state(0, 0).buffer(0));
        assertSame(v, opt.state(0, 0).buffer(1));
        assertSame(value, p.value(), "the parameter is updated in place");
        assertEquals(4, opt.state(0, 0).step());
    }

    @Test
    void parametersWithoutGradientOrFrozenAreSkipped() {
        Tensor used = param(1.0);
        Tensor unused = param(5.0);
        Tensor frozenLater = param(2.0);
        SGD opt = new SGD(List.of(used, unused, frozenLater), SGD.options().lr(0.1).momentum(0.9));
        backwardQuadratic(List.of(used, frozenLater), new double[][] {{1}, {1}});
        frozenLater.requiresGrad(false);
        opt.step();
        assertEquals(0.9, used.item(), TOL);
        assertEquals(5.0, unused.item(), 0);
        assertEquals(2.0, frozenLater.item(), 0);
        assertNull(opt.state(0, 1));
        assertNull(opt.state(0, 2));
        opt.zeroGrad();
        assertNull(used.grad());
    }

    @Test
    void settingsAreCheckedWithClearMessages() {
        Tensor p = param(1.0);
        Tensor q = param(2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(List.of(ParamGroup.of(List.of(p)).set("beta_1", 0.9)), AdamW.options()));
        assertTrue(e.getMessage().contains("unknown setting 'beta_1'") && e.getMessage().contains("beta1"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Adam(List.of(ParamGroup.of(List.of(p)), ParamGroup.of(List.of(q, p))), Adam.options()));
        assertTrue(e.getMessage().contains("one group only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(p), SGD.options().momentum(0.9).dampening(0.1).nesterov(true)));
        assertTrue(e.getMessage().contains("Nesterov"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), Adam.options().betas(0.9, 1.0)));
        assertTrue(e.getMessage().contains("beta2 must be [0.0, 1.0)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), -0.1));
        assertTrue(e.getMessage().contains("lr"), e.getMessage());
        Tensor made = p.mul(2);
        e = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(made), 0.1));
        assertTrue(e.getMessage().contains("leaf"), e.getMessage());
    }
}
