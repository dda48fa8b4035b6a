package io.carpathia.models.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.weights.hf.BertConfig;
import io.carpathia.weights.onnx.BertOnnxImport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The module tree's parameter paths and shapes are Hugging Face's own, in its order. */
class BertNamesTest {

    static BertConfig small(int labels) {
        Map<Integer, String> id2label = new TreeMap<>();
        for (int i = 0; i < labels; i++) id2label.put(i, "LABEL_" + i);
        return new BertConfig(30, 12, 2, 3, 20, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12, 0, "absolute", false, true,
                null, true, id2label);
    }

    @Test
    void parameterNamesAndShapesAreHuggingFaces() {
        BertConfig c = small(2);
        BertModel model = new BertModel(c, new Random(0));
        List<String> expected = new ArrayList<>();
        BertOnnxImport.expectedShapes(c).forEach((name, shape) -> expected.add(name + " " + Shapes.str(shape)));
        List<String> actual = new ArrayList<>();
        model.namedParameters().forEach((name, p) -> actual.add(name + " " + Shapes.str(p.shape())));
        assertEquals(expected, actual);
        assertTrue(actual.contains("encoder.layer.1.attention.output.LayerNorm.weight [12]"));
        assertTrue(actual.contains("encoder.layer.0.intermediate.dense.weight [20, 12]"));

        BertForSequenceClassification cls = new BertForSequenceClassification(small(5), new Random(0));
        List<String> names = new ArrayList<>(cls.namedParameters().keySet());
        assertEquals("bert.embeddings.word_embeddings.weight", names.get(0));
        assertEquals(List.of("classifier.weight", "classifier.bias"), names.subList(names.size() - 2, names.size()));
        assertEquals(List.of(5L, 12L), List.of(cls.classifier().weight().shape()[0], cls.classifier().weight().shape()[1]));
    }

    @Test
    void initialisedAsHuggingFaceDoes() {
        BertModel model = new BertModel(small(2), new Random(1));
        Map<String, Tensor> p = model.namedParameters();
        // padding token's embedding row is 0; biases 0; LayerNorm weights 1; dense weights ~ N(0, 0.02²)
        double[] words = p.get("embeddings.word_embeddings.weight").toDoubleArray();
        for (int j = 0; j < 12; j++) assertEquals(0.0, words[j]);
        for (double v : p.get("encoder.layer.0.attention.self.query.bias").toDoubleArray()) assertEquals(0.0, v);
        for (double v : p.get("encoder.layer.0.output.LayerNorm.weight").toDoubleArray()) assertEquals(1.0, v);
        double[] w = p.get("encoder.layer.0.intermediate.dense.weight").toDoubleArray();
        double s = 0;
        for (double v : w) s += v * v;
        assertEquals(0.02, Math.sqrt(s / w.length), 0.004);
    }

    @Test
    void unsupportedConfigsAreRefused() {
        BertConfig c = small(2);
        BertConfig tanhAct = new BertConfig(30, 12, 2, 3, 20, "swish", 0.1, 0.1, 16, 2, 0.02, 1e-12, 0, "absolute",
                false, true, null, true, c.id2label());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BertModel(tanhAct, new Random(0)));
        assertTrue(e.getMessage().contains("hidden_act 'swish'"), e.getMessage());
        BertConfig relative = new BertConfig(30, 12, 2, 3, 20, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12, 0,
                "relative_key", false, true, null, true, c.id2label());
        assertThrows(IllegalArgumentException.class, () -> new BertModel(relative, new Random(0)));
    }
}
