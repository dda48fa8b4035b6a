package io.carpathia.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.generate.Sampler;
import io.carpathia.weights.hf.Gpt2Config;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Generation with the key/value cache against the reference it must equal: the full forward over the whole sequence
 * at every step. The model's n_positions (40) is past the cache's first capacity (16), so the storage grows twice
 * (16 -> 32 -> 40) on the way.
 */
class Gpt2KvCacheTest {
    private static final Gpt2Config CONFIG = Gpt2Config.small(50, 40, 32, 2, 4, 0.0);
    private static final int[] PROMPT = {7, 3, 41, 3, 19};

    /** A random model whose parameters are float32 or float64. */
    private static Gpt2LMHeadModel model(DataType dtype) {
        return inDtype(dtype, () -> new Gpt2LMHeadModel(CONFIG, new Random(11)));
    }

    private static <T> T inDtype(DataType dtype, Supplier<T> body) {
        DataType saved = Tensor.defaultDtype();
        Tensor.setDefaultDtype(dtype);
        try {
            return body.get();
        } finally {
            Tensor.setDefaultDtype(saved);
        }
    }

    private static Tensor ids(List<Integer> tokens) {
        return Tensor.indices(tokens.stream().mapToLong(Integer::longValue).toArray(), 1, tokens.size());
    }

    /**
     * Feeds a sequence to the cache a step at a time: the prompt, single tokens, one later step of 12 tokens (which
     * grows the storage from 16 to 32 while appending several rows), then single tokens up to n_positions. Each new
     * token is the greedy choice of the full forward; at every step the cached logits of the new positions must
     * equal the full forward's.
     */
    private static void cachedLogitsEqualTheFullForward(DataType dtype, double tolerance) {
        Gpt2LMHeadModel model = model(dtype);
        model.eval();
        List<Integer> all = new ArrayList<>();
        for (int p : PROMPT) all.add(p);
        List<Integer> capacities = new ArrayList<>();
        int[] chunks = {PROMPT.length, 1, 1, 12};   // then single tokens up to n_positions
        try (var off = GradMode.off(); var cache = new Gpt2KvCache(CONFIG)) {
            int fed = 0;
            for (int step = 0; fed < CONFIG.nPositions(); step++) {
                int n = step < chunks.length ? chunks[step] : 1;
                // the sequence needs n tokens past those fed: extend it by the full forward's greedy choices
                while (all.size() < fed + n) {
                    try (var scope = Scope.open()) {
                        Tensor full = model.forward(ids(all));
                        all.add(Sampler.greedy().next(full.narrow(1, all.size() - 1, 1).reshape(-1).toDoubleArray()));
                    }
                }
                try (var scope = Scope.open()) {
                    Tensor cached = model.logits(model.transformer().forwardCached(ids(all.subList(fed, fed + n)), cache));
                    Tensor full = model.forward(ids(all.subList(0, fed + n))).narrow(1, fed, n);
                    assertEquals(dtype, cached.dtype());
                    assertArrayEquals(full.toDoubleArray(), cached.toDoubleArray(), tolerance,
                            "logits of positions " + fed + " .. " + (fed + n - 1));
                }
                fed += n;
                assertEquals(fed, cache.length());
                if (!capacities.contains(cache.capacity())) capacities.add(cache.capacity());
            }
        }
        assertEquals(List.of(16, 32, 40), capacities, "the storage grows 16 -> 32 -> n_positions");
    }

    @Test
    void cachedLogitsEqualTheFullForwardInFloat32() {
        cachedLogitsEqualTheFullForward(DataType.FLOAT, 1e-5);
    }

    @Test
    void cachedLogitsEqualTheFullForwardInFloat64() {
        cachedLogitsEqualTheFullForward(DataType.DOUBLE, 1e-12);
    }

    @Test
    void greedyTokensWithTheCacheEqualThoseWithout() {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            Gpt2Generator generator = new Gpt2Generator(model(dtype));
            // 5 + 35 tokens: the cache fills n_positions, growing twice on the way
            Gpt2Generator.Result cached = generator.generate(PROMPT, 35, Sampler.greedy(), null, true, null);
            Gpt2Generator.Result full = generator.generate(PROMPT, 35, Sampler.greedy(), null, false, null);
            assertEquals(35, cached.tokens().length);
            assertArrayEquals(full.tokens(), cached.tokens(), dtype.toString());
            assertEquals(full.stop(), cached.stop());
        }
    }

    @Test
    void repeatedGenerationsAllocateNoFreshArrays() {
        Gpt2Generator generator = new Gpt2Generator(model(DataType.FLOAT));
        generator.generate(PROMPT, 30, Sampler.greedy(), null, true, null);   // fills the pool for these shapes
        long fresh = ArrayPool.freshAllocations();
        for (int r = 0; r < 3; r++) {
            int[] prompt = {r, r + 10, r + 20, r + 30, r + 40};   // other tokens, the same lengths
            generator.generate(prompt, 30, Sampler.greedy(), null, true, null);
        }
        assertEquals(fresh, ArrayPool.freshAllocations(), "a repeated generation allocated fresh arrays");
    }

    @Test
    void generationLeavesNothingInTheCallersScopeAndHoldsLinearMemory() {
        Gpt2Generator generator = new Gpt2Generator(model(DataType.FLOAT));
        try (var outer = Scope.open()) {
            generator.generate(PROMPT, 30, Sampler.greedy(), null, true, null);
            // a cache that handed each step's arrays to the enclosing scope would leave 2 · n_layer per step here
            assertEquals(0, outer.size(), "arrays of the generation were left in the caller's scope");
        }
        // the storage holds at most twice the positions cached (or MIN_CAPACITY): memory linear in the length
        Gpt2LMHeadModel model = model(DataType.FLOAT);
        try (var off = GradMode.off(); var cache = new Gpt2KvCache(CONFIG)) {
            for (int t = 0; t < CONFIG.nPositions(); t++) {
                try (var scope = Scope.open()) {
                    model.transformer().forwardCached(ids(List.of(t % CONFIG.vocabSize())), cache);
                }
                int capacity = cache.capacity();
                assertTrue(capacity >= cache.length()
                                && capacity <= Math.max(Gpt2KvCache.MIN_CAPACITY, 2 * cache.length()),
                        "capacity " + capacity + " for " + cache.length() + " positions");
            }
        }
    }

    @Test
    void aClosedCacheRefusesNewTokensAndPositionsPastNPositionsAreRefused() {
        Gpt2LMHeadModel model = model(DataType.FLOAT);
        try (var off = GradMode.off(); var scope = Scope.open()) {
            Gpt2KvCache cache = new Gpt2KvCache(CONFIG);
            model.transformer().forwardCached(ids(List.of(1, 2)), cache);
            cache.close();
            assertEquals(0, cache.capacity());
            IllegalStateException closed = assertThrows(IllegalStateException.class,
                    () -> model.transformer().forwardCached(ids(List.of(3)), cache));
            assertEquals("Gpt2KvCache: the cache was closed; start a new one", closed.getMessage());

            try (var full = new Gpt2KvCache(CONFIG)) {
                Integer[] forty = new Integer[CONFIG.nPositions()];
                Arrays.fill(forty, 1);
                model.transformer().forwardCached(ids(List.of(forty)), full);
                assertEquals(40, full.capacity());
                assertThrows(io.carpathia.engine.ShapeException.class,
                        () -> model.transformer().forwardCached(ids(List.of(1)), full));
            }
        }
    }
}
