package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The committed fatbin and PTX were built from the current CUDA sources: the SHA-256 manifest that
 * src/main/cuda/build.sh writes beside them must list exactly the files in src/main/cuda with their current hashes,
 * and the fatbin and PTX as they are. When this fails, run {@code kernels/src/main/cuda/build.sh} (it needs nvcc)
 * and commit the three files it writes.
 */
class FatbinMatchesSourcesTest {
    private static final Path SOURCES = Path.of("src", "main", "cuda");
    private static final Path GENERATED = Path.of("src", "main", "resources", "io", "carpathia", "kernels", "cuda");
    private static final String REGENERATE = " (regenerate with kernels/src/main/cuda/build.sh and commit)";

    private static Map<String, String> manifest() throws IOException {
        Map<String, String> entries = new TreeMap<>();
        for (String line : Files.readAllLines(GENERATED.resolve("carpathia_kernels.sha256"))) {
            if (line.isBlank()) continue;
            int space = line.indexOf("  ");
            entries.put(line.substring(space + 2), line.substring(0, space));
        }
        return entries;
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void manifestListsTheCurrentSources() throws Exception {
        Map<String, String> expected = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                expected.put("src/main/cuda/" + file.getFileName(), sha256(file));
            }
        }
        Map<String, String> recorded = new TreeMap<>(manifest());
        recorded.keySet().removeIf(path -> !path.startsWith("src/main/cuda/"));
        assertEquals(expected.keySet(), recorded.keySet(), "the CUDA source files changed" + REGENERATE);
        for (Map.Entry<String, String> source : expected.entrySet()) {
            assertEquals(source.getValue(), recorded.get(source.getKey()),
                    source.getKey() + " changed since the fatbin was built" + REGENERATE);
        }
    }

    @Test
    void manifestMatchesTheCommittedFatbinAndPtx() throws Exception {
        Map<String, String> recorded = manifest();
        for (String name : List.of("carpathia_kernels.fatbin", "carpathia_kernels.ptx")) {
            String path = "src/main/resources/io/carpathia/kernels/cuda/" + name;
            assertEquals(recorded.get(path), sha256(GENERATED.resolve(name)),
                    name + " is not the file build.sh wrote" + REGENERATE);
        }
    }

    @Test
    void fatbinHasTheFatbinMagic() throws IOException {
        byte[] fatbin = Files.readAllBytes(GENERATED.resolve("carpathia_kernels.fatbin"));
        assertEquals(0xBA55ED50, ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
    }

    @Test
    void ptxHasEveryKernelTheJavaSideLaunches() throws IOException {
        String ptx = Files.readString(GENERATED.resolve("carpathia_kernels.ptx"), StandardCharsets.US_ASCII);
        assertTrue(ptx.contains(".target sm_90"), "PTX for compute_90");
        for (String kernel : CudaKernels.kernelNames()) {
            assertTrue(ptx.contains(".visible .entry " + kernel + "("), "the PTX has no kernel " + kernel);
        }
        long entries = ptx.lines().filter(line -> line.startsWith(".visible .entry ")).count();
        assertEquals(CudaKernels.kernelNames().size(), entries, "kernels in the PTX that Java never launches");
    }
}
