package io.carpathia.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModuleTest {

    /** A GPT-2-shaped toy: names as Hugging Face's, so the paths below are the ones a checkpoint would use. */
    static final class Attn extends Module {
        final Linear cAttn;
        final Linear cProj;

        Attn(int c, Random rng) {
            cAttn = registerModule("c_attn", new Linear(c, 3 * c, rng));
            cProj = registerModule("c_proj", new Linear(c, c, rng));
            registerBuffer("bias", Tensor.ones(4, 4), false); // a causal mask rebuilt by the constructor
        }
    }

    static final class Block extends Module {
        Block(int c, Random rng) {
            registerModule("ln_1", new LayerNorm(c));
            registerModule("attn", new Attn(c, rng));
            registerModule("mlp", new Linear(c, 2 * c, false, rng));
        }
    }

    static final class Toy extends Module {
        final Embedding wte;
        final ModuleList<Block> h;
        final Linear lmHead;

        Toy(int vocab, int c, int layers, long seed) {
            Random rng = new Random(seed);
            registerBuffer("position_ids", Tensor.of(new double[] {0, 1, 2, 3}, 4));
            wte = registerModule("wte", new Embedding(vocab, c, rng));
            h = registerModule("h", new ModuleList<>());
            for (int i = 0; i < layers; i++) h.add(new Block(c, rng));
            registerModule("ln_f", new LayerNorm(c));
            lmHead = registerModule("lm_head", new Linear(c, vocab, false, rng));
        }
    }

    private static List<String> names(Map<String, ?> m) {
        return new ArrayList<>(m.keySet());
    }

    @Test
    void parameterPathsFollowRegistrationOrder() {
        Toy toy = new Toy(10, 4, 2, 1);
        List<String> expected = new ArrayList<>(List.of("wte.weight"));
        for (int i = 0; i < 2; i++) {
            String b = "h." + i + ".";
            expected.addAll(List.of(b + "ln_1.weight", b + "ln_1.bias", b + "attn.c_attn.weight", b + "attn.c_attn.bias",
                    b + "attn.c_proj.weight", b + "attn.c_proj.bias", b + "mlp.weight"));
        }
        expected.addAll(List.of("ln_f.weight", "ln_f.bias", "lm_head.weight"));
        assertEquals(expected, names(toy.namedParameters()));
        assertEquals(expected.size(), toy.parameters().size());
        assertTrue(toy.parameters().stream().allMatch(Tensor::requiresGrad));
        assertSame(toy.h.get(1), toy.module("h.1"));
        assertSame(toy.h.get(1).module("attn.c_attn"), toy.module("h.1.attn.c_attn"));
        assertEquals(List.of("", "wte", "h", "h.0", "h.0.ln_1", "h.0.attn", "h.0.attn.c_attn", "h.0.attn.c_proj",
                "h.0.mlp", "h.1", "h.1.ln_1", "h.1.attn", "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.mlp", "ln_f",
                "lm_head"), names(toy.namedModules()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> toy.module("h.1.attn.q"));
        assertTrue(e.getMessage().contains("no child 'q'") && e.getMessage().contains("c_attn"), e.getMessage());
    }

    @Test
    void stateDictHasParametersAndPersistentBuffersInPytorchOrder() {
        Toy toy = new Toy(10, 4, 1, 1);
        List<String> names = names(toy.stateDict());
        // own buffers come before children; the non-persistent attn.bias mask is left out
        assertEquals("position_ids", names.get(0));
        assertEquals("wte.weight", names.get(1));
        assertFalse(names.contains("h.0.attn.bias"));
        assertTrue(toy.namedBuffers().containsKey("h.0.attn.bias"));
        assertEquals(1 + toy.namedParameters().size(), names.size());
    }

    @Test
    void registrationRejectsBadNames() {
        Module m = new Module() {};
        m.registerParameter("w", Tensor.zeros(2));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("w", Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerModule("w", new Tanh()));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("a.b", Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("", Tensor.zeros(2)));
        Tensor leaf = Tensor.zeros(2).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.registerParameter("made", leaf.mul(2)));
        assertTrue(e.getMessage().contains("leaf"), e.getMessage());
    }

    @Test
    void stateDictRoundTripCopiesEveryValue() {
        Toy source = new Toy(10, 4, 2, 1);
        Toy target = new Toy(10, 4, 2, 2);
        assertNotEquals(source.lmHead.weight().get(0, 0), target.lmHead.weight().get(0, 0));
        Module.LoadResult r = target.loadStateDict(source.stateDict(), true);
        assertTrue(r.missingKeys().isEmpty() && r.unexpectedKeys().isEmpty());
        source.stateDict().forEach((name, t) -> assertArrayEquals(t.toDoubleArray(),
                target.stateDict().get(name).toDoubleArray(), 0, name));
        // values are copied, not shared
        assertNotSame(source.lmHead.weight().value(), target.lmHead.weight().value());
    }

    @Test
    void loadConvertsDtypesAndAcceptsArrays() {
        Toy target = new Toy(10, 4, 1, 2);
        Map<String, INDArray> doubles = new LinkedHashMap<>();
        Toy source = new Toy(10, 4, 1, 1);
        source.stateDict().forEach((name, t) -> doubles.put(name, t.castTo(DataType.DOUBLE).value()));
        // an integer buffer converts too
        doubles.put("position_ids", Nd4j.createFromArray(new long[] {3, 2, 1, 0}));
        target.loadStateDict(doubles, true);
        assertEquals(DataType.FLOAT, target.wte.weight().dtype());
        assertArrayEquals(source.wte.weight().toDoubleArray(), target.wte.weight().toDoubleArray(), 0);
        assertArrayEquals(new double[] {3, 2, 1, 0}, target.stateDict().get("position_ids").toDoubleArray(), 0);
    }

    @Test
    void strictLoadListsEveryProblemAtOnceAndCopiesNothing() {
        Toy source = new Toy(10, 4, 2, 1);
        Toy target = new Toy(10, 4, 2, 2);
        double before = target.lmHead.weight().get(0, 0);
        Map<String, Object> sd = new LinkedHashMap<>(source.stateDict());
        sd.remove("h.0.mlp.weight");
        sd.remove("ln_f.bias");
        sd.put("h.2.mlp.weight", Tensor.zeros(8, 4));
        sd.put("lm_head.weight", Tensor.zeros(4, 10));            // transposed
        sd.put("h.1.attn.c_attn.bias", Nd4j.zeros(DataType.FLOAT, 13));
        StateDictException e = assertThrows(StateDictException.class, () -> target.loadStateDict(sd, true));
        assertEquals(List.of("h.0.mlp.weight", "ln_f.bias"), e.missingKeys());
        assertEquals(List.of("h.2.mlp.weight"), e.unexpectedKeys());
        assertEquals(2, e.mismatches().size());
        String msg = e.getMessage();
        for (String s : List.of("Toy", "h.0.mlp.weight", "ln_f.bias", "h.2.mlp.weight",
                "lm_head.weight: shape [4, 10] in the state dict, [10, 4] in the model",
                "h.1.attn.c_attn.bias: shape [13] in the state dict, [12] in the model")) {
            assertTrue(msg.contains(s), "message lacks '" + s + "':\n" + msg);
        }
        assertEquals(before, target.lmHead.weight().get(0, 0), "a failed load must not copy anything");
    }

    @Test
    void nonStrictLoadReportsMissingAndUnexpectedButStillRejectsShapes() {
        Toy source = new Toy(10, 4, 1, 1);
        Toy target = new Toy(10, 4, 1, 2);
        Map<String, Object> sd = new LinkedHashMap<>(source.stateDict());
        sd.remove("lm_head.weight");
        sd.put("extra.weight", Tensor.zeros(1));
        Module.LoadResult r = target.loadStateDict(sd, false);
        assertEquals(List.of("lm_head.weight"), r.missingKeys());
        assertEquals(List.of("extra.weight"), r.unexpectedKeys());
        assertArrayEquals(source.wte.weight().toDoubleArray(), target.wte.weight().toDoubleArray(), 0);

        sd.put("wte.weight", Tensor.zeros(10, 5));
        StateDictException e = assertThrows(StateDictException.class, () -> target.loadStateDict(sd, false));
        assertEquals(1, e.mismatches().size());
        assertTrue(e.missingKeys().contains("lm_head.weight"), "the error still lists every problem");
    }

    @Test
    void freezeByGlobRegexAndWhole() {
        Toy toy = new Toy(10, 4, 2, 1);
        long total = toy.parameterCount();
        List<String> frozen = toy.freeze("h.*.attn.*");
        assertEquals(List.of("h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight",
                "h.0.attn.c_proj.bias", "h.1.attn.c_attn.weight", "h.1.attn.c_attn.bias", "h.1.attn.c_proj.weight",
                "h.1.attn.c_proj.bias"), frozen);
        long attn = 2 * (4 * 12 + 12 + 4 * 4 + 4);
        assertEquals(total - attn, toy.trainableParameterCount());
        toy.namedParameters().forEach((name, p) -> assertEquals(!name.contains(".attn."), p.requiresGrad(), name));

        assertEquals(List.of("h.0.ln_1.bias", "h.0.attn.c_attn.bias", "h.0.attn.c_proj.bias", "h.1.ln_1.bias",
                "h.1.attn.c_attn.bias", "h.1.attn.c_proj.bias", "ln_f.bias"), toy.freeze(Pattern.compile(".*\\.bias")));
        toy.unfreeze("h.1.*");
        assertTrue(toy.namedParameters().get("h.1.attn.c_attn.weight").requiresGrad());
        assertFalse(toy.namedParameters().get("h.0.attn.c_attn.weight").requiresGrad());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> toy.freeze("h.*.atn.*"));
        assertTrue(e.getMessage().contains("matches no parameter"), e.getMessage());

        toy.freeze();
        assertEquals(0, toy.trainableParameterCount());
        toy.unfreeze();
        assertEquals(total, toy.trainableParameterCount());
    }

    @Test
    void freezingDropsAnExistingGradient() {
        Linear lin = new Linear(3, 2, new Random(0));
        lin.forward(Tensor.ones(1, 3)).sum().backward();
        assertTrue(lin.weight().grad() != null);
        lin.freeze("weight");
        assertEquals(null, lin.weight().grad());
        assertTrue(lin.bias().grad() != null);
    }

    @Test
    void parameterCountsAreExactAndTiedWeightsCountOnce() {
        Toy toy = new Toy(10, 4, 2, 1);
        long perBlock = (4 + 4) + (4 * 12 + 12) + (4 * 4 + 4) + 4 * 8;
        long expected = 10 * 4 + 2 * perBlock + (4 + 4) + 4 * 10;
        assertEquals(expected, toy.parameterCount());
        assertEquals(expected, toy.trainableParameterCount());

        // tie a second head to the embedding (GPT-2 style): listed once by namedParameters, twice in the state dict
        Module tied = new Module() {};
        tied.registerModule("wte", toy.wte);
        tied.registerModule("head", new Module() {
            {
                registerParameter("weight", toy.wte.weight());
            }
        });
        assertEquals(40, tied.parameterCount());
        assertEquals(List.of("wte.weight"), names(tied.namedParameters()));
        assertEquals(List.of("wte.weight", "head.weight"), names(tied.stateDict()));
    }

    @Test
    void summaryListsEveryParameterWithShapeCountAndTotals() {
        Toy toy = new Toy(10, 4, 1, 1);
        toy.freeze("lm_head.*");
        String s = toy.summary();
        String[] lines = s.split("\n");
        assertEquals("Toy", lines[0]);
        assertTrue(lines[1].startsWith("name") && lines[1].contains("shape") && lines[1].contains("params"), lines[1]);
        assertEquals(1 + 1 + toy.namedParameters().size() + 1, lines.length, s);
        assertTrue(s.matches("(?s).*h\\.0\\.attn\\.c_attn\\.weight +\\[12, 4] +48  yes.*"), s);
        assertTrue(s.matches("(?s).*lm_head\\.weight +\\[10, 4] +40  no.*"), s);
        long total = toy.parameterCount();
        assertTrue(lines[lines.length - 1].equals("total: " + total + " parameters (" + (total - 40)
                + " trainable, 40 frozen) in " + toy.namedParameters().size() + " tensors"), lines[lines.length - 1]);
    }

    @Test
    void summaryGroupsThousands() {
        Linear big = new Linear(100, 50, new Random(0));
        assertTrue(big.summary().contains("total: 5,050 parameters"), big.summary());
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Toy toy = new Toy(10, 4, 2, 1);
        toy.eval();
        toy.namedModules().values().forEach(m -> assertFalse(m.isTraining()));
        toy.train();
        toy.namedModules().values().forEach(m -> assertTrue(m.isTraining()));
    }

    @Test
    void forwardHooksCaptureOutputsAndCanBeRemoved() {
        Random rng = new Random(5);
        Sequential mlp = new Sequential(new Linear(3, 4, rng), new Tanh(), new Linear(4, 2, rng));
        Tensor x = Tensor.randn(new Random(6), 2, 3);
        List<Tensor> seen = new ArrayList<>();
        List<List<Tensor>> inputs = new ArrayList<>();
        HookHandle onTanh = mlp.get(1).registerForwardHook((m, in, out) -> {
            inputs.add(in);
            seen.add(out.copy());
        });
        List<Tensor> finals = new ArrayList<>();
        HookHandle onRoot = mlp.registerForwardHook((m, in, out) -> {
            assertSame(mlp, m);
            finals.add(out);
        });
        Tensor y = mlp.forward(x);

        Linear first = (Linear) mlp.get(0);
        Tensor hidden = first.forward(x).tanh();
        assertEquals(1, seen.size());
        assertArrayEquals(hidden.toDoubleArray(), seen.get(0).toDoubleArray(), 1e-6);
        assertArrayEquals(new long[] {2, 4}, inputs.get(0).get(0).shape());
        assertSame(y, finals.get(0));

        onTanh.remove();
        onTanh.remove(); // harmless
        try (HookHandle h = onRoot) {
            mlp.forward(x);
        }
        assertEquals(1, seen.size(), "a removed hook is not called");
        assertEquals(2, finals.size());
        mlp.forward(x);
        assertEquals(2, finals.size(), "closing the handle removes the hook");
    }

    @Test
    void toStringPrintsTheTree() {
        Sequential mlp = new Sequential(new Linear(3, 4, new Random(0)), new Tanh(), new Dropout(0.1, new Random(0)));
        assertEquals("Sequential(\n  (0): Linear(in=3, out=4, bias=true)\n  (1): Tanh()\n  (2): Dropout(p=0.1)\n)",
                mlp.toString());
    }

    @Test
    void singleInputForwardOfAContainerIsAClearError() {
        ModuleList<Linear> list = new ModuleList<>();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> list.forward(Tensor.zeros(1)));
        assertTrue(e.getMessage().contains("ModuleList"), e.getMessage());
    }
}
