package io.carpathia.engine.optim;

import static io.carpathia.engine.optim.OptimTesting.backwardQuadratic;
import static io.carpathia.engine.optim.OptimTesting.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.nn.StateDictException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Saving and restoring optimizer state: a restored optimizer takes exactly the step the original would have. */
class OptimizerStateTest {
    private static final double[][] C = {{2.0, -0.5, 1.5, 0.25}, {0.7, 3.0}, {1.0}};

    private static List<Tensor> freshParams() {
        return List.of(param(1.0, -2.0, 0.5, 3.0), param(-1.5, 0.25), param(4.0));
    }

    private static List<Tensor> copies(List<Tensor> params) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : params) out.add(p.copy().requiresGrad(true));
        return out;
    }

    /** Two groups with different settings; the third parameter never gets a gradient (it has no state). */
    private static List<ParamGroup> groups(List<Tensor> ps) {
        return List.of(ParamGroup.of(List.of(ps.get(0))).lr(0.05).named("decay"),
                ParamGroup.of(List.of(ps.get(1), ps.get(2))).weightDecay(0).named("no_decay"));
    }

    private static void step(Optimizer opt, List<Tensor> ps) {
        backwardQuadratic(ps.subList(0, 2), new double[][] {C[0], C[1]});
        opt.step();
        opt.zeroGrad();
    }

    private static void checkResumesExactly(Function<List<Tensor>, Optimizer> make) {
        List<Tensor> original = freshParams();
        Optimizer a = make.apply(original);
        step(a, original);
        step(a, original);
        Map<String, INDArray> saved = a.stateDict();
        List<Tensor> resumed = copies(original);
        step(a, original);

        Optimizer b = make.apply(resumed);
        b.setLr(123); // overwritten by the load
        b.loadStateDict(saved);
        assertEquals(0.05, b.paramGroups().get(0).lr());
        step(b, resumed);
        for (int k = 0; k < original.size(); k++) {
            assertArrayEquals(original.get(k).toDoubleArray(), resumed.get(k).toDoubleArray(), 0,
                    a.kind() + " parameter " + k);
        }
        // the saved dict is a snapshot: the third step did not change it
        assertEquals(2, saved.get("state.0.0.step").getLong(0));
    }

    @Test
    void adamWResumesExactly() {
        checkResumesExactly(ps -> new AdamW(groups(ps), AdamW.options().lr(0.1).weightDecay(0.1)));
    }

    @Test
    void adamResumesExactly() {
        checkResumesExactly(ps -> new Adam(groups(ps), Adam.options().lr(0.1).weightDecay(0.01)));
    }

    @Test
    void sgdWithMomentumResumesExactly() {
        checkResumesExactly(ps -> new SGD(groups(ps), SGD.options().lr(0.1).momentum(0.9).nesterov(true)));
    }

    @Test
    void stateDictKeysAndValues() {
        List<Tensor> ps = freshParams();
        AdamW opt = new AdamW(groups(ps), AdamW.options().lr(0.1).weightDecay(0.1));
        step(opt, ps);
        Map<String, INDArray> sd = opt.stateDict();
        assertEquals(List.of(
                "param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2",
                "param_groups.0.eps", "param_groups.0.weight_decay",
                "param_groups.1.params", "param_groups.1.weight_decay", "param_groups.1.lr", "param_groups.1.beta1",
                "param_groups.1.beta2", "param_groups.1.eps",
                "state.0.0.step", "state.0.0.exp_avg", "state.0.0.exp_avg_sq",
                "state.1.0.step", "state.1.0.exp_avg", "state.1.0.exp_avg_sq"), new ArrayList<>(sd.keySet()));
        assertEquals(2, sd.get("param_groups.1.params").getLong(0));
        assertEquals(0.0, sd.get("param_groups.1.weight_decay").getDouble(0));
        assertEquals(1, sd.get("state.1.0.step").getLong(0));
        assertArrayEquals(new long[] {2}, sd.get("state.1.0.exp_avg").shape());
        // exp_avg after one step is (1 - β1)·g, g = c·p
        assertArrayEquals(new double[] {0.1 * 0.7 * -1.5, 0.1 * 3 * 0.25}, Native.toDoubles(sd.get("state.1.0.exp_avg")),
                1e-15);
    }

    @Test
    void loadingAStateWithoutAParametersEntryClearsItsState() {
        List<Tensor> ps = freshParams();
        SGD opt = new SGD(groups(ps), SGD.options().lr(0.1).momentum(0.9));
        Map<String, INDArray> beforeAnyStep = opt.stateDict();
        step(opt, ps);
        assertTrue(opt.state(0, 0) != null);
        opt.loadStateDict(beforeAnyStep);
        assertNull(opt.state(0, 0));
        assertNull(opt.state(1, 0));
    }

    @Test
    void badStateDictsListEveryProblemAndChangeNothing() {
        List<Tensor> ps = freshParams();
        SGD sgd = new SGD(groups(ps), SGD.options().lr(0.1).momentum(0.9));
        step(sgd, ps);
        AdamW adam = new AdamW(groups(ps), AdamW.options().lr(0.1));
        step(adam, ps);
        Map<String, INDArray> before = adam.stateDict();

        // an SGD state into AdamW: its momentum buffers and settings are unknown, AdamW's are missing
        StateDictException e = assertThrows(StateDictException.class, () -> adam.loadStateDict(sgd.stateDict()));
        assertTrue(e.unexpectedKeys().containsAll(List.of("state.0.0.momentum_buffer", "param_groups.0.momentum")),
                e.getMessage());
        assertTrue(e.missingKeys().containsAll(List.of("param_groups.0.beta1", "param_groups.1.eps")), e.getMessage());

        // wrong shapes and a wrong parameter count
        Map<String, INDArray> bad = new LinkedHashMap<>(before);
        bad.put("state.0.0.exp_avg", Nd4j.zeros(DataType.DOUBLE, 2, 2));
        bad.put("param_groups.1.params", Nd4j.scalar(3L));
        bad.put("state.5.0.step", Nd4j.scalar(1L));
        e = assertThrows(StateDictException.class, () -> adam.loadStateDict(bad));
        String msg = e.getMessage();
        assertTrue(msg.contains("state.0.0.exp_avg: shape [2, 2] in the state dict, [4] for the parameter"), msg);
        assertTrue(msg.contains("param_groups.1.params: 3 in the state dict, 2 parameters in this optimizer"), msg);
        assertEquals(List.of("state.5.0.step"), e.unexpectedKeys());
        assertTrue(msg.startsWith("cannot load the state dict into optimizer AdamW"), msg);

        Map<String, INDArray> after = adam.stateDict();
        before.forEach((k, v) -> assertArrayEquals(Native.toDoubles(v.castTo(DataType.DOUBLE)),
                Native.toDoubles(after.get(k).castTo(DataType.DOUBLE)), 0, k));
    }
}
