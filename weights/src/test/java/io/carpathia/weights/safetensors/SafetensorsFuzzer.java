package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Differential fuzzing of {@link SafetensorsReader}: valid seed files are mutated (bit flips, byte writes,
 * truncation, extension, header length changes, edits of the JSON text: numbers, dtypes, keys, punctuation) and each
 * result is opened by the reader and judged by {@link ReferenceModel}. Every outcome must be one of two:
 * <ul>
 *   <li>the model says valid, and the reader opens the file and reads every tensor with exactly the file's bytes;</li>
 *   <li>the model says invalid, and the reader throws {@link SafetensorsFormatException}.</li>
 * </ul>
 * Anything else (another exception, a disagreement, a wrong value, a hang) is a failure.
 *
 * <p>The test suite runs a few thousand cases ({@code FuzzTest}); {@link #main} runs as many as asked, with a time
 * limit per case, and prints a summary (see weights/README.md for the command).
 */
public final class SafetensorsFuzzer {
    private SafetensorsFuzzer() {}

    /** What one case came to. */
    enum Outcome { READ, REFUSED }

    /** The outcome, and for a refusal the rule the reader named. */
    record Result(Outcome outcome, SafetensorsFormatException.Rule rule) {}

    /** Seeds: small valid files covering every dtype, scalars, empty tensors, metadata and odd header layouts. */
    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        Random r = new Random(1);
        for (int s = 0; s < 6; s++) {
            SafetensorsWriter w = new SafetensorsWriter();
            if (s % 2 == 0) w.putMetadata("format", "pt").putMetadata("note", "seed " + s + " \u00e9\u6743");
            int n = 1 + r.nextInt(5);
            for (int i = 0; i < n; i++) {
                Dtype d = Dtype.values()[r.nextInt(Dtype.values().length)];
                long[] shape = new long[r.nextInt(4)];
                long elements = 1;
                for (int k = 0; k < shape.length; k++) {
                    shape[k] = r.nextInt(5); // 0 included: empty tensors
                    elements *= shape[k];
                }
                byte[] data = new byte[(int) elements * d.byteSize()];
                r.nextBytes(data);
                w.add("t" + i + (i % 2 == 0 ? ".weight" : ".bias"), d, shape, data);
            }
            seeds.add(bytesOf(w));
        }
        // Written by another hand: spaces after separators, leading whitespace, entries out of data order.
        String header = "  {\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]}, "
                + "\"a\": {\"dtype\": \"I64\", \"shape\": [], \"data_offsets\": [0, 8]}, "
                + "\"__metadata__\": {\"k\": \"v\"}}\n";
        seeds.add(TestFiles.file(header, new byte[16]));
        seeds.add(TestFiles.file("{}      ", new byte[0]));
        return seeds;
    }

    private static byte[] bytesOf(SafetensorsWriter w) {
        try {
            Path tmp = Files.createTempFile("seed", ".safetensors");
            try {
                w.write(tmp);
                return Files.readAllBytes(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String[] DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "U16",
        "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "f32", "", "C64"};
    private static final String JSONISH = "{}[]\":, \t\n0123456789-+.eE\\u_abcdefnrtxyzF";
    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final Pattern STRING = Pattern.compile("\"[^\"]*\"");
    private static final Pattern DTYPE = Pattern.compile("\"(F64|F32|F16|BF16|I64|I32|I16|I8|U8|U16|U32|U64|BOOL"
            + "|F8_E4M3|F8_E5M2)\"");

    /** One to three mutations of a seed. */
    static byte[] mutate(byte[] seed, Random r) {
        byte[] f = seed.clone();
        int mutations = 1 + r.nextInt(3);
        for (int m = 0; m < mutations; m++) f = mutateOnce(f, r);
        return f;
    }

    private static byte[] mutateOnce(byte[] f, Random r) {
        int headerEnd = (int) Math.min(f.length, 8 + Math.max(0, Math.min(headerLength(f), f.length)));
        switch (r.nextInt(11)) {
            case 0 -> { // flip bits, mostly in the header
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips && f.length > 0; i++) {
                    int at = r.nextInt(4) > 0 && headerEnd > 0 ? r.nextInt(headerEnd) : r.nextInt(f.length);
                    f[at] ^= (byte) (1 << r.nextInt(8));
                }
                return f;
            }
            case 1 -> { // overwrite a byte with anything
                if (f.length > 0) f[r.nextInt(f.length)] = (byte) r.nextInt(256);
                return f;
            }
            case 2 -> { // truncate
                return Arrays.copyOf(f, f.length == 0 ? 0 : r.nextInt(f.length));
            }
            case 3 -> { // extend with zeros, spaces or noise
                byte[] g = Arrays.copyOf(f, f.length + 1 + r.nextInt(16));
                int kind = r.nextInt(3);
                for (int i = f.length; i < g.length; i++) {
                    g[i] = kind == 0 ? 0 : kind == 1 ? (byte) ' ' : (byte) r.nextInt(256);
                }
                return g;
            }
            case 4 -> { // a new header length: near the old one, anywhere in the file, or absurd
                if (f.length < 8) return f;
                long old = headerLength(f);
                long n = switch (r.nextInt(4)) {
                    case 0 -> old + r.nextInt(33) - 16;
                    case 1 -> r.nextInt(f.length + 1);
                    case 2 -> r.nextLong();
                    default -> 100_000_000L + r.nextInt(3) - 1;
                };
                ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
                return f;
            }
            case 5 -> { // flip data bits only: the file stays valid, the values change
                if (headerEnd < f.length) f[headerEnd + r.nextInt(f.length - headerEnd)] ^= (byte) (1 << r.nextInt(8));
                return f;
            }
            default -> { // edit the JSON text, then maybe fix the length and padding so deeper rules are reached
                return editHeader(f, headerEnd, r);
            }
        }
    }

    private static byte[] editHeader(byte[] f, int headerEnd, Random r) {
        if (f.length < 8 || headerEnd <= 8) return f;
        String header = new String(f, 8, headerEnd - 8, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(f, headerEnd, f.length);
        String edited = switch (r.nextInt(8)) {
            case 0 -> replaceRandom(header, NUMBER, r, () -> switch (r.nextInt(6)) {
                case 0 -> "0";
                case 1 -> String.valueOf(r.nextInt(64));
                case 2 -> String.valueOf(-1 - r.nextInt(3));
                case 3 -> String.valueOf(Long.MAX_VALUE - r.nextInt(3));
                case 4 -> "18446744073709551615";
                default -> String.valueOf(r.nextInt(100_000));
            });
            case 1 -> replaceRandom(header, DTYPE, r, () -> "\"" + DTYPES[r.nextInt(DTYPES.length)] + "\"");
            case 2 -> deleteRandom(header, r);
            case 3 -> insertRandom(header, r);
            case 4 -> duplicateEntry(header, r);
            case 6 -> replaceRandom(header, STRING, r, () -> new String[] {"1", "null", "true", "{}", "[]", "\"\""}
                    [r.nextInt(6)]);
            case 5 -> header.replaceFirst("\"data_offsets\":\\s*\\[(\\d+),\\s*(\\d+)\\]", "\"data_offsets\":[$2,$1]");
            default -> header.replace("\"shape\":[", "\"shape\":[" + (r.nextBoolean() ? "1," : "0,"));
        };
        byte[] h = edited.getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(3) == 0) return TestFiles.withLength(headerLength(f), concat(h, data)); // length left stale
        int pad = r.nextBoolean() ? (8 - h.length % 8) % 8 : 0;
        byte[] padded = Arrays.copyOf(h, h.length + pad);
        Arrays.fill(padded, h.length, padded.length, (byte) ' ');
        return TestFiles.file(padded, data);
    }

    private static String replaceRandom(String s, Pattern p, Random r, java.util.function.Supplier<String> with) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = p.matcher(s);
        while (m.find()) spans.add(new int[] {m.start(), m.end()});
        if (spans.isEmpty()) return s;
        int[] span = spans.get(r.nextInt(spans.size()));
        return s.substring(0, span[0]) + with.get() + s.substring(span[1]);
    }

    private static String deleteRandom(String s, Random r) {
        if (s.isEmpty()) return s;
        int at = r.nextInt(s.length());
        int len = 1 + r.nextInt(Math.min(8, s.length() - at));
        return s.substring(0, at) + s.substring(at + len);
    }

    private static String insertRandom(String s, Random r) {
        int at = r.nextInt(s.length() + 1);
        String piece = r.nextInt(8) == 0 ? "\\ud800" : String.valueOf(JSONISH.charAt(r.nextInt(JSONISH.length())));
        return s.substring(0, at) + piece + s.substring(at);
    }

    /** Repeats one {"name": {...}} entry, or renames it onto another. */
    private static String duplicateEntry(String s, Random r) {
        Matcher m = Pattern.compile("\"[^\"]*\":\\s*\\{[^{}]*\\}").matcher(s);
        List<String> entries = new ArrayList<>();
        while (m.find()) entries.add(m.group());
        if (entries.isEmpty()) return s;
        String e = entries.get(r.nextInt(entries.size()));
        int close = s.lastIndexOf('}');
        return close < 0 ? s : s.substring(0, close) + "," + e + s.substring(close);
    }

    private static long headerLength(byte[] f) {
        if (f.length < 8) return 0;
        return ByteBuffer.wrap(f, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Runs one case: writes {@code content} to a file in {@code dir}, opens and reads it, and checks the outcome
     * against the model. Throws AssertionError on any disagreement; other exceptions escape as they are.
     */
    static Result check(byte[] content, Path dir, long caseNumber) throws IOException {
        Path file = dir.resolve("case-" + caseNumber + ".safetensors");
        Files.write(file, content);
        try {
            ReferenceModel.Verdict verdict = ReferenceModel.judge(content);
            SafetensorsReader reader;
            try {
                reader = SafetensorsReader.open(file);
            } catch (SafetensorsFormatException e) {
                if (verdict.valid()) throw new AssertionError("refused a valid file: " + e.getMessage());
                if (!e.getMessage().startsWith(file + ": ")) throw new AssertionError("message without file: " + e);
                return new Result(Outcome.REFUSED, e.rule());
            }
            try (reader) {
                if (!verdict.valid()) {
                    throw new AssertionError("accepted an invalid file (" + verdict.invalidBecause() + ")");
                }
                checkContent(reader, verdict, content);
                return new Result(Outcome.READ, null);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The reader's view of a valid file must be the model's, every tensor byte for byte. */
    private static void checkContent(SafetensorsReader reader, ReferenceModel.Verdict v, byte[] content)
            throws IOException {
        List<String> expectedNames = new ArrayList<>();
        for (ReferenceModel.Tensor t : v.tensors()) expectedNames.add(t.name());
        if (!new java.util.HashSet<>(expectedNames).equals(new java.util.HashSet<>(reader.names()))) {
            throw new AssertionError("names " + reader.names() + " vs model " + expectedNames);
        }
        if (!v.metadata().equals(reader.metadata())) {
            throw new AssertionError("metadata " + reader.metadata() + " vs model " + v.metadata());
        }
        for (ReferenceModel.Tensor t : v.tensors()) {
            TensorInfo info = reader.info(t.name());
            if (info.dtype() != t.dtype() || !Arrays.equals(info.shape(), t.shape()) || info.begin() != t.begin()
                    || info.end() != t.end()) {
                throw new AssertionError("header entry " + info + " vs model " + t);
            }
            byte[] expected = Arrays.copyOfRange(content, (int) (v.dataStart() + t.begin()),
                    (int) (v.dataStart() + t.end()));
            if (!Arrays.equals(expected, reader.readBytes(t.name()))) {
                throw new AssertionError("bytes of " + t.name());
            }
            if (t.shape().length <= SafetensorsReader.MAX_ND4J_RANK) {
                INDArray a = reader.read(t.name());
                if (!Arrays.equals(a.shape(), t.shape())) throw new AssertionError("array shape of " + t.name());
                if (!a.isEmpty() && !Arrays.equals(arrayBytes(a, t.dtype()), expected)) {
                    throw new AssertionError("array values of " + t.name());
                }
            }
        }
    }

    /** The array's elements as the file would store them (8-bit floats narrowed back from their exact FLOAT form). */
    private static byte[] arrayBytes(INDArray a, Dtype dtype) {
        ByteBuffer raw = NativeMemory.window(NativeMemory.address(a), (int) (a.length() * a.dataType().width()));
        if (dtype.hasExactNd4jType()) {
            byte[] b = new byte[raw.remaining()];
            raw.get(b);
            return b;
        }
        byte[] b = new byte[(int) a.length()];
        for (int i = 0; i < b.length; i++) {
            float x = raw.getFloat(4 * i);
            b[i] = narrow(x, dtype);
        }
        return b;
    }

    /** Finds the F8 bit pattern that widens to x (NaN: the pattern the widening maps its NaN from). */
    private static byte narrow(float x, Dtype dtype) {
        for (int bits = 0; bits < 256; bits++) {
            float y = dtype == Dtype.F8_E4M3 ? NarrowFloats.e4m3ToFloat((byte) bits)
                    : NarrowFloats.e5m2ToFloat((byte) bits);
            if (Float.floatToRawIntBits(x) == Float.floatToRawIntBits(y)) return (byte) bits;
        }
        throw new AssertionError("no " + dtype + " value widens to " + x);
    }

    /** Totals of a run. */
    static final class Summary {
        long cases;
        long read;
        long refused;
        long failures;
        long otherExceptions;
        long hangs;
        final java.util.Map<SafetensorsFormatException.Rule, Long> refusedBy =
                new java.util.EnumMap<>(SafetensorsFormatException.Rule.class);
        final List<String> examples = new ArrayList<>();

        void record(String what) {
            if (examples.size() < 20) examples.add(what);
        }

        @Override
        public String toString() {
            return "cases: " + cases + "\nread correctly: " + read + "\nrefused with SafetensorsFormatException: "
                    + refused + " " + refusedBy + "\nwrong outcomes (disagreements with the model, wrong values): " + failures
                    + "\nother exceptions: " + otherExceptions + "\nhangs (over the time limit): " + hangs
                    + (examples.isEmpty() ? "" : "\nexamples:\n  " + String.join("\n  ", examples));
        }
    }

    /**
     * {@code SafetensorsFuzzer [cases] [seed] [secondsPerCase]}: runs the cases (each file mutated from a seed drawn
     * by a Random of the given seed), each under a time limit, and prints the totals.
     */
    public static void main(String[] args) throws Exception {
        long cases = args.length > 0 ? Long.parseLong(args[0]) : 100_000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 20261123L;
        long secondsPerCase = args.length > 2 ? Long.parseLong(args[2]) : 10;
        Path dir = Files.createTempDirectory("safetensors-fuzz");
        List<byte[]> seeds = seeds();
        Random r = new Random(seed);
        Summary s = new Summary();
        ExecutorService worker = Executors.newSingleThreadExecutor(t -> {
            Thread th = new Thread(t, "fuzz-case");
            th.setDaemon(true);
            return th;
        });
        long start = System.nanoTime();
        for (long i = 0; i < cases; i++) {
            byte[] content = mutate(seeds.get(r.nextInt(seeds.size())), r);
            long caseNumber = i;
            Future<Result> outcome = worker.submit(() -> check(content, dir, caseNumber));
            s.cases++;
            try {
                Result result = outcome.get(secondsPerCase, TimeUnit.SECONDS);
                if (result.outcome() == Outcome.READ) {
                    s.read++;
                } else {
                    s.refused++;
                    s.refusedBy.merge(result.rule(), 1L, Long::sum);
                }
            } catch (TimeoutException e) {
                s.hangs++;
                s.record("case " + i + ": no result after " + secondsPerCase + " s");
                outcome.cancel(true);
                worker.shutdownNow();
                worker = Executors.newSingleThreadExecutor();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof AssertionError) {
                    s.failures++;
                } else {
                    s.otherExceptions++;
                }
                s.record("case " + i + ": " + cause);
            }
            if ((i + 1) % 10_000 == 0) {
                System.out.printf("%,d cases, %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
            }
        }
        worker.shutdownNow();
        System.out.printf("seed %d, %.1f s, %d seed files%n", seed, (System.nanoTime() - start) / 1e9, seeds.size());
        System.out.println(s);
        try (var files = Files.list(dir)) {
            files.forEach(p -> p.toFile().delete());
        }
        Files.deleteIfExists(dir);
        System.exit(s.failures + s.otherExceptions + s.hangs == 0 ? 0 : 1);
    }
}
