package io.carpathia.weights.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A few thousand mutated files, each either read exactly as {@link ReferenceModel} reads it or refused with a
 * {@link SafetensorsFormatException} (see {@link SafetensorsFuzzer}; the long run is its main method).
 */
class FuzzTest {
    private static Path dir;
    private static List<byte[]> seeds;
    private static long caseNumber;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("fuzz-test");
        seeds = SafetensorsFuzzer.seeds();
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (var files = Files.list(dir)) {
            files.forEach(p -> p.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    @Property(tries = 3000)
    void everyMutatedFileIsReadExactlyOrRefused(@ForAll long mutationSeed) throws IOException {
        Random r = new Random(mutationSeed);
        byte[] content = SafetensorsFuzzer.mutate(seeds.get(r.nextInt(seeds.size())), r);
        SafetensorsFuzzer.check(content, dir, caseNumber++);
    }

    @Property
    void unmutatedSeedsAreRead(@ForAll long ignored) throws IOException {
        for (byte[] seed : seeds) {
            if (SafetensorsFuzzer.check(seed, dir, caseNumber++).outcome() != SafetensorsFuzzer.Outcome.READ) {
                throw new AssertionError("a seed was refused");
            }
        }
    }
}
