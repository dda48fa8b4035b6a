package io.carpathia.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stand-in CUDA driver for tests on machines without a GPU: {@code src/test/c/fake_libcuda.c} (device memory is
 * host memory, launches are logged instead of run), compiled with the host's C compiler into
 * {@code target/fake-cuda/<flavour>/libfakecuda.so} of the module whose tests ask for it. Tests are skipped where
 * there is no compiler. The source is read from the class path ({@code fake-cuda/fake_libcuda.c}, a test resource
 * of this module), so the engine's device tests, which have this module's test-jar, build the same driver.
 */
public final class FakeDriver {
    private FakeDriver() {}

    /** A driver with one device that allocates, copies and logs launches. */
    public static final String WORKING = "working";
    /** A driver that initialises but has no device. */
    public static final String NO_DEVICE = "no-device";
    /** A library that is not a CUDA driver at all (no symbols). */
    public static final String STUB = "stub";
    /** {@link #WORKING}, with a device whose probe says the warpgroup (wgmma) kernels are there. */
    public static final String WGMMA = "wgmma";
    /**
     * {@link #WGMMA} with wrong kernels: the warpgroup kernels and {@code carpathia_sgemm_nn*} add 1 to every element
     * of C, {@code carpathia_sgemm_tn*} also writes the float after C's last element, and the NF4 kernels read the
     * nibbles the wrong way round.
     */
    public static final String BROKEN = "broken";

    private static final String SOURCE_RESOURCE = "/fake-cuda/fake_libcuda.c";

    /** The library's path for one flavour, compiled when it is missing or was built from another source. */
    public static synchronized Path library(String flavour) throws IOException, InterruptedException {
        Path dir = Path.of("target", "fake-cuda", flavour).toAbsolutePath();
        Path library = dir.resolve("libfakecuda.so");
        Path source = dir.resolve("fake_libcuda.c");
        byte[] current = source();
        if (Files.isRegularFile(library) && Files.isRegularFile(source)
                && Arrays.equals(Files.readAllBytes(source), current)) {
            return library;  // built from the current source
        }
        Files.createDirectories(dir);
        Files.write(source, current);
        String compiler = findCompiler();
        assumeTrue(compiler != null, "no C compiler (cc, gcc, clang) on PATH to build the stand-in CUDA driver");
        List<String> command = new ArrayList<>(List.of(compiler, "-shared", "-fPIC", "-O1", "-o", library.toString()));
        if (flavour.equals(NO_DEVICE)) command.add("-DFAKE_NO_DEVICE");
        if (flavour.equals(STUB)) command.add("-DFAKE_STUB");
        if (flavour.equals(WGMMA)) command.add("-DFAKE_WGMMA");
        if (flavour.equals(BROKEN)) command.add("-DFAKE_BROKEN");
        command.add(source.toString());
        command.add("-ldl");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            Files.deleteIfExists(source);  // so that the next call tries again
            throw new IllegalStateException("building the stand-in driver failed: " + command + "\n" + output);
        }
        return library;
    }

    /** The launches a working driver logged since the last call (kernel, grid, block, arguments), then none. */
    public static List<String> takeLaunches(Path library) throws IOException {
        Path log = library.resolveSibling("launches.log");
        if (!Files.exists(log)) return List.of();
        List<String> lines = Files.readAllLines(log);
        Files.delete(log);
        return lines;
    }

    private static byte[] source() throws IOException {
        try (InputStream in = FakeDriver.class.getResourceAsStream(SOURCE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the stand-in driver's source " + SOURCE_RESOURCE
                        + " is not on the class path (a test resource of carpathia-kernels)");
            }
            return in.readAllBytes();
        }
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
