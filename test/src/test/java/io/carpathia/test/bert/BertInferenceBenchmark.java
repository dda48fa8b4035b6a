package io.carpathia.test.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.bert.BertModel;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * Inference latency of all-MiniLM-L6-v2 on one batch (default 32 x 128 tokens, no padding): Carpathia's BertModel on
 * the imported weights against ONNX Runtime on the same .onnx, in the same JVM, alternating A B A B, medians.
 *
 * <p>{@code BertInferenceBenchmark THREADS [ROUNDS] [BATCH] [TOKENS]}. Carpathia's thread count is fixed when the JVM
 * starts ({@code -Dcarpathia.threads}, {@code OPENBLAS_NUM_THREADS}); ONNX Runtime gets THREADS intra-op threads.
 * Run by {@code bench/bert-vs-onnxruntime.sh}, which sets both.
 */
public final class BertInferenceBenchmark {
    public static void main(String[] args) throws OrtException {
        int threads = Integer.parseInt(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int b = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int t = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        Random r = new Random(1);
        long[][] ids = new long[b][t];
        long[][] mask = new long[b][t];
        long[][] types = new long[b][t];
        long[] flatIds = new long[b * t];
        long[] flatMask = new long[b * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                ids[i][j] = j == 0 ? 101 : j == t - 1 ? 102 : 999 + r.nextInt(30522 - 999);
                mask[i][j] = 1;
                flatIds[i * t + j] = ids[i][j];
                flatMask[i * t + j] = 1;
            }
        }
        BertModel model = MiniLm.model();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = env.createSession(MiniLm.onnxBytes(), options);
                 OnnxTensor idsT = OnnxTensor.createTensor(env, ids);
                 OnnxTensor maskT = OnnxTensor.createTensor(env, mask);
                 OnnxTensor typesT = OnnxTensor.createTensor(env, types)) {
                Map<String, OnnxTensor> inputs = Map.of("input_ids", idsT, "attention_mask", maskT,
                        "token_type_ids", typesT);
                Runnable carpathia = () -> {
                    try (var off = GradMode.off(); var scope = Scope.open()) {
                        model.forward(Tensor.indices(flatIds, b, t), null, Tensor.indices(flatMask, b, t))
                                .lastHiddenState().toFloatArray();
                    }
                };
                Runnable ort = () -> {
                    try (OrtSession.Result out = session.run(inputs)) {
                        out.get(0).getValue();
                    } catch (OrtException e) {
                        throw new IllegalStateException(e);
                    }
                };
                for (int w = 0; w < 3; w++) {
                    carpathia.run();
                    ort.run();
                }
                double[] ours = new double[rounds];
                double[] theirs = new double[rounds];
                for (int k = 0; k < rounds; k++) {
                    ours[k] = millis(carpathia);
                    theirs[k] = millis(ort);
                }
                double a = median(ours);
                double o = median(theirs);
                System.out.printf("{\"batch\": %d, \"tokens\": %d, \"threads\": %d, \"carpathia_ms\": %.1f, "
                        + "\"onnxruntime_ms\": %.1f, \"ratio\": %.2f, \"carpathia_all\": %s, \"onnxruntime_all\": %s}%n",
                        b, t, threads, a, o, a / o, Arrays.toString(ours), Arrays.toString(theirs));
            }
        }
    }

    private static double millis(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return Math.round((System.nanoTime() - t0) / 1e5) / 10.0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
