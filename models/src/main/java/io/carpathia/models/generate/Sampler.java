package io.carpathia.models.generate;

import java.util.Arrays;
import java.util.Random;

/**
 * Chooses the next token from the logits of the last position: greedy (argmax), or sampling from
 * softmax(logits / temperature) restricted to the top k tokens and/or to the smallest set whose probability reaches
 * top_p (nucleus sampling), with the filters applied in Hugging Face's order (temperature, top-k, top-p).
 * The generator is seeded by the caller, so a seed reproduces a run.
 */
public final class Sampler {
    private final boolean greedy;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final Random rng;

    private Sampler(boolean greedy, double temperature, int topK, double topP, Random rng) {
        if (!greedy) {
            if (!(temperature > 0) || !Double.isFinite(temperature)) {
                throw new IllegalArgumentException("--temperature must be > 0, got " + temperature);
            }
            if (topK < 0) throw new IllegalArgumentException("--top-k must be ≥ 0 (0 = off), got " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        this.greedy = greedy;
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.rng = rng;
    }

    public static Sampler greedy() {
        return new Sampler(true, 1, 0, 1, null);
    }

    /** Sampling with temperature, top-k (0 = all tokens) and top-p (1 = all). */
    public static Sampler sampling(double temperature, int topK, double topP, long seed) {
        return new Sampler(false, temperature, topK, topP, new Random(seed));
    }

    /** The next token id given the logits of one position. */
    public int next(double[] logits) {
        if (greedy) return argmax(logits);
        int n = logits.length;
        double[] scaled = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            scaled[i] = logits[i] / temperature;
            max = Math.max(max, scaled[i]);
        }
        // token ids sorted by logit, highest first (ties: lower id first, stable)
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scaled[b], scaled[a]));
        int keep = topK > 0 ? Math.min(topK, n) : n;
        // probabilities of the kept tokens, renormalised
        double[] p = new double[keep];
        double z = 0;
        for (int r = 0; r < keep; r++) {
            p[r] = Math.exp(scaled[order[r]] - max);
            z += p[r];
        }
        for (int r = 0; r < keep; r++) p[r] /= z;
        if (topP < 1) {
            // the smallest prefix whose mass reaches top_p (always at least one token)
            double cum = 0;
            int cut = keep;
            for (int r = 0; r < keep; r++) {
                cum += p[r];
                if (cum >= topP) {
                    cut = r + 1;
                    break;
                }
            }
            keep = cut;
            double zz = 0;
            for (int r = 0; r < keep; r++) zz += p[r];
            for (int r = 0; r < keep; r++) p[r] /= zz;
        }
        double u = rng.nextDouble();
        double cum = 0;
        for (int r = 0; r < keep; r++) {
            cum += p[r];
            if (u < cum) return order[r];
        }
        return order[keep - 1];
    }

    /** Index of the largest value (the first one on ties, as torch.argmax). */
    public static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
