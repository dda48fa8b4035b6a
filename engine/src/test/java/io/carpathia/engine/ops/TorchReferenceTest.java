package io.carpathia.engine.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.engine.autograd.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The engine's ops against PyTorch: outputs and gradients of the cases in {@code torch-reference/ops.json}, made
 * by {@code make_reference.py} beside it with PyTorch 1.13 in float64. Engine runs in float64 too.
 */
class TorchReferenceTest {
    private static final double TOL = 1e-10;

    @TestFactory
    Stream<DynamicTest> opsMatchPyTorch() throws IOException {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("/torch-reference/ops.json")) {
            root = new ObjectMapper().readTree(in);
        }
        assertTrue(root.get("source").asText().startsWith("PyTorch"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        assertEquals(15, tests.size());
        return tests.stream();
    }

    private static void check(JsonNode c) {
        String name = c.get("name").asText();
        JsonNode p = c.get("params");
        Map<String, Tensor> in = new LinkedHashMap<>();
        c.get("inputs").fields().forEachRemaining(e -> in.put(e.getKey(), tensor(e.getValue()).requiresGrad(true)));
        Map<String, Tensor> ints = new LinkedHashMap<>();
        c.get("int_inputs").fields().forEachRemaining(e -> ints.put(e.getKey(), indices(e.getValue())));

        Tensor out;
        if (name.startsWith("softmax")) {
            out = in.get("x").softmax(p.get("dim").asInt());
        } else if (name.startsWith("log_softmax")) {
            out = in.get("x").logSoftmax(p.get("dim").asInt());
        } else if (name.equals("gelu")) {
            out = in.get("x").gelu();
        } else if (name.equals("gelu_tanh")) {
            out = in.get("x").geluTanh();
        } else if (name.equals("layer_norm")) {
            out = in.get("x").layerNorm(in.get("w"), in.get("b"), p.get("eps").asDouble());
        } else if (name.startsWith("cross_entropy")) {
            Losses.Reduction r = Losses.Reduction.valueOf(p.get("reduction").asText().toUpperCase());
            out = Losses.crossEntropy(in.get("logits"), ints.get("targets"), p.get("ignore_index").asLong(),
                    p.get("label_smoothing").asDouble(), r);
        } else if (name.equals("mse_loss")) {
            out = in.get("x").mseLoss(in.get("y"));
        } else if (name.startsWith("attention")) {
            out = Attention.scaledDotProductAttention(in.get("q"), in.get("k"), in.get("v"), null,
                    p.get("causal").asBoolean());
        } else {
            throw new AssertionError("unknown case " + name);
        }
        assertClose(name + " output", c.get("output"), out);
        out.backward(tensor(c.get("weights")));
        c.get("grads").fields().forEachRemaining(e -> assertClose(name + " d/d" + e.getKey(), e.getValue(),
                Tensor.of(in.get(e.getKey()).grad())));
    }

    private static void assertClose(String what, JsonNode expected, Tensor actual) {
        long[] shape = shape(expected);
        assertEquals(io.carpathia.engine.Shapes.str(shape), io.carpathia.engine.Shapes.str(actual.shape()), what + " shape");
        double[] a = actual.toDoubleArray();
        JsonNode data = expected.get("data");
        for (int i = 0; i < a.length; i++) {
            double e = data.get(i).asDouble();
            assertTrue(Math.abs(a[i] - e) <= TOL * Math.max(1, Math.abs(e)),
                    what + " element " + i + ": " + a[i] + " vs PyTorch " + e);
        }
    }

    private static long[] shape(JsonNode t) {
        long[] s = new long[t.get("shape").size()];
        for (int i = 0; i < s.length; i++) s[i] = t.get("shape").get(i).asLong();
        return s;
    }

    private static Tensor tensor(JsonNode t) {
        JsonNode d = t.get("data");
        double[] v = new double[d.size()];
        for (int i = 0; i < v.length; i++) v[i] = d.get(i).asDouble();
        return Tensor.of(DataType.DOUBLE, v, shape(t));
    }

    private static Tensor indices(JsonNode t) {
        JsonNode d = t.get("data");
        long[] v = new long[d.size()];
        for (int i = 0; i < v.length; i++) v[i] = d.get(i).asLong();
        return Tensor.indices(v, shape(t));
    }
}
