package io.carpathia.weights.bench;

import io.carpathia.weights.safetensors.Dtype;
import io.carpathia.weights.safetensors.SafetensorsReader;
import io.carpathia.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Read speed of a 1 GiB F32 safetensors file (64 tensors of [1024, 4096]) into ND4J arrays, next to
 * {@code cat file > /dev/null} on the same file in the same run, plus the time to open it (header only).
 *
 * <p>{@code ReadSpeedBenchmark [folder] [repetitions]}; the file is created in the folder on the first run. Timed,
 * with the page cache warm (the file was just written or read): cat and {@code readInto} arrays allocated beforehand
 * (as when loading into a model's parameters), in pairs; then {@code read} into new arrays (allocation included)
 * and, beside it, the same allocation without reading. See weights/README.md for the command.
 */
public final class ReadSpeedBenchmark {
    private static final int TENSORS = 64;
    private static final long[] SHAPE = {1024, 4096};
    private static final long BYTES = TENSORS * SHAPE[0] * SHAPE[1] * 4;

    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args.length > 0 ? args[0] : "target/bench");
        int repetitions = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Files.createDirectories(folder);
        Path file = folder.resolve("bench-1gib-f32.safetensors");

        // Open first, while nothing else has run: the first open pays for loading the JSON parser's classes.
        boolean existed = Files.exists(file);
        double firstOpenMs = existed ? openMillis(file) : Double.NaN;
        if (!existed || Files.size(file) < BYTES) {
            create(file);
            firstOpenMs = openMillis(file);
        }
        double[] opens = new double[50];
        for (int i = 0; i < opens.length; i++) opens[i] = openMillis(file);

        long fileSize = Files.size(file);
        cat(file); // warm the page cache
        List<String> names;
        List<INDArray> preallocated = new ArrayList<>();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            names = r.names();
            for (String n : names) preallocated.add(r.read(n)); // allocated and touched once, outside the timing
        }

        // Paired: cat, then readInto the preallocated arrays, repetition after repetition.
        double[] catS = new double[repetitions];
        double[] intoS = new double[repetitions];
        for (int rep = 0; rep < repetitions; rep++) {
            catS[rep] = cat(file);
            long t0 = System.nanoTime();
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                for (int i = 0; i < names.size(); i++) r.readInto(names.get(i), preallocated.get(i));
            }
            intoS[rep] = (System.nanoTime() - t0) / 1e9;
            check(preallocated);
        }
        preallocated.forEach(INDArray::close);

        // New arrays each time: the allocation is timed too. The same allocation alone shows what it costs.
        double[] freshS = new double[repetitions];
        double[] allocS = new double[repetitions];
        for (int rep = 0; rep < repetitions; rep++) {
            long t0 = System.nanoTime();
            List<INDArray> fresh = new ArrayList<>();
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                for (String n : names) fresh.add(r.read(n));
            }
            freshS[rep] = (System.nanoTime() - t0) / 1e9;
            check(fresh);
            fresh.forEach(INDArray::close); // give the memory back before the next repetition

            t0 = System.nanoTime();
            List<INDArray> empty = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) empty.add(Nd4j.createUninitialized(DataType.FLOAT, SHAPE, 'c'));
            allocS[rep] = (System.nanoTime() - t0) / 1e9;
            empty.forEach(INDArray::close);
        }

        double gb = fileSize / 1e9;
        double cat = median(catS);
        System.out.printf("file: %s, %,d bytes, %d F32 tensors of %s%n", file, fileSize, TENSORS, Arrays.toString(SHAPE));
        System.out.printf("machine: %d cores, Java %s, OPENBLAS_CORETYPE=%s, GLIBC_TUNABLES=%s, THP %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getenv("OPENBLAS_CORETYPE"), System.getenv("GLIBC_TUNABLES"), transparentHugePages());
        System.out.printf("median of %d repetitions (best in brackets); page cache warm%n", repetitions);
        System.out.println("| what | time | speed | vs cat |");
        System.out.println("|---|---|---|---|");
        System.out.printf("| `cat file > /dev/null` | %.3f s (%.3f) | %.2f GB/s | 100%% |%n", cat, min(catS), gb / cat);
        System.out.printf("| `readInto` arrays allocated beforehand | %.3f s (%.3f) | %.2f GB/s | %.0f%% |%n", median(intoS),
                min(intoS), gb / median(intoS), 100 * cat / median(intoS));
        System.out.printf("| `read` into new arrays (allocation included) | %.3f s (%.3f) | %.2f GB/s | %.0f%% |%n",
                median(freshS), min(freshS), gb / median(freshS), 100 * cat / median(freshS));
        System.out.printf("| the same allocation alone, no reading | %.3f s (%.3f) | | |%n", median(allocS), min(allocS));
        System.out.printf("lazy open (header only): first in this JVM %.2f ms, then median %.3f ms (best %.3f)%n",
                firstOpenMs, median(opens), min(opens));
    }

    private static void create(Path file) throws IOException {
        System.out.println("writing " + file + " ...");
        SafetensorsWriter w = new SafetensorsWriter().putMetadata("format", "pt");
        for (int i = 0; i < TENSORS; i++) {
            INDArray a = Nd4j.createUninitialized(DataType.FLOAT, SHAPE, 'c');
            a.assign(i + 0.5);
            w.add(String.format("layers.%02d.weight", i), a);
        }
        w.write(file);
        if (Dtype.F32.byteSize() * TENSORS * SHAPE[0] * SHAPE[1] != BYTES) throw new AssertionError();
    }

    private static double openMillis(Path file) throws IOException {
        long t0 = System.nanoTime();
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            if (r.names().isEmpty()) throw new AssertionError("no tensors");
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Seconds for {@code cat file > /dev/null} (process start included: about a millisecond). */
    private static double cat(Path file) throws Exception {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", "cat \"$0\" > /dev/null", file.toString()).inheritIO().start();
        if (p.waitFor() != 0) throw new IOException("cat failed");
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The data was written as tensor i = i + 0.5 everywhere: check a few elements so no read is skipped. */
    private static void check(List<INDArray> arrays) {
        for (int i = 0; i < arrays.size(); i++) {
            INDArray a = arrays.get(i);
            if (a.getFloat(0) != i + 0.5f || a.getFloat(a.length() - 1) != i + 0.5f) {
                throw new AssertionError("tensor " + i + " read wrong");
            }
        }
    }

    private static String transparentHugePages() {
        try {
            return Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
