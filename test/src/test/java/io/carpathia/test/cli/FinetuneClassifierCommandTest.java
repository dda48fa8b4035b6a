package io.carpathia.test.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.train.MetricsLog;
import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertForSequenceClassification;
import io.carpathia.models.bert.BertModel;
import io.carpathia.models.tokenizers.BertEncoding;
import io.carpathia.models.tokenizers.BertTokenizer;
import io.carpathia.weights.hf.BertConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carpathia finetune-classifier} end to end on hand-made reviews (quotes, commas and line breaks inside the
 * texts): with a tiny random BERT folder (a few seconds) and with the bundled all-MiniLM-L6-v2, the run folder it
 * writes, the saved model loading back with the same predictions, a seeded run repeating exactly, and every refusal.
 */
class FinetuneClassifierCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
            "good", "great", "fun", "loved", "excellent", "bad", "awful", "boring", "hated", "terrible",
            "the", "movie", "film", "plot", "was", "is", "and", "it", "a", ",", "\"", "!", ".");
    private static final String[] POSITIVE = {"good", "great", "fun", "loved", "excellent"};
    private static final String[] NEGATIVE = {"bad", "awful", "boring", "hated", "terrible"};
    private static final String[] FILLER = {"the", "movie", "film", "plot", "was", "is", "and", "it", "a"};

    @TempDir
    static Path tmp;
    static Path tiny;
    static Path trainCsv;
    static Path testCsv;

    @BeforeAll
    static void writeModelAndData() throws IOException {
        // a random BERT: hidden 16, one layer of 2 heads, 32 positions
        tiny = tmp.resolve("tiny-bert");
        BertConfig config = new BertConfig(VOCAB.size(), 16, 1, 2, 32, "gelu", 0.1, 0.1, 32, 2, 0.02, 1e-12, 0,
                "absolute", false, true, null, true, Map.of(0, "LABEL_0", 1, "LABEL_1"));
        BertCheckpoint.save(new BertModel(config, new Random(1)), tiny);
        Files.write(tiny.resolve("vocab.txt"), VOCAB, StandardCharsets.UTF_8);
        trainCsv = writeCsv("train.csv", 48, new Random(11));
        testCsv = writeCsv("test.csv", 16, new Random(12));
    }

    /** {@code n} reviews, alternately positive and negative, some quoted with commas, quotes and a line break. */
    private static Path writeCsv(String name, int n, Random r) throws IOException {
        StringBuilder b = new StringBuilder("text,label\n");
        for (int i = 0; i < n; i++) {
            int label = i % 2 == 0 ? 1 : 0;
            String[] mood = label == 1 ? POSITIVE : NEGATIVE;
            List<String> words = new ArrayList<>();
            for (int k = 0; k < 3; k++) words.add(FILLER[r.nextInt(FILLER.length)]);
            words.add(r.nextInt(words.size() + 1), mood[r.nextInt(mood.length)]);
            String text = String.join(" ", words);
            switch (i % 4) {
                case 0 -> b.append(text);
                case 1 -> b.append('"').append(text.replaceFirst(" ", ", ")).append(", \"\"really\"\"!\"");
                case 2 -> b.append('"').append(text).append("\n.\"");
                default -> b.append(text).append(" .");
            }
            b.append(',').append(label).append('\n');
        }
        return Files.writeString(tmp.resolve(name), b, StandardCharsets.UTF_8);
    }

    /** The tiny run's arguments; {@code extra} adds options or replaces their values ("--lr", "1e-2"). */
    private static String[] tinyRun(Path out, String... extra) {
        Map<String, String> o = new LinkedHashMap<>();
        String[] base = {"--model", tiny.toString(), "--train", trainCsv.toString(), "--test", testCsv.toString(),
            "--out", out.toString(), "--epochs", "12", "--batch-size", "8", "--max-length", "12", "--lr", "3e-3",
            "--seed", "3", "--eval-interval", "6", "--patience", "0", "--val-fraction", "0.25"};
        for (int i = 0; i < base.length; i += 2) o.put(base[i], base[i + 1]);
        for (int i = 0; i < extra.length; i += 2) o.put(extra[i], extra[i + 1]);
        List<String> a = new ArrayList<>(List.of("finetune-classifier"));
        o.forEach((k, v) -> a.addAll(List.of(k, v)));
        return a.toArray(String[]::new);
    }

    private static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The predictions column of predictions.csv (line,label,prediction). */
    private static int[] savedPredictions(Path run) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("predictions.csv"));
        assertEquals("line,label,prediction", lines.get(0));
        return lines.stream().skip(1).mapToInt(l -> Integer.parseInt(l.split(",")[2])).toArray();
    }

    @Test
    void finetunesWritesTheRunFolderAndTheSavedModelPredictsTheSame() throws IOException {
        Path run = tmp.resolve("run");
        Cli.Result r = Cli.run(tinyRun(run));
        assertEquals(0, r.status(), r.output());
        assertTrue(r.stdout().contains("36 training, 12 validation, 16 test examples"), r.stdout());
        assertTrue(r.stdout().contains("test accuracy: "), r.stdout());
        assertEquals(List.of("accuracy.png", "loss.png", "metrics.jsonl", "model", "predictions.csv", "results.json"),
                fileNames(run));
        assertEquals(List.of("config.json", "model.safetensors", "vocab.txt"), fileNames(run.resolve("model")));

        // 36 examples in batches of 8: 5 steps an epoch, 60 in all; validation every 6 steps
        List<MetricsLog.Entry> metrics = MetricsLog.read(run.resolve("metrics.jsonl"));
        assertEquals(60, metrics.stream().filter(e -> e.split().equals("train")).count());
        assertEquals(List.of(6L, 12L, 18L, 24L, 30L, 36L, 42L, 48L, 54L, 60L),
                metrics.stream().filter(e -> e.split().equals("val")).map(MetricsLog.Entry::step).toList());
        assertEquals(1, metrics.stream().filter(e -> e.split().equals("test")).count());
        assertTrue(metrics.stream().filter(e -> e.split().equals("val"))
                .allMatch(e -> e.values().get("accuracy") >= 0 && e.values().get("accuracy") <= 1));

        JsonNode config = JSON.readTree(run.resolve("model/config.json").toFile());
        assertEquals("BertForSequenceClassification", config.get("architectures").get(0).asText());
        assertEquals(2, config.get("id2label").size());

        // the saved folder loads back and classifies the test set as the run did
        BertForSequenceClassification saved = BertCheckpoint.loadForSequenceClassification(run.resolve("model"), null,
                new Random(0));
        BertTokenizer tokenizer = BertTokenizer.fromDirectory(run.resolve("model")).withMaxLength(12);
        List<String> testTexts = new ArrayList<>();
        List<Integer> testLabels = new ArrayList<>();
        readCsv(testCsv, testTexts, testLabels);
        int[] predicted = new int[testTexts.size()];
        int correct = 0;
        try (var off = GradMode.off()) {
            for (int i = 0; i < predicted.length; i++) {
                BertEncoding e = tokenizer.encode(testTexts.get(i));
                long[] ids = new long[e.length()];
                for (int k = 0; k < ids.length; k++) ids[k] = e.inputIds()[k];
                float[] logits = saved.forward(Tensor.indices(ids, 1, ids.length), null, null).toFloatArray();
                predicted[i] = logits[1] > logits[0] ? 1 : 0;
                if (predicted[i] == testLabels.get(i)) correct++;
            }
        }
        assertArrayEquals(savedPredictions(run), predicted);
        JsonNode results = JSON.readTree(run.resolve("results.json").toFile());
        assertEquals((double) correct / predicted.length, results.get("test_accuracy").asDouble(), 1e-12);
        assertTrue(results.get("best_step").asInt() >= 6);
        // the words decide the label: even this tiny model learns most of it
        assertTrue(results.get("test_accuracy").asDouble() >= 0.75, "test accuracy " + results.get("test_accuracy"));

        // the same seed gives the same run
        Path again = tmp.resolve("again");
        assertEquals(0, Cli.run(tinyRun(again)).status());
        assertEquals(losses(run), losses(again));
        assertArrayEquals(Files.readAllBytes(run.resolve("model/model.safetensors")),
                Files.readAllBytes(again.resolve("model/model.safetensors")));
    }

    private static List<String> losses(Path run) throws IOException {
        List<String> l = new ArrayList<>();
        for (MetricsLog.Entry e : MetricsLog.read(run.resolve("metrics.jsonl"))) {
            l.add(e.step() + " " + e.split() + " " + e.values().get("loss") + " " + e.values().get("accuracy"));
        }
        return l;
    }

    /** The texts and labels of a two-column CSV file as this test writes it. */
    private static void readCsv(Path file, List<String> texts, List<Integer> labels) throws IOException {
        try (var parser = org.apache.commons.csv.CSVParser.parse(file, StandardCharsets.UTF_8,
                org.apache.commons.csv.CSVFormat.RFC4180)) {
            boolean header = true;
            for (var record : parser) {
                if (header) {
                    header = false;
                    continue;
                }
                texts.add(record.get(0));
                labels.add(Integer.parseInt(record.get(1)));
            }
        }
    }

    @Test
    void finetunesTheBundledMiniLmByDefault() throws IOException {
        Path run = tmp.resolve("minilm-run");
        Cli.Result r = Cli.run("finetune-classifier", "--train", trainCsv.toString(), "--test", testCsv.toString(),
                "--out", run.toString(), "--epochs", "1", "--batch-size", "12", "--max-length", "16",
                "--val-fraction", "0.25");
        assertEquals(0, r.status(), r.output());
        assertTrue(r.stdout().contains("all-MiniLM-L6-v2"), r.stdout());
        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"), fileNames(run.resolve("model")));
        JsonNode config = JSON.readTree(run.resolve("model/config.json").toFile());
        assertEquals(384, config.get("hidden_size").asInt());
        assertEquals(2, config.get("id2label").size());
        assertEquals(16, savedPredictions(run).length);
    }

    /** Exit status 2, one line on stderr containing {@code expected}, and no run folder. */
    private static void refused(Path out, Cli.Result r, String... expected) {
        assertEquals(2, r.status(), r.output());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        for (String e : expected) assertTrue(r.stderr().contains(e), "'" + e + "' not in: " + r.stderr());
        assertFalse(Files.exists(out), out + " was created");
    }

    private static Cli.Result runWith(Path out, Path train, Path test, String... extra) {
        String[] replaced = new String[extra.length + 4];
        System.arraycopy(new String[] {"--train", train.toString(), "--test", test.toString()}, 0, replaced, 0, 4);
        System.arraycopy(extra, 0, replaced, 4, extra.length);
        return Cli.run(tinyRun(out, replaced));
    }

    @Test
    void badInputIsOneLineExitStatusTwoAndWritesNothing() throws IOException {
        Path out = tmp.resolve("refused");
        Path header = Files.writeString(tmp.resolve("header.csv"), "review,sentiment\ngood,1\nbad,0\n");
        refused(out, runWith(out, header, testCsv), "header.csv line 1", "'review,sentiment'", "text,label");

        Path label = Files.writeString(tmp.resolve("label.csv"), "text,label\n\"so \"\"good\"\",\nreally\",1\nbad,neg\n");
        refused(out, runWith(out, label, testCsv), "label.csv line 4", "'neg'", "not a class number");

        Path testLabel = Files.writeString(tmp.resolve("test-label.csv"), "text,label\ngood,1\nbad,2\n");
        refused(out, runWith(out, trainCsv, testLabel), "test-label.csv line 3", "label 2", "(0..1)");

        Path oneClass = Files.writeString(tmp.resolve("one-class.csv"), "text,label\ngood,1\ngreat,1\n");
        refused(out, runWith(out, oneClass, testCsv), "one-class.csv", "at least two classes");

        refused(out, runWith(out, tmp.resolve("absent.csv"), testCsv), "--train", "absent.csv", "no such file");

        // models that are not BERT
        Path gpt2 = Files.createDirectories(tmp.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_layer\": 1}");
        refused(out, Cli.run("finetune-classifier", "--model", gpt2.toString(), "--train", trainCsv.toString(),
                "--test", testCsv.toString(), "--out", out.toString()), "not a BERT model folder", "'gpt2'");
        Path onnxDir = Files.createDirectories(tmp.resolve("onnx"));
        Files.copy(tiny.resolve("vocab.txt"), onnxDir.resolve("vocab.txt"));
        Path notBert = Files.write(onnxDir.resolve("model.onnx"), new byte[] {0x08, 0x07, 0x3A, 0x00});
        refused(out, Cli.run("finetune-classifier", "--model", notBert.toString(), "--train", trainCsv.toString(),
                "--test", testCsv.toString(), "--out", out.toString()), "no tokenizer beside it", "tokenizer.json");

        // a tokenizer with more tokens than the model has embeddings
        Path bigVocab = Files.createDirectories(tmp.resolve("big-vocab"));
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(tiny.resolve(f), bigVocab.resolve(f));
        List<String> more = new ArrayList<>(VOCAB);
        more.addAll(List.of("extra", "words"));
        Files.write(bigVocab.resolve("vocab.txt"), more, StandardCharsets.UTF_8);
        refused(out, runWith(out, trainCsv, testCsv, "--model", bigVocab.toString()), "the tokenizer has 30 tokens",
                "vocab_size is 28");

        // arguments the model or the data cannot meet
        refused(out, runWith(out, trainCsv, testCsv, "--max-length", "40"), "--max-length 40",
                "max_position_embeddings (32)");
        refused(out, runWith(out, trainCsv, testCsv, "--val-fraction", "1.5"), "--val-fraction");
        Path two = Files.writeString(tmp.resolve("two.csv"), "text,label\ngood,1\nbad,0\n");
        refused(out, runWith(out, two, testCsv, "--val-fraction", "0.9"), "too few");

        // an output folder that cannot be made, and one that holds something already
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        refused(file.resolve("run"), runWith(file.resolve("run"), trainCsv, testCsv), "cannot create the run folder",
                "is not a folder");
        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("keep.txt"), "mine");
        Cli.Result r = runWith(taken, trainCsv, testCsv);
        assertEquals(2, r.status(), r.output());
        assertTrue(r.stderr().contains("already exists and is not empty"), r.stderr());
        assertEquals(List.of("keep.txt"), fileNames(taken));
        assertEquals("mine", Files.readString(taken.resolve("keep.txt")));
    }

    @Test
    void aTinyRunStopsEarlyAndKeepsTheBestWeights() throws IOException {
        // validation after every step, patience 1: with this seed the third validation is the first not to improve
        Path run = tmp.resolve("early");
        Cli.Result r = Cli.run(tinyRun(run, "--eval-interval", "1", "--patience", "1", "--lr", "3e-2"));
        assertEquals(0, r.status(), r.output());
        assertTrue(r.stdout().contains("stopping early at step 3: no better validation accuracy in 1 validation"),
                r.stdout());
        List<MetricsLog.Entry> val = MetricsLog.read(run.resolve("metrics.jsonl")).stream()
                .filter(e -> e.split().equals("val")).toList();
        assertEquals(List.of(1L, 2L, 3L), val.stream().map(MetricsLog.Entry::step).toList());
        // the last validation is worse than the best, by accuracy or by loss at equal accuracy
        Map<String, Double> best = val.get(1).values();
        Map<String, Double> last = val.get(2).values();
        assertTrue(last.get("accuracy") < best.get("accuracy")
                || (last.get("accuracy").equals(best.get("accuracy")) && last.get("loss") >= best.get("loss")));
        JsonNode results = JSON.readTree(run.resolve("results.json").toFile());
        assertEquals(3, results.get("steps").asInt());
        assertEquals(2, results.get("best_step").asInt());
        assertEquals(best.get("accuracy"), results.get("best_validation_accuracy").asDouble(), 0);
        assertTrue(r.stdout().contains("with the weights of step 2"), r.stdout());
    }
}
