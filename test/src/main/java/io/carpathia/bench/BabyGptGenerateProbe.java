package io.carpathia.bench;

import io.carpathia.models.generate.Sampler;
import io.carpathia.models.gpt2.Gpt2Generator;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import io.carpathia.weights.hf.Gpt2Config;
import java.util.Arrays;
import java.util.Random;

/**
 * Generation speed of the baby GPT (n_layer 4, n_head 4, n_embd 128, context 64, vocab 65) with the key/value
 * cache: 63 new tokens after a one-token prompt, greedy, repeated; prints the median tokens per second.
 * bench/baby-gpt.sh runs it beside the same generation in PyTorch.
 */
public final class BabyGptGenerateProbe {
    public static void main(String[] args) {
        int repeats = Integer.parseInt(args.length > 0 ? args[0] : "30");
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(Gpt2Config.small(65, 64, 128, 4, 4, 0.0), new Random(1337));
        Gpt2Generator generator = new Gpt2Generator(model);
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats + 5; r++) {
            long t0 = System.nanoTime();
            int n = generator.generate(new int[] {r % 65}, 63, Sampler.greedy(), null, true, null).tokens().length;
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            if (r >= 5) rates[r - 5] = rate;    // the first runs warm the JIT up
        }
        Arrays.sort(rates);
        System.out.printf("carpathia: generation %.0f tokens/s median (max %.0f), 63 tokens a run, KV cache%n",
                rates[repeats / 2], rates[repeats - 1]);
    }
}
