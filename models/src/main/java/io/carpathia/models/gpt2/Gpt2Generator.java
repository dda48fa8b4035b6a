package io.carpathia.models.gpt2;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.memory.Scope;
import io.carpathia.models.generate.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Autoregressive generation with GPT-2: the prompt goes through the model once, then each new token is one cached
 * step ({@link Gpt2KvCache}); or, with {@code useCache} off, the whole sequence is recomputed every step (the
 * reference the cache is tested against). Stops at the end-of-text token, the token budget, or n_positions — or
 * slides a window along the sequence instead ({@link #generateSliding}).
 */
public final class Gpt2Generator {
    private final Gpt2LMHeadModel model;

    public Gpt2Generator(Gpt2LMHeadModel model) {
        this.model = model;
    }

    /** Why generation ended. */
    public enum Stop { BUDGET, END_OF_TEXT, CONTEXT_FULL }

    public record Result(int[] tokens, Stop stop) {}

    /**
     * Generates up to {@code maxNewTokens} after {@code prompt}; {@code eosId} (null: never) ends it early and is
     * included; {@code onToken} sees each token as it is chosen (for streaming).
     */
    public Result generate(int[] prompt, int maxNewTokens, Sampler sampler, Integer eosId, boolean useCache,
                           IntConsumer onToken) {
        return run(prompt, maxNewTokens, sampler, eosId, useCache, null, onToken);
    }

    /**
     * As {@link #generate}, without an end at n_positions: once the sequence is longer than {@code window} tokens
     * (1 ≤ window ≤ n_positions), each step sees only its last {@code window} tokens, as nanoGPT's sampling crops
     * to the block size. The cache serves until then; after that every position shifts each step, so the window
     * is recomputed whole. A longer prompt is cropped the same way.
     */
    public Result generateSliding(int[] prompt, int maxNewTokens, Sampler sampler, Integer eosId, int window,
                                  IntConsumer onToken) {
        int limit = model.config().nPositions();
        if (window < 1 || window > limit) {
            throw new IllegalArgumentException("the window must be between 1 and n_positions = " + limit
                    + ", got " + window);
        }
        return run(prompt, maxNewTokens, sampler, eosId, true, window, onToken);
    }

    private Result run(int[] prompt, int maxNewTokens, Sampler sampler, Integer eosId, boolean useCache,
                       Integer window, IntConsumer onToken) {
        int vocab = model.config().vocabSize();
        int limit = model.config().nPositions();
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty: give at least one token");
        if (window == null && prompt.length > limit) {
            throw new ShapeException("the prompt has " + prompt.length + " tokens, more than n_positions = " + limit);
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("token id " + prompt[i] + " (position " + i
                        + " of the prompt) is outside the vocabulary [0, " + vocab + ")");
            }
        }
        model.eval();
        List<Integer> out = new ArrayList<>();
        Stop stop = Stop.BUDGET;
        // the cache's storage outlives each step's scope and goes back to the pool when generation ends
        try (var off = GradMode.off(); var cache = new Gpt2KvCache(model.config())) {
            // the tokens the next cached step feeds: the prompt, then each chosen token, written into one [1, 1]
            // tensor (a fresh ND4J array per token costs more than the token's attention does)
            Tensor pending = ids(prompt);
            Tensor chosen = ids(new int[1]);
            List<Integer> all = new ArrayList<>();
            for (int p : prompt) all.add(p);
            for (int step = 0; step < maxNewTokens; step++) {
                // the next step feeds positions up to all.size() - 1, which must be below n_positions
                if (window == null && all.size() > limit) {
                    stop = Stop.CONTEXT_FULL;
                    break;
                }
                int next;
                try (var scope = Scope.open()) {
                    Tensor hidden;
                    if (window != null && all.size() > window) {
                        // sliding: the last `window` tokens, recomputed at positions 0..window-1
                        int[] recent = all.subList(all.size() - window, all.size()).stream()
                                .mapToInt(Integer::intValue).toArray();
                        hidden = model.transformer().forward(ids(recent));
                    } else if (useCache) {
                        hidden = model.transformer().forwardCached(pending, cache);
                    } else {
                        hidden = model.transformer().forward(ids(all.stream().mapToInt(Integer::intValue).toArray()));
                    }
                    long t = hidden.size(1);
                    Tensor last = hidden.narrow(1, t - 1, 1);               // [1, 1, C]
                    next = sampler.next(model.logits(last).toDoubleArray());   // [1, 1, V] -> V
                }
                out.add(next);
                all.add(next);
                Native.view(chosen.value()).set(0, next);
                pending = chosen;
                if (onToken != null) onToken.accept(next);
                if (eosId != null && next == eosId) {
                    stop = Stop.END_OF_TEXT;
                    break;
                }
            }
        }
        return new Result(out.stream().mapToInt(Integer::intValue).toArray(), stop);
    }

    private static Tensor ids(int[] tokens) {
        long[] l = new long[tokens.length];
        for (int i = 0; i < l.length; i++) l[i] = tokens[i];
        return Tensor.indices(l, 1, l.length);
    }
}
