package io.carpathia.test.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.nn.HookHandle;
import io.carpathia.models.generate.Sampler;
import io.carpathia.models.gpt2.Gpt2Block;
import io.carpathia.models.gpt2.Gpt2Checkpoint;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import io.carpathia.weights.safetensors.SafetensorsReader;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GPT-2 against PyTorch: the gpt2-tiny fixture (random-init GPT-2, Hugging Face layout; reference computed by
 * PyTorch 1.13 on nanoGPT's model — see fixtures/gpt2-tiny/README.md) with the fixture's own tolerances.
 */
class Gpt2ParityTest {
    static Path dir;
    static SafetensorsReader ref;
    static Gpt2LMHeadModel model;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        dir = Path.of(Gpt2ParityTest.class.getResource("/fixtures/gpt2-tiny/config.json").toURI()).getParent();
        ref = SafetensorsReader.open(dir.resolve("reference.safetensors"));
        model = Gpt2Checkpoint.load(dir);
    }

    private static Tensor ref(String name) throws IOException {
        return Tensor.of(ref.read(name));
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertEquals(Shapes.str(expected.shape()), Shapes.str(actual.shape()), what + " shape");
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            if (excess > worst || Double.isNaN(a[i])) {
                worst = Double.isNaN(a[i]) ? Double.POSITIVE_INFINITY : excess;
                at = i;
            }
        }
        if (at >= 0) {
            throw new AssertionError(what + ": element " + at + " is " + a[at] + ", PyTorch has " + e[at]);
        }
    }

    @Test
    void activationsLogitsAndLossMatchPyTorch() throws IOException {
        Tensor ids = ref("input_ids");
        List<Tensor> blockOutputs = new ArrayList<>();
        List<HookHandle> hooks = new ArrayList<>();
        for (Gpt2Block b : model.transformer().blocks()) {
            hooks.add(b.registerForwardHook((m, in, out) -> blockOutputs.add(out.copy())));
        }
        try (var off = GradMode.off()) {
            assertClose("embeddings", ref("embeddings"), model.transformer().embed(ids), 1e-4, 0);
            Tensor hidden = model.transformer().forward(ids);
            assertClose("last_hidden_state", ref("last_hidden_state"), hidden, 1e-4, 0);
            Tensor logits = model.logits(hidden);
            assertClose("logits", ref("logits"), logits, 1e-4, 0);
            assertEquals(ref("loss").item(), model.loss(logits, ref("targets")).item(), 1e-5, "loss");
        } finally {
            hooks.forEach(HookHandle::remove);
        }
        assertEquals(3, blockOutputs.size());
        for (int i = 0; i < 3; i++) assertClose("block_output." + i, ref("block_output." + i), blockOutputs.get(i), 1e-4, 0);
    }

    @Test
    void everyParameterGradientMatchesPyTorch() throws IOException {
        model.zeroGrad();
        Tensor loss = model.loss(model.forward(ref("input_ids")), ref("targets"));
        loss.backward();
        int checked = 0;
        for (Map.Entry<String, Tensor> p : model.namedParameters().entrySet()) {
            assertClose("grad." + p.getKey(), ref("grad." + p.getKey()), Tensor.of(p.getValue().grad()), 1e-4, 1e-3);
            checked++;
        }
        assertEquals(2 + 3 * 12 + 2, checked);
        model.zeroGrad();
    }

    @Test
    void greedyGenerationMatchesPyTorch() throws IOException {
        long[] prompt = toLongs(ref.read("greedy_prompt"));
        long[] expected = toLongs(ref.read("greedy_output"));
        List<Long> seq = new ArrayList<>();
        for (long p : prompt) seq.add(p);
        try (var off = GradMode.off()) {
            for (int step = 0; step < expected.length; step++) {
                long[] cur = seq.stream().mapToLong(Long::longValue).toArray();
                Tensor logits = model.forward(Tensor.indices(cur, 1, cur.length));
                long v = logits.size(-1);
                double[] last = logits.narrow(1, cur.length - 1, 1).reshape(v).toDoubleArray();
                seq.add((long) Sampler.argmax(last));
            }
        }
        long[] generated = seq.subList(prompt.length, seq.size()).stream().mapToLong(Long::longValue).toArray();
        assertArrayEquals(expected, generated);
    }

    @Test
    void theKeyValueCacheGivesTheTokensOfFullRecompute() throws IOException {
        int[] prompt = java.util.Arrays.stream(toLongs(ref.read("greedy_prompt"))).mapToInt(l -> (int) l).toArray();
        long[] expected = toLongs(ref.read("greedy_output"));
        io.carpathia.models.gpt2.Gpt2Generator g = new io.carpathia.models.gpt2.Gpt2Generator(model);
        int[] cached = g.generate(prompt, 20, Sampler.greedy(), null, true, null).tokens();
        int[] full = g.generate(prompt, 20, Sampler.greedy(), null, false, null).tokens();
        assertArrayEquals(expected, java.util.Arrays.stream(cached).asLongStream().toArray());
        assertArrayEquals(full, cached);
        // sampling too: the same seed draws the same tokens either way (the logits agree)
        int[] a = g.generate(prompt, 40, Sampler.sampling(0.9, 50, 0.95, 3), null, true, null).tokens();
        int[] b = g.generate(prompt, 40, Sampler.sampling(0.9, 50, 0.95, 3), null, false, null).tokens();
        assertArrayEquals(b, a);
    }

    private static long[] toLongs(INDArray a) {
        double[] d = Native.toDoubles(a.castTo(DataType.LONG));
        long[] l = new long[d.length];
        for (int i = 0; i < d.length; i++) l[i] = (long) d[i];
        return l;
    }
}
