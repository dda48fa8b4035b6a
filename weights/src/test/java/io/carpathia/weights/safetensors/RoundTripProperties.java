package io.carpathia.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Random tensors (every dtype, ranks 0 to 4, size-1 and 0 dimensions) and metadata survive a write and a read. */
class RoundTripProperties {

    record Spec(String name, Dtype dtype, long[] shape, byte[] data) {}

    @Provide
    Arbitrary<String> names() {
        // ASCII, accents, CJK, an emoji (a surrogate pair), JSON's special characters
        return Arbitraries.strings().withChars("abz.019_-\u00e9\u6743\"\\\n").withChars('\uD83D', '\uDE00')
                .ofMinLength(1).ofMaxLength(12).filter(s -> Strings.unpairedSurrogate(s) < 0)
                .filter(s -> !s.equals("__metadata__"));
    }

    @Provide
    Arbitrary<List<Spec>> tensors() {
        Arbitrary<Spec> spec = Combinators.combine(names(), Arbitraries.of(Dtype.class),
                Arbitraries.integers().between(0, 3).list().ofMaxSize(4), Arbitraries.longs())
                .as((name, dtype, dims, seed) -> {
                    long[] shape = dims.stream().mapToLong(Integer::longValue).toArray();
                    long n = 1;
                    for (long d : shape) n *= d;
                    byte[] data = new byte[(int) n * dtype.byteSize()];
                    new Random(seed).nextBytes(data);
                    return new Spec(name, dtype, shape, data);
                });
        return spec.list().ofMaxSize(8).uniqueElements(Spec::name);
    }

    @Provide
    Arbitrary<Map<String, String>> metadata() {
        return Arbitraries.maps(names(), names().injectNull(0.0)).ofMaxSize(4);
    }

    @Property
    void writeThenReadGivesBackEveryByte(@ForAll("tensors") List<Spec> tensors,
            @ForAll("metadata") Map<String, String> metadata) throws IOException {
        Path dir = Files.createTempDirectory("roundtrip");
        Path f = dir.resolve("t.safetensors");
        try {
            SafetensorsWriter w = new SafetensorsWriter().putAllMetadata(metadata);
            for (Spec s : tensors) w.add(s.name(), s.dtype(), s.shape(), s.data());
            w.write(f);

            long data = 0;
            for (Spec s : tensors) data += s.data().length;
            try (SafetensorsReader r = SafetensorsReader.open(f, 16)) {
                assertEquals(new LinkedHashMap<>(metadata), new LinkedHashMap<>(r.metadata()));
                assertEquals(tensors.size(), r.names().size());
                assertEquals(Files.size(f), r.header().dataStart() + data);
                assertEquals(0, r.header().headerLength() % 8);
                List<String> expectedOrder = new ArrayList<>();
                SafetensorsWriter.referenceOrder(entries(tensors)).forEach(e -> expectedOrder.add(e.name()));
                assertEquals(expectedOrder, r.names());
                for (Spec s : tensors) {
                    TensorInfo t = r.info(s.name());
                    assertEquals(s.dtype(), t.dtype());
                    assertArrayEquals(s.shape(), t.shape());
                    assertArrayEquals(s.data(), r.readBytes(s.name()));
                    INDArray a = r.read(s.name());
                    assertArrayEquals(s.shape(), a.shape());
                    if (s.dtype().hasExactNd4jType() && s.data().length > 0) {
                        byte[] back = new byte[s.data().length];
                        NativeMemory.window(NativeMemory.address(a), back.length).get(back);
                        assertArrayEquals(s.data(), back, s.name());
                    }
                }
            }
        } finally {
            Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        }
    }

    private static List<SafetensorsWriter.Entry> entries(List<Spec> specs) {
        List<SafetensorsWriter.Entry> out = new ArrayList<>();
        for (Spec s : specs) out.add(new SafetensorsWriter.Entry(s.name(), s.dtype(), s.shape(), null));
        return out;
    }
}
