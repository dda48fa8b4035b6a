package io.carpathia.test.bert;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.models.bert.BertForSequenceClassification;
import io.carpathia.weights.hf.BertConfig;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * BertForSequenceClassification on a tiny random config: every parameter's gradient against central finite
 * differences in float64 (padded batch with token types, so the mask and the types are on the path), and a toy task
 * it must learn.
 */
class BertClassifierTrainingTest {

    /** vocab 24, 2 heads, 12 positions, 2 token types. */
    static BertConfig tiny(int hidden, int layers, double dropout, double initRange, int labels) {
        Map<Integer, String> id2label = new TreeMap<>();
        for (int i = 0; i < labels; i++) id2label.put(i, "LABEL_" + i);
        return new BertConfig(24, hidden, layers, 2, 2 * hidden, "gelu", dropout, dropout, 12, 2, initRange, 1e-12, 0,
                "absolute", false, true, null, true, id2label);
    }

    @Test
    void gradientsOfEveryParameterMatchFiniteDifferences() {
        DataType before = Tensor.defaultDtype();
        Tensor.setDefaultDtype(DataType.DOUBLE);
        try {
            BertForSequenceClassification model = new BertForSequenceClassification(tiny(8, 2, 0.0, 0.5, 3), new Random(3));
            model.eval();
            // [3, 5]: lengths 5, 3, 2; the second sentence has a segment of type 1
            Tensor ids = Tensor.indices(new long[] {1, 5, 9, 13, 2, 1, 7, 2, 0, 0, 1, 2, 0, 0, 0}, 3, 5);
            Tensor types = Tensor.indices(new long[] {0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0}, 3, 5);
            Tensor mask = Tensor.indices(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0}, 3, 5);
            Tensor labels = Tensor.indices(new long[] {2, 0, 1}, 3);
            Tensor loss = model.loss(model.forward(ids, types, mask), labels);
            loss.backward();
            double eps = 1e-6;
            double worst = 0;
            int checked = 0;
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                Tensor p = e.getValue();
                double[] analytic = p.grad() == null ? new double[(int) p.numel()] : Native.toDoubles(p.grad());
                Native.View v = Native.view(p.value());
                for (long i = 0; i < p.numel(); i++) {
                    double orig = v.get(i);
                    v.set(i, orig + eps);
                    double plus = lossOf(model, ids, types, mask, labels);
                    v.set(i, orig - eps);
                    double minus = lossOf(model, ids, types, mask, labels);
                    v.set(i, orig);
                    double numeric = (plus - minus) / (2 * eps);
                    double err = Math.abs(numeric - analytic[(int) i]);
                    worst = Math.max(worst, err);
                    if (err > 1e-6 + 1e-4 * Math.abs(numeric)) {
                        throw new AssertionError(e.getKey() + "[" + i + "]: analytic " + analytic[(int) i]
                                + ", numeric " + numeric);
                    }
                    checked++;
                }
            }
            assertTrue(checked == model.parameterCount(), "every parameter element was checked");
            System.out.printf("BertForSequenceClassification gradient check: %d elements, max |diff| %.2e%n", checked,
                    worst);
        } finally {
            Tensor.setDefaultDtype(before);
        }
    }

    private static double lossOf(BertForSequenceClassification m, Tensor ids, Tensor types, Tensor mask, Tensor labels) {
        try (var off = GradMode.off()) {
            return m.loss(m.forward(ids, types, mask), labels).item();
        }
    }

    /** Label 1 when token 5 occurs anywhere in the sequence: a tiny classifier with dropout must learn it. */
    private static final int STEPS = 200;

    @Test
    void learnsAToyTask() {
        BertForSequenceClassification model = new BertForSequenceClassification(tiny(32, 2, 0.1, 0.02, 2), new Random(11));
        AdamW opt = new AdamW(model.parameters(), AdamW.options().lr(1e-3));
        Random data = new Random(5);
        int b = 32;
        int t = 8;
        model.train();
        for (int step = 0; step < STEPS; step++) {
            long[][] batch = toyBatch(data, b, t);
            try (var scope = Scope.open()) {
                Tensor loss = model.loss(model.forward(Tensor.indices(batch[0], b, t), null, Tensor.indices(batch[2], b, t)),
                        Tensor.indices(batch[1], b));
                opt.zeroGrad();
                loss.backward();
                opt.step();
            }
        }
        model.eval();
        long[][] test = toyBatch(new Random(99), 256, t);
        int correct = 0;
        try (var off = GradMode.off(); var scope = Scope.open()) {
            double[] logits = model.forward(Tensor.indices(test[0], 256, t), null, Tensor.indices(test[2], 256, t))
                    .toDoubleArray();
            for (int i = 0; i < 256; i++) {
                int predicted = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
                if (predicted == test[1][i]) correct++;
            }
        }
        double accuracy = correct / 256.0;
        System.out.printf("toy task accuracy after %d steps: %.3f%n", STEPS, accuracy);
        assertTrue(accuracy >= 0.9, "accuracy " + accuracy);
    }

    /** ids [B*T] ([CLS]=1 ... [SEP]=2, random lengths, padding 0), labels [B], masks [B*T]. */
    private static long[][] toyBatch(Random r, int b, int t) {
        long[] ids = new long[b * t];
        long[] labels = new long[b];
        long[] mask = new long[b * t];
        for (int i = 0; i < b; i++) {
            int n = 4 + r.nextInt(t - 3);
            boolean positive = r.nextBoolean();
            int at = positive ? 1 + r.nextInt(n - 2) : -1;
            for (int j = 0; j < n; j++) {
                long id = j == 0 ? 1 : j == n - 1 ? 2 : j == at ? 5 : 6 + r.nextInt(18);
                ids[i * t + j] = id;
                mask[i * t + j] = 1;
            }
            labels[i] = positive ? 1 : 0;
        }
        return new long[][] {ids, labels, mask};
    }
}
