package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.optim.SGD;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The GPU's copies of parameters: made once, served while the parameter is unchanged, refreshed after every write
 * the engine makes (optimizer step, state-dict load, assign, a marked hand-written write), never made for arrays
 * that are not parameters, and freed with the parameter. "Stale" is checked by value: a product that used an old
 * copy would give the old product, which these tests tell apart from the new one.
 */
class ParameterCacheTest {

    /** A two-layer perceptron: x [B, 6] -> [B, 5] -> tanh -> [B, 3]. */
    static final class Mlp extends Module {
        final Linear first;
        final Linear second;

        Mlp(Random rng) {
            first = registerModule("first", new Linear(6, 5, rng));
            second = registerModule("second", new Linear(5, 3, rng));
        }

        @Override
        public Tensor forward(Tensor x) {
            return emit(second.forward(first.forward(x).tanh()), x);
        }
    }

    private static final Tensor X = Tensor.randn(new Random(1), 4, 6);

    /** The model's output for X on a device, as plain doubles. */
    private static double[] outputOn(Device device, Module model) {
        try (Device.Use on = device.use(); GradMode off = GradMode.off(); Scope scope = Scope.open()) {
            return model.forward(X).toDoubleArray();
        }
    }

    private static void assertClose(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void parametersAreCopiedOnceAndServedWhileUnchanged() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(2));
        double[] cpu = outputOn(Device.cpu(), model);
        assertClose(cpu, outputOn(gpu, model));
        Device.CacheStatistics first = gpu.cacheStatistics();
        assertEquals(2, first.uploads());               // the two weights (the biases are not matrix operands)
        assertEquals(2, first.entries());
        assertEquals((5 * 6 + 3 * 5) * 4, first.bytes());
        assertEquals(2, first.operandCopies());         // x and the hidden activations: copied for each product
        assertClose(cpu, outputOn(gpu, model));
        assertClose(cpu, outputOn(gpu, model));
        Device.CacheStatistics later = gpu.cacheStatistics();
        assertEquals(2, later.uploads());
        assertEquals(0, later.refreshes());
        assertEquals(4, later.hits());
        assertEquals(6, later.operandCopies());
    }

    @Test
    void forwardAndBackwardOfAStepShareOneCopy() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(3));
        Tensor x = Tensor.randn(new Random(1), 4, 6).requiresGrad(true);
        try (Device.Use on = gpu.use(); Scope scope = Scope.open()) {
            model.forward(x).sum().backward();   // each weight: forward x·Wᵀ and backward dy·W
        }
        Device.CacheStatistics s = gpu.cacheStatistics();
        assertEquals(2, s.uploads());
        assertEquals(2, s.hits());
    }

    @Test
    void anOptimizerStepRefreshesTheCopies() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(4));
        SGD sgd = new SGD(model.parameters(), 0.5);
        double[] before = outputOn(gpu, model);
        try (Scope scope = Scope.open()) {
            model.forward(X).pow(2).sum().backward();   // gradients on the CPU
        }
        sgd.step();
        double[] cpuAfter = outputOn(Device.cpu(), model);
        assertFalse(java.util.Arrays.equals(before, cpuAfter), "the step must change the output for this test");
        assertClose(cpuAfter, outputOn(gpu, model));
        assertEquals(2, gpu.cacheStatistics().refreshes());
    }

    @Test
    void loadingAStateDictRefreshesTheCopies() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(5));
        Mlp other = new Mlp(new Random(6));
        outputOn(gpu, model);
        model.loadStateDict(other.stateDict(), true);
        assertClose(outputOn(Device.cpu(), other), outputOn(gpu, model));
        assertEquals(2, gpu.cacheStatistics().refreshes());
    }

    @Test
    void assignRefreshesTheCopy() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(7));
        outputOn(gpu, model);
        model.first.weight().assign(Tensor.randn(new Random(8), 5, 6).value());
        assertClose(outputOn(Device.cpu(), model), outputOn(gpu, model));
        assertEquals(1, gpu.cacheStatistics().refreshes());
    }

    @Test
    void aHandWrittenWriteIsServedFreshOnceMarked() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(9));
        outputOn(gpu, model);
        INDArray w = model.second.weight().value();
        Native.View view = Native.view(w);
        for (long i = 0; i < view.length; i++) view.set(i, -view.get(i));
        ParameterVersions.changed(w);
        assertClose(outputOn(Device.cpu(), model), outputOn(gpu, model));
        assertEquals(1, gpu.cacheStatistics().refreshes());
    }

    @Test
    void arraysThatAreNotParametersAreCopiedForEveryProduct() throws Exception {
        // a plain tensor, written in place between products without any marking: never cached, so never stale
        Device gpu = FakeGpu.device("cuda:fake");
        Tensor a = Tensor.randn(new Random(10), 3, 4);
        Tensor b = Tensor.randn(new Random(11), 4, 2);
        assertFalse(ParameterVersions.isTracked(a.value()));
        for (int round = 0; round < 3; round++) {
            double[] cpu = a.matmul(b).toDoubleArray();
            try (Device.Use on = gpu.use()) {
                assertClose(cpu, a.matmul(b).toDoubleArray());
            }
            Native.View view = Native.view(b.value());
            for (long i = 0; i < view.length; i++) view.set(i, view.get(i) + 1);
        }
        Device.CacheStatistics s = gpu.cacheStatistics();
        assertEquals(0, s.entries());
        assertEquals(0, s.uploads());
        assertEquals(6, s.operandCopies());
    }

    @Test
    void trainingOnTheGpuFollowsTrainingOnTheCpu() throws Exception {
        // AdamW changes every weight every step: a product that used last step's copy would bend the trajectory
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp onCpu = new Mlp(new Random(12));
        Mlp onGpu = new Mlp(new Random(12));
        AdamW cpuOptimizer = new AdamW(onCpu.parameters(), 0.05);
        AdamW gpuOptimizer = new AdamW(onGpu.parameters(), 0.05);
        Tensor target = Tensor.randn(new Random(13), 4, 3);
        for (int step = 0; step < 8; step++) {
            double cpuLoss = trainStep(Device.cpu(), onCpu, cpuOptimizer, target);
            double gpuLoss = trainStep(gpu, onGpu, gpuOptimizer, target);
            assertEquals(cpuLoss, gpuLoss, 1e-5 * (1 + cpuLoss), "loss at step " + step);
        }
        Map<String, Tensor> cpuParams = onCpu.namedParameters();
        onGpu.namedParameters().forEach((name, p) ->
                assertClose(cpuParams.get(name).toDoubleArray(), p.toDoubleArray()));
        Device.CacheStatistics s = gpu.cacheStatistics();
        assertEquals(2, s.uploads());
        assertEquals(2 * 7, s.refreshes());   // every step after the first finds both weights changed
    }

    private static double trainStep(Device device, Module model, AdamW optimizer, Tensor target) {
        double loss;
        try (Device.Use on = device.use()) {
            try (Scope scope = Scope.open()) {
                Tensor l = model.forward(X).mseLoss(target);
                l.backward();
                loss = l.item();
            }
            optimizer.step();
            optimizer.zeroGrad();
        }
        return loss;
    }

    @Test
    void aCollectedParameterFreesItsCopy() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Tensor x = Tensor.randn(new Random(14), 2, 8);
        Mlp kept = new Mlp(new Random(15));
        outputOn(gpu, kept);
        linearOnGpu(gpu, x);                         // a layer that is garbage once this returns
        assertEquals(3, gpu.cacheStatistics().entries());
        for (int i = 0; i < 50 && gpu.cacheStatistics().entries() > 2; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(2, gpu.cacheStatistics().entries());
        assertClose(outputOn(Device.cpu(), kept), outputOn(gpu, kept));
    }

    private static void linearOnGpu(Device gpu, Tensor x) {
        Linear layer = new Linear(8, 4, new Random(16));
        try (Device.Use on = gpu.use(); GradMode off = GradMode.off(); Scope scope = Scope.open()) {
            layer.forward(x);
        }
    }

    @Test
    void clearCacheFreesEverythingAndTheNextProductCopiesAgain() throws Exception {
        Device gpu = FakeGpu.device("cuda:fake");
        Mlp model = new Mlp(new Random(17));
        double[] expected = outputOn(gpu, model);
        gpu.clearCache();
        assertEquals(0, gpu.cacheStatistics().entries());
        assertArrayEquals(expected, outputOn(gpu, model));
        assertEquals(4, gpu.cacheStatistics().uploads());
    }

    @Test
    void parametersOfModulesAndOptimizersAreTracked() {
        Mlp model = new Mlp(new Random(18));
        for (Tensor p : model.parameters()) assertTrue(ParameterVersions.isTracked(p.value()));
        Tensor loose = Tensor.randn(new Random(19), 3);
        new SGD(List.of(loose.requiresGrad(true)), 0.1);
        assertTrue(ParameterVersions.isTracked(loose.value()));
        assertFalse(ParameterVersions.isTracked(X.value()));
    }
}
