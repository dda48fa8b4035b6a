package io.carpathia.bench;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.train.TokenBatches;
import io.carpathia.weights.hf.Gpt2Config;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import java.util.Random;

/** Times training steps of nanoGPT's CPU "baby GPT" on random tokens. */
public final class BabyGptStepProbe {
    public static void main(String[] args) {
        Gpt2Config cfg = Gpt2Config.small(65, 64, 128, 4, 4, 0.0);
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(cfg, new Random(1337));
        AdamW opt = new AdamW(model.parameters(), AdamW.options().lr(1e-3).weightDecay(0.1));
        int[] tokens = new Random(1).ints(100_000, 0, 65).toArray();
        TokenBatches batches = new TokenBatches(tokens, 12, 64);
        Random rng = new Random(2);
        int steps = Integer.parseInt(args.length > 0 ? args[0] : "40");
        long[] times = new long[steps];
        long fresh0 = 0;
        for (int s = 0; s < steps; s++) {
            if (s == 5) fresh0 = ArrayPool.freshAllocations();
            TokenBatches.Batch b = batches.sample(rng);
            long t0 = System.nanoTime();
            try (var scope = Scope.open()) {
                Tensor logits = model.forward(b.x());
                Tensor loss = model.loss(logits, b.y());
                loss.backward();
                opt.step();
                opt.zeroGrad();
                if (s % 10 == 0) System.out.printf("step %d loss %.4f%n", s, loss.item());
            }
            times[s] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(times, 5, steps);
        System.out.printf("median step %.1f ms (min %.1f), fresh arrays after warm-up: %d%n",
                times[5 + (steps - 5) / 2] / 1e6, times[5] / 1e6, ArrayPool.freshAllocations() - fresh0);
    }
}
