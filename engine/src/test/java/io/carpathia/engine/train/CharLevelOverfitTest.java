package io.carpathia.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.ArrayPool;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.nn.Embedding;
import io.carpathia.engine.nn.LayerNorm;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.nn.MultiHeadAttention;
import io.carpathia.engine.ops.Losses;
import io.carpathia.engine.optim.AdamW;
import io.carpathia.engine.optim.GradClip;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A one-block character-level transformer, made only of the engine's pieces, memorises a short text: the loss must
 * fall from about ln(vocab) to under a tenth of it, the model's argmax at every position must then be the text's
 * next character, and the
 * training steps must reuse the array pool (no fresh native arrays once warm).
 */
class CharLevelOverfitTest {
    private static final String TEXT = "To be, or not to be, that is the question: whether 'tis nobler in the mind "
            + "to suffer the slings and arrows of outrageous fortune.";

    /** embeddings -> pre-norm causal self-attention -> pre-norm MLP -> logits */
    static final class TinyCharModel extends Module {
        final Embedding tokens;
        final Embedding positions;
        final LayerNorm ln1;
        final MultiHeadAttention attn;
        final LayerNorm ln2;
        final Linear fc;
        final Linear proj;
        final Linear head;

        TinyCharModel(int vocab, int block, int dim, Random rng) {
            tokens = registerModule("tokens", new Embedding(vocab, dim, rng));
            positions = registerModule("positions", new Embedding(block, dim, rng));
            ln1 = registerModule("ln1", new LayerNorm(dim));
            attn = registerModule("attn", new MultiHeadAttention(dim, 4, true, 0.0, true, rng));
            ln2 = registerModule("ln2", new LayerNorm(dim));
            fc = registerModule("fc", new Linear(dim, 4 * dim, rng));
            proj = registerModule("proj", new Linear(4 * dim, dim, rng));
            head = registerModule("head", new Linear(dim, vocab, rng));
        }

        @Override
        public Tensor forward(Tensor ids) { // ids: [B, T] -> logits [B, T, V]
            long t = ids.size(1);
            long[] pos = new long[(int) t];
            for (int i = 0; i < t; i++) pos[i] = i;
            Tensor x = tokens.forward(ids).add(positions.forward(Tensor.indices(pos, t)));
            x = x.add(attn.forward(ln1.forward(x)));
            x = x.add(proj.forward(fc.forward(ln2.forward(x)).gelu()));
            return emit(head.forward(x), ids);
        }
    }

    @Test
    void memorisesAShortText() {
        int[] ids = TEXT.chars().toArray();
        int[] vocab = TEXT.chars().distinct().sorted().toArray();
        int v = vocab.length;
        int[] index = new int[128];
        for (int i = 0; i < v; i++) index[vocab[i]] = i;
        int block = ids.length - 1;
        long[] x = new long[block];
        long[] y = new long[block];
        for (int i = 0; i < block; i++) {
            x[i] = index[ids[i]];
            y[i] = index[ids[i + 1]];
        }
        Tensor inputs = Tensor.indices(x, 1, block);
        Tensor targets = Tensor.indices(y, block);

        TinyCharModel model = new TinyCharModel(v, block, 48, new Random(0));
        AdamW opt = new AdamW(model.parameters(), AdamW.options().lr(3e-3).weightDecay(0.0));
        double first = Double.NaN;
        double last = Double.NaN;
        long freshAfterWarmup = 0;
        int steps = 250;
        for (int step = 0; step < steps; step++) {
            if (step == 5) freshAfterWarmup = ArrayPool.freshAllocations();
            try (var scope = Scope.open()) {
                Tensor logits = model.forward(inputs).reshape(block, v);
                Tensor loss = Losses.crossEntropy(logits, targets);
                loss.backward();
                GradClip.clipGradNorm(model.parameters(), 1.0);
                opt.step();
                opt.zeroGrad();
                last = loss.item();
                if (step == 0) first = last;
            }
        }
        assertEquals(Math.log(v), first, 1.0, "an untrained model is close to uniform");
        assertTrue(last < first / 10, "loss fell from " + first + " to " + last + ", not by 10x");
        assertEquals(freshAfterWarmup, ArrayPool.freshAllocations(), "training steps allocated fresh arrays");

        // the argmax at each position (given the true prefix) is the next character: the text, shifted by one
        StringBuilder out = new StringBuilder().append((char) ids[0]);
        try (var off = GradMode.off(); var scope = Scope.open()) {
            Tensor logits = model.eval().forward(inputs).reshape(block, v);
            double[] l = logits.toDoubleArray();
            for (int t = 0; t < block; t++) {
                int best = 0;
                for (int c = 1; c < v; c++) if (l[t * v + c] > l[t * v + best]) best = c;
                out.append((char) vocab[best]);
            }
        }
        assertEquals(TEXT, out.toString());
    }
}
