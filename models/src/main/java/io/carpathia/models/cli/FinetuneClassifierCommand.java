package io.carpathia.models.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.device.Device;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.optim.GradClip;
import io.carpathia.engine.optim.LrSchedule;
import io.carpathia.engine.optim.ParamGroup;
import io.carpathia.engine.train.LossCurve;
import io.carpathia.engine.train.MetricsLog;
import io.carpathia.engine.train.TrainingProgress;
import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertForSequenceClassification;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.models.tokenizers.BertEncoding;
import io.carpathia.models.tokenizers.BertTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code carpathia finetune-classifier --train train.csv --test test.csv}: full fine-tuning of a BERT encoder with a
 * classification head (Hugging Face's {@code BertForSequenceClassification}) on {@code text,label} CSV files.
 *
 * <p>The recipe is the usual one for BERT: AdamW with weight decay on the matrices only, a linear warmup then a
 * linear decay of the learning rate to 0, gradient clipping at norm 1, the config's dropout. A seeded share of the
 * training set is held out for validation; after each evaluation the best weights so far (by validation accuracy)
 * are kept, training stops early after {@code --patience} evaluations without improvement, and the best weights are
 * the ones tested and saved. The run folder gets {@code metrics.jsonl}, {@code loss.png} (train and validation loss),
 * {@code accuracy.png} (validation and test accuracy), {@code predictions.csv} (the test set's), {@code results.json},
 * and {@code model/}: a Hugging Face folder (config with id2label, model.safetensors, the tokenizer) written
 * atomically. An existing run folder is never overwritten.
 */
@Command(name = "finetune-classifier", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune a BERT encoder for text classification on CSV files with the columns text,label "
                + "(labels: class numbers 0, 1, ...). AdamW, linear warmup and decay, early stopping on validation "
                + "accuracy with the best weights restored; prints the test accuracy and saves a Hugging Face folder.")
public final class FinetuneClassifierCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--model", paramLabel = "DIR|FILE.onnx",
            description = "the BERT to fine-tune: a Hugging Face folder or an ONNX export with its tokenizer beside "
                    + "it. Default: all-MiniLM-L6-v2, bundled")
    Path model;

    @Option(names = "--train", required = true, paramLabel = "CSV", description = "training examples (text,label)")
    Path trainFile;

    @Option(names = "--test", required = true, paramLabel = "CSV", description = "test examples (text,label)")
    Path testFile;

    @Option(names = "--out", defaultValue = "runs/finetune-classifier", paramLabel = "DIR",
            description = "the run folder to create (must not exist or be empty). Default: ${DEFAULT-VALUE}")
    Path out;

    @Option(names = "--epochs", defaultValue = "3", description = "passes over the training set. Default: ${DEFAULT-VALUE}")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", description = "examples per step. Default: ${DEFAULT-VALUE}")
    int batchSize;

    @Option(names = "--lr", defaultValue = "5e-5", description = "peak learning rate. Default: ${DEFAULT-VALUE}")
    double lr;

    @Option(names = "--max-length", defaultValue = "128",
            description = "tokens per text, [CLS] and [SEP] included; longer texts are truncated. Default: ${DEFAULT-VALUE}")
    int maxLength;

    @Option(names = "--warmup", paramLabel = "STEPS",
            description = "linear warmup steps (default: a tenth of all steps)")
    Integer warmup;

    @Option(names = "--weight-decay", defaultValue = "0.01",
            description = "AdamW weight decay of the weight matrices (not biases or LayerNorms). Default: ${DEFAULT-VALUE}")
    double weightDecay;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "clip the global gradient norm (0 = off). Default: ${DEFAULT-VALUE}")
    double gradClip;

    @Option(names = "--val-fraction", defaultValue = "0.1",
            description = "share of --train held out for validation (seeded). Default: ${DEFAULT-VALUE}")
    double valFraction;

    @Option(names = "--eval-interval", paramLabel = "STEPS", description = "steps between validations (default: one epoch)")
    Integer evalInterval;

    @Option(names = "--patience", defaultValue = "2",
            description = "stop after this many validations without a better accuracy (0 = never). Default: ${DEFAULT-VALUE}")
    int patience;

    @Option(names = "--seed", defaultValue = "42", description = "seeds the classifier's initialisation, dropout, "
            + "the validation split and the batch order. Default: ${DEFAULT-VALUE}")
    long seed;

    @Mixin DeviceOption device;

    @Option(names = "--verbose", description = "stack traces on errors") boolean verbose;

    /** One example set, tokenised: ids without padding, and labels. */
    private record Examples(int[][] ids, int[] labels) {
        int size() {
            return labels.length;
        }
    }

    /** What an evaluation gives. */
    private record Evaluation(double accuracy, double loss, int correct, int[] predictions) {}

    @Override
    public Integer call() throws IOException {
        validateArguments();
        checkRunFolder();
        // every input is checked before anything is loaded or written
        LabeledCsv train = LabeledCsv.read(trainFile, "--train");
        train.requireClasses();
        int classes = train.classCount();
        LabeledCsv test = LabeledCsv.read(testFile, "--test");
        test.requireLabelsBelow(classes, trainFile);
        int valCount = (int) Math.max(1, Math.round(train.size() * valFraction));
        if (valCount >= train.size()) {
            throw new UserError(trainFile + " has " + train.size() + " examples: too few to hold out "
                    + valCount + " for validation (--val-fraction " + valFraction + ") and train on the rest");
        }
        try (Device.Use on = device.open().use()) {
            return finetune(train, test, classes, valCount);
        }
    }

    private void validateArguments() {
        positive("--epochs", epochs);
        positive("--batch-size", batchSize);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new UserError("--lr must be a positive number, got " + lr);
        if (maxLength < 3) throw new UserError("--max-length must be at least 3 ([CLS], a token, [SEP]), got " + maxLength);
        if (!(weightDecay >= 0)) throw new UserError("--weight-decay must be >= 0, got " + weightDecay);
        if (!(gradClip >= 0)) throw new UserError("--grad-clip must be >= 0, got " + gradClip);
        if (!(valFraction > 0 && valFraction < 1)) {
            throw new UserError("--val-fraction must be in (0, 1), got " + valFraction);
        }
        if (evalInterval != null) positive("--eval-interval", evalInterval);
        if (warmup != null && warmup < 0) throw new UserError("--warmup must be >= 0, got " + warmup);
        if (patience < 0) throw new UserError("--patience must be >= 0, got " + patience);
    }

    private static void positive(String name, long v) {
        if (v <= 0) throw new UserError(name + " must be positive, got " + v);
    }

    /** The run folder must be new (or empty), and creatable: its nearest existing ancestor a writable folder. */
    private void checkRunFolder() throws IOException {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) throw new UserError("--out " + out + " is a file, not a folder");
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new UserError("--out " + out + " already exists and is not empty; finetune-classifier "
                            + "writes a new run folder and overwrites nothing");
                }
            }
            if (!Files.isWritable(out)) throw new UserError("--out " + out + " is not writable");
            return;
        }
        Path p = out.toAbsolutePath().getParent();
        while (p != null && !Files.exists(p)) p = p.getParent();
        if (p == null || !Files.isDirectory(p)) {
            throw new UserError("cannot create the run folder " + out + ": " + p + " is not a folder");
        }
        if (!Files.isWritable(p)) throw new UserError("cannot create the run folder " + out + ": " + p + " is not writable");
    }

    private int finetune(LabeledCsv trainCsv, LabeledCsv testCsv, int classes, int valCount) throws IOException {
        PrintStream console = System.out;
        long started = System.nanoTime();
        BertSource source = BertSource.open(model);
        Random modelRng = new Random(seed);   // the new classifier's weights, then every dropout mask
        BertForSequenceClassification classifier = source.classifier(classes, modelRng);
        int positions = classifier.config().maxPositionEmbeddings();
        if (maxLength > positions) {
            throw new UserError("--max-length " + maxLength + " is more than the model's max_position_embeddings ("
                    + positions + ")");
        }
        source.checkTokenizerFits(classifier.config());
        BertTokenizer tokenizer = source.tokenizer().withMaxLength(maxLength);
        int padId = tokenizer.padTokenId();

        // ---- the validation split (seeded), then every text tokenised once
        int[] order = permutation(trainCsv.size(), new Random(seed + 1));
        int[] valRows = Arrays.copyOf(order, valCount);
        int[] trainRows = Arrays.copyOfRange(order, valCount, order.length);
        List<String> notes = new ArrayList<>();
        Examples train = encode("training", trainCsv, trainRows, tokenizer, notes);
        Examples val = encode("validation", trainCsv, valRows, tokenizer, notes);
        Examples test = encode("test", testCsv, null, tokenizer, notes);

        // Every batch, for training and evaluation alike, is [batch-size, T] with one T: the longest text (at most
        // --max-length). Steps then ask the engine's array pool for the same shapes each time and allocate nothing
        // new; batches of varied shapes would each take fresh native memory.
        int sequenceLength = Math.max(longest(train), Math.max(longest(val), longest(test)));
        int stepsPerEpoch = (train.size() + batchSize - 1) / batchSize;
        int totalSteps = epochs * stepsPerEpoch;
        int warmupSteps = warmup != null ? warmup : (int) Math.round(totalSteps * 0.1);
        if (warmupSteps > totalSteps) {
            throw new UserError("--warmup " + warmupSteps + " is more than the run's " + totalSteps + " steps");
        }
        int interval = evalInterval != null ? evalInterval : stepsPerEpoch;
        LrSchedule schedule = LrSchedule.warmupLinear(lr, warmupSteps, totalSteps, 0);
        AdamW optimizer = new AdamW(ParamGroup.decayAndNoDecay(classifier.namedParameters(), weightDecay),
                AdamW.options().lr(lr).betas(0.9, 0.999).eps(1e-8).weightDecay(weightDecay));

        console.printf("carpathia finetune-classifier: %s, %,d parameters, %d classes; %,d training, %,d validation, "
                        + "%,d test examples; %d epoch%s of %d steps of %d × %d tokens, lr %.1e%s%n",
                source.description(), classifier.parameterCount(), classes, train.size(), val.size(), test.size(),
                epochs, epochs == 1 ? "" : "s", stepsPerEpoch, batchSize, sequenceLength, lr,
                DeviceOption.whereProductsRun());
        for (String note : notes) console.println(note);

        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UserError("cannot create the run folder " + out + ": " + e.getMessage(), e);
        }
        Path metricsFile = out.resolve("metrics.jsonl");
        String title = source.name() + " fine-tuned on " + trainFile.getFileName();
        Random batchOrder = new Random(seed + 2);
        Map<String, INDArray> best = null;
        EarlyStopping stopping = new EarlyStopping(patience);
        int step = 0;
        boolean stoppedEarly = false;
        try (MetricsLog metrics = new MetricsLog(metricsFile);
             TrainingProgress progress = new TrainingProgress("finetune", totalSteps, 0, console,
                     TrainingProgress.isTerminal())) {
            long windowStart = System.nanoTime();
            long windowTokens = 0;
            classifier.train();
            training:
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] rows = permutation(train.size(), batchOrder);
                for (int from = 0; from < rows.length; from += batchSize) {
                    int[] batch = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + batchSize));
                    double stepLr = schedule.lrAt(step);
                    optimizer.setLr(stepLr);
                    double loss;
                    try (var scope = Scope.open()) {
                        Inputs in = inputs(train, batch, padId, sequenceLength);
                        Tensor l = classifier.loss(classifier.forward(in.ids(), null, in.mask()), in.labels());
                        l.backward();
                        loss = l.item();
                        windowTokens += in.tokens();
                    }
                    if (gradClip > 0) GradClip.clipGradNorm(classifier.parameters(), gradClip);
                    optimizer.step();
                    optimizer.zeroGrad();
                    step++;
                    double tokPerSec = windowTokens / Math.max((System.nanoTime() - windowStart) / 1e9, 1e-9);
                    Map<String, Number> row = new LinkedHashMap<>();
                    row.put("loss", loss);
                    row.put("lr", stepLr);
                    row.put("tokens_per_s", tokPerSec);
                    metrics.log(step, "train", row);
                    progress.update(step, loss, stepLr, tokPerSec);

                    if (step % interval != 0 && step != totalSteps) continue;
                    Evaluation v = evaluate(classifier, val, padId, sequenceLength);
                    Map<String, Number> vrow = new LinkedHashMap<>();
                    vrow.put("loss", v.loss());
                    vrow.put("accuracy", v.accuracy());
                    vrow.put("epoch", (double) step / stepsPerEpoch);
                    metrics.log(step, "val", vrow);
                    boolean better = stopping.observe(step, v.accuracy(), v.loss());
                    if (better) best = snapshot(classifier, best);
                    progress.println(String.format("step %d (epoch %.2f): validation accuracy %.4f (%d/%d), loss %.4f%s",
                            step, (double) step / stepsPerEpoch, v.accuracy(), v.correct(), val.size(), v.loss(),
                            better ? " (best so far)" : String.format(", best %.4f at step %d", stopping.bestAccuracy(),
                                    stopping.bestStep())));
                    LossCurve.write(metricsFile, out.resolve("loss.png"), "loss", title);
                    LossCurve.write(metricsFile, out.resolve("accuracy.png"), "accuracy", title);
                    if (stopping.shouldStop()) {
                        stoppedEarly = step < totalSteps;
                        break training;
                    }
                    windowStart = System.nanoTime();
                    windowTokens = 0;
                }
            }
            if (stoppedEarly) {
                progress.println(String.format("stopping early at step %d: no better validation accuracy in %d "
                        + "validation%s", step, patience, patience == 1 ? "" : "s"));
            }

            // ---- the best weights, tested and saved
            classifier.loadStateDict(best, true);
            Evaluation t = evaluate(classifier, test, padId, sequenceLength);
            Map<String, Number> trow = new LinkedHashMap<>();
            trow.put("loss", t.loss());
            trow.put("accuracy", t.accuracy());
            metrics.log(stopping.bestStep(), "test", trow);   // drawn at the step whose weights were tested
            LossCurve.write(metricsFile, out.resolve("accuracy.png"), "accuracy", title);
            double seconds = (System.nanoTime() - started) / 1e9;
            save(classifier, source, test, testCsv, t, stopping, step, stepsPerEpoch, seconds);
            console.printf("test accuracy: %.4f (%,d of %,d), with the weights of step %d (validation accuracy %.4f); "
                            + "%s%n", t.accuracy(), t.correct(), test.size(), stopping.bestStep(),
                    stopping.bestAccuracy(), formatDuration(seconds));
            console.println("run folder: " + out + " (model/, metrics.jsonl, loss.png, accuracy.png, predictions.csv, "
                    + "results.json)");
        }
        return 0;
    }

    /** The rows of a CSV (all, or {@code rows}) tokenised; a note counts the texts cut to the maximum length. */
    private Examples encode(String name, LabeledCsv csv, int[] rows, BertTokenizer tokenizer, List<String> notes) {
        int n = rows == null ? csv.size() : rows.length;
        int[][] ids = new int[n][];
        int[] labels = new int[n];
        int truncated = 0;
        long cut = 0;
        for (int i = 0; i < n; i++) {
            int r = rows == null ? i : rows[i];
            BertEncoding e = tokenizer.encode(csv.texts().get(r));
            ids[i] = e.inputIds();
            labels[i] = csv.labels()[r];
            if (e.truncated()) {
                truncated++;
                cut += e.truncatedTokens();
            }
        }
        String report = BertSource.truncationReport(truncated, cut, n, maxLength, name + " texts");
        if (report != null) notes.add(report);
        return new Examples(ids, labels);
    }

    /** The most tokens of any text of a set. */
    private static int longest(Examples examples) {
        int t = 1;
        for (int[] row : examples.ids()) t = Math.max(t, row.length);
        return t;
    }

    /** The label of the rows that fill a short last batch: the loss leaves them out (PyTorch's ignore_index). */
    private static final int IGNORED = -100;

    /** A batch's inputs: ids and mask [B, T] right-padded, labels [B], and the number of real (unpadded) tokens. */
    private record Inputs(Tensor ids, Tensor mask, Tensor labels, long tokens) {}

    /**
     * The examples {@code rows} as a [batch-size, t] batch. When there are fewer rows than the batch size (the last
     * batch), the rest repeat the first example with the label {@link #IGNORED}: the shapes stay those of every
     * other step, and the mean loss is that of the real rows.
     */
    private Inputs inputs(Examples examples, int[] rows, int padId, int t) {
        int b = batchSize;
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] labels = new long[b];
        long tokens = 0;
        Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            boolean real = i < rows.length;
            int[] row = examples.ids()[rows[real ? i : 0]];
            for (int j = 0; j < row.length; j++) {
                ids[i * t + j] = row[j];
                mask[i * t + j] = 1;
            }
            if (real) tokens += row.length;
            labels[i] = real ? examples.labels()[rows[i]] : IGNORED;
        }
        return new Inputs(Tensor.indices(ids, b, t), Tensor.indices(mask, b, t), Tensor.indices(labels, b), tokens);
    }

    /** Accuracy, mean loss and the predicted class of every example, without dropout or a graph. */
    private Evaluation evaluate(BertForSequenceClassification classifier, Examples examples, int padId, int t) {
        classifier.eval();
        int[] predictions = new int[examples.size()];
        double lossSum = 0;
        int correct = 0;
        try (var off = GradMode.off()) {
            for (int from = 0; from < examples.size(); from += batchSize) {
                int n = Math.min(examples.size(), from + batchSize) - from;
                int[] rows = new int[n];
                for (int k = 0; k < n; k++) rows[k] = from + k;
                try (var scope = Scope.open()) {
                    Inputs in = inputs(examples, rows, padId, t);
                    Tensor logits = classifier.forward(in.ids(), null, in.mask());
                    lossSum += classifier.loss(logits, in.labels()).item() * n;   // the mean over the n real rows
                    float[] l = logits.toFloatArray();
                    int c = (int) logits.size(1);
                    for (int k = 0; k < n; k++) {
                        int arg = 0;
                        for (int j = 1; j < c; j++) if (l[k * c + j] > l[k * c + arg]) arg = j;
                        predictions[rows[k]] = arg;
                        if (arg == examples.labels()[rows[k]]) correct++;
                    }
                }
            }
        }
        classifier.train();
        return new Evaluation((double) correct / examples.size(), lossSum / examples.size(), correct, predictions);
    }

    /** Copies of every parameter and buffer (into {@code into}'s arrays when given). */
    private static Map<String, INDArray> snapshot(BertForSequenceClassification model, Map<String, INDArray> into) {
        Map<String, INDArray> copy = into != null ? into : new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> {
            INDArray kept = copy.get(name);
            if (kept == null) copy.put(name, t.value().dup());
            else kept.assign(t.value());
        });
        return copy;
    }

    private void save(BertForSequenceClassification classifier, BertSource source, Examples test, LabeledCsv testCsv,
                      Evaluation t, EarlyStopping stopping, int steps, int stepsPerEpoch, double seconds)
            throws IOException {
        try {
            BertCheckpoint.saveWithFiles(classifier, classifier.config(), "BertForSequenceClassification",
                    out.resolve("model"), source.tokenizerFiles(), false);
        } catch (FileAlreadyExistsException e) {
            throw new UserError(out.resolve("model") + " appeared during the run; nothing was overwritten");
        }
        StringBuilder csv = new StringBuilder("line,label,prediction\n");
        for (int i = 0; i < test.size(); i++) {
            csv.append(testCsv.lines()[i]).append(',').append(test.labels()[i]).append(',')
                    .append(t.predictions()[i]).append('\n');
        }
        Files.writeString(out.resolve("predictions.csv"), csv, StandardCharsets.UTF_8);
        ObjectNode results = JSON.createObjectNode();
        results.put("test_accuracy", t.accuracy());
        results.put("test_loss", t.loss());
        results.put("test_examples", test.size());
        results.put("best_validation_accuracy", stopping.bestAccuracy());
        results.put("best_step", stopping.bestStep());
        results.put("steps", steps);
        results.put("steps_per_epoch", stepsPerEpoch);
        results.put("seconds", Math.round(seconds * 10) / 10.0);
        results.put("model", source.description());
        results.put("train", trainFile.toString());
        results.put("test", testFile.toString());
        results.put("epochs", epochs);
        results.put("batch_size", batchSize);
        results.put("lr", lr);
        results.put("max_length", maxLength);
        results.put("weight_decay", weightDecay);
        results.put("seed", seed);
        Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(results) + "\n", StandardCharsets.UTF_8);
    }

    /** 0..n-1 in an order drawn from {@code rng} (Fisher–Yates). */
    private static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    private static String formatDuration(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
