package io.carpathia.bench;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.train.TokenBatches;
import io.carpathia.weights.hf.Gpt2Config;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import java.util.Random;

/**
 * Times training steps of nanoGPT's CPU "baby GPT" (n_layer 4, n_head 4, n_embd 128, block 64, batch 12, vocab 65,
 * dropout 0, AdamW with decay on matrices, clipping at 1.0) on random tokens; bench/baby-gpt.sh runs it beside the
 * same model in PyTorch.
 */
public final class BabyGptStepProbe {
    /**
     * Steps left out of the figures: the JIT compiles the engine's kernels during the first few seconds of a process
     * (on 2 cores its compiler threads take CPU from the step), and a training run's steps are almost all after that.
     * The PyTorch side leaves out as many.
     */
    static final int WARMUP = 30;

    public static void main(String[] args) {
        Gpt2Config cfg = Gpt2Config.small(65, 64, 128, 4, 4, 0.0);
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(cfg, new Random(1337));
        AdamW opt = new AdamW(io.carpathia.engine.optim.ParamGroup.decayAndNoDecay(model.namedParameters(), 0.1),
                AdamW.options().lr(1e-3).betas(0.9, 0.99).weightDecay(0.1));
        int[] tokens = new Random(1).ints(100_000, 0, 65).toArray();
        TokenBatches batches = new TokenBatches(tokens, 12, 64);
        Random rng = new Random(2);
        int steps = Integer.parseInt(args.length > 0 ? args[0] : "130");
        if (steps <= WARMUP) throw new IllegalArgumentException("steps must exceed the " + WARMUP + " warm-up steps");
        long[] times = new long[steps];
        long fresh0 = 0;
        for (int s = 0; s < steps; s++) {
            if (s == WARMUP) fresh0 = ArrayPool.freshAllocations();
            TokenBatches.Batch b = batches.sample(rng);
            long t0 = System.nanoTime();
            try (var scope = Scope.open()) {
                Tensor logits = model.forward(b.x());
                Tensor loss = model.loss(logits, b.y());
                loss.backward();
                io.carpathia.engine.optim.GradClip.clipGradNorm(model.parameters(), 1.0);
                opt.step();
                opt.zeroGrad();
                if (s % 10 == 0) System.out.printf("step %d loss %.4f%n", s, loss.item());
            }
            times[s] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(times, WARMUP, steps);
        System.out.printf("carpathia: median step %.1f ms (min %.1f), peak RSS %s, fresh arrays after warm-up: %d%n",
                times[WARMUP + (steps - WARMUP) / 2] / 1e6, times[WARMUP] / 1e6, peakRss(),
                ArrayPool.freshAllocations() - fresh0);
    }

    /** The process's peak resident memory (VmHWM), as Linux reports it. */
    private static String peakRss() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return (Long.parseLong(line.replaceAll("\\D", "")) / 1024) + " MB";
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return "unknown";
        }
        return "unknown";
    }
}
