package io.carpathia.models.gpt2;

import io.carpathia.weights.hf.Gpt2Config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The module tree's parameter paths are Hugging Face's own, in its order, with HF's Conv1D shapes. */
class Gpt2NamesTest {

    @Test
    void parameterNamesAndShapesAreHuggingFaces() {
        Gpt2Config cfg = Gpt2Config.small(1000, 64, 48, 3, 4, 0.0);
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(cfg, new Random(0));
        List<String> expected = new ArrayList<>(List.of("transformer.wte.weight [1000, 48]", "transformer.wpe.weight [64, 48]"));
        for (int i = 0; i < 3; i++) {
            String p = "transformer.h." + i + ".";
            expected.addAll(List.of(p + "ln_1.weight [48]", p + "ln_1.bias [48]",
                    p + "attn.c_attn.weight [48, 144]", p + "attn.c_attn.bias [144]",
                    p + "attn.c_proj.weight [48, 48]", p + "attn.c_proj.bias [48]",
                    p + "ln_2.weight [48]", p + "ln_2.bias [48]",
                    p + "mlp.c_fc.weight [48, 192]", p + "mlp.c_fc.bias [192]",
                    p + "mlp.c_proj.weight [192, 48]", p + "mlp.c_proj.bias [48]"));
        }
        expected.addAll(List.of("transformer.ln_f.weight [48]", "transformer.ln_f.bias [48]"));
        List<String> actual = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            actual.add(e.getKey() + " " + Shapes.str(e.getValue().shape()));
        }
        assertEquals(expected, actual);
        // tied head: no parameter of its own. Per block: two layer norms, c_attn, attn.c_proj, c_fc, mlp.c_proj
        long block = 2 * 96 + (48 * 144 + 144) + (48 * 48 + 48) + (48 * 192 + 192) + (192 * 48 + 48);
        assertEquals(1000 * 48 + 64 * 48 + 3 * block + 96, model.parameterCount());
    }

    @Test
    void residualProjectionsStartSmaller() {
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(Gpt2Config.small(100, 16, 64, 8, 4, 0.0), new Random(1));
        double fc = std(model.namedParameters().get("transformer.h.0.mlp.c_fc.weight"));
        double proj = std(model.namedParameters().get("transformer.h.0.mlp.c_proj.weight"));
        assertEquals(0.02, fc, 0.002);
        assertEquals(0.02 / Math.sqrt(16), proj, 0.0008);
        assertTrue(Math.abs(std(model.namedParameters().get("transformer.wte.weight")) - 0.02) < 0.002);
    }

    private static double std(Tensor t) {
        double[] v = t.toDoubleArray();
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }
}
