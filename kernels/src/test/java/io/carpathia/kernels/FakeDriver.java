package io.carpathia.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds src/test/c/fake_libcuda.c with the host's C compiler (tests are skipped where there is none). */
final class FakeDriver {
    private FakeDriver() {}

    static final String WORKING = "working";
    static final String NO_DEVICE = "no-device";
    static final String STUB = "stub";
    static final String WGMMA = "wgmma";

    /** The library's path for one flavour, compiled on first use. */
    static synchronized Path library(String flavour) throws IOException, InterruptedException {
        Path dir = Path.of("target", "fake-cuda", flavour).toAbsolutePath();
        Path library = dir.resolve("libfakecuda.so");
        Path source = Path.of("src", "test", "c", "fake_libcuda.c").toAbsolutePath();
        if (Files.exists(library)
                && Files.getLastModifiedTime(library).compareTo(Files.getLastModifiedTime(source)) >= 0) {
            return library;  // built from the current source
        }
        Files.createDirectories(dir);
        String compiler = findCompiler();
        assumeTrue(compiler != null, "no C compiler (cc, gcc) on PATH to build the fake CUDA driver");
        List<String> command = new ArrayList<>(List.of(compiler, "-shared", "-fPIC", "-O1", "-o", library.toString()));
        if (flavour.equals(NO_DEVICE)) command.add("-DFAKE_NO_DEVICE");
        if (flavour.equals(STUB)) command.add("-DFAKE_STUB");
        if (flavour.equals(WGMMA)) command.add("-DFAKE_WGMMA");
        command.add(source.toString());
        command.add("-ldl");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("building the fake driver failed: " + command + "\n" + output);
        }
        return library;
    }

    /** The launches the working fake logged, and a fresh log. */
    static List<String> takeLaunches(Path library) throws IOException {
        Path log = library.resolveSibling("launches.log");
        if (!Files.exists(log)) return List.of();
        List<String> lines = Files.readAllLines(log);
        Files.delete(log);
        return lines;
    }

    private static String findCompiler() throws InterruptedException {
        for (String candidate : new String[] {"cc", "gcc", "clang"}) {
            try {
                Process p = new ProcessBuilder(candidate, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) return candidate;
            } catch (IOException notThere) {
                // try the next one
            }
        }
        return null;
    }
}
