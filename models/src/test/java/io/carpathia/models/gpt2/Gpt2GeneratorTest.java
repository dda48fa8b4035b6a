package io.carpathia.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.generate.Sampler;
import io.carpathia.weights.hf.Gpt2Config;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Gpt2GeneratorTest {

    private final Gpt2LMHeadModel model = new Gpt2LMHeadModel(Gpt2Config.small(40, 8, 32, 2, 4, 0.0), new Random(3));

    /** Greedy next token of the last position, by a full forward over {@code context}. */
    private int greedyNext(int[] context) {
        long[] ids = Arrays.stream(context).asLongStream().toArray();
        try (var off = GradMode.off(); var scope = Scope.open()) {
            Tensor logits = model.forward(Tensor.indices(ids, 1, ids.length));
            return Sampler.greedy().next(logits.narrow(1, ids.length - 1, 1).reshape(40).toDoubleArray());
        }
    }

    @Test
    void slidingWindowGoesPastNPositionsSeeingTheLastWindowTokens() {
        int[] prompt = {5, 9};
        int window = 6;
        int[] got = new Gpt2Generator(model).generateSliding(prompt, 20, Sampler.greedy(), null, window, null).tokens();
        assertEquals(20, got.length); // past n_positions = 8: no CONTEXT_FULL stop

        // the reference: nanoGPT's loop, cropping the sequence to its last `window` tokens before each step
        int[] all = Arrays.copyOf(prompt, prompt.length + 20);
        for (int n = prompt.length; n < all.length; n++) {
            int[] context = Arrays.copyOfRange(all, Math.max(0, n - window), n);
            all[n] = greedyNext(context);
        }
        assertArrayEquals(Arrays.copyOfRange(all, prompt.length, all.length), got);
    }

    @Test
    void slidingWindowAgreesWithTheCacheWhileTheSequenceFits() {
        int[] prompt = {1, 2, 3};
        int[] cached = new Gpt2Generator(model).generate(prompt, 5, Sampler.greedy(), null, true, null).tokens();
        int[] sliding = new Gpt2Generator(model).generateSliding(prompt, 5, Sampler.greedy(), null, 8, null).tokens();
        assertArrayEquals(cached, sliding);
        // without a window the same budget ends at n_positions
        assertEquals(Gpt2Generator.Stop.CONTEXT_FULL,
                new Gpt2Generator(model).generate(prompt, 20, Sampler.greedy(), null, true, null).stop());
    }

    @Test
    void aWindowOutsideOneToNPositionsIsRefused() {
        Gpt2Generator g = new Gpt2Generator(model);
        int[] one = {1};
        assertThrows(IllegalArgumentException.class, () -> g.generateSliding(one, 3, Sampler.greedy(), null, 0, null));
        assertThrows(IllegalArgumentException.class, () -> g.generateSliding(one, 3, Sampler.greedy(), null, 9, null));
    }
}
