package io.carpathia.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.weights.hf.Gpt2Config;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** attn_pdrop drops attention probabilities while training, and only then. */
class Gpt2AttentionDropoutTest {

    private static Gpt2Config config(double attnPdrop) {
        Gpt2Config c = Gpt2Config.small(50, 16, 32, 2, 4, 0.0);
        return new Gpt2Config(c.vocabSize(), c.nPositions(), c.nEmbd(), c.nLayer(), c.nHead(), c.nInner(),
                c.activationFunction(), 0.0, 0.0, attnPdrop, c.layerNormEpsilon(), c.initializerRange(),
                c.scaleAttnWeights(), c.scaleAttnByInverseLayerIdx(), c.reorderAndUpcastAttn(), c.tieWordEmbeddings(),
                c.useCache(), c.bosTokenId(), c.eosTokenId());
    }

    private static double[] logits(Gpt2LMHeadModel m, Tensor ids) {
        return m.forward(ids).toDoubleArray();
    }

    @Test
    void theComposedPathEqualsTheFusedOneAndDropoutActsOnlyWhileTraining() {
        Tensor ids = Tensor.indices(new long[] {1, 5, 9, 13, 2, 7, 30, 41}, 1, 8);
        Gpt2LMHeadModel fused = new Gpt2LMHeadModel(config(0.0), new Random(4));
        fused.eval();
        double[] reference = logits(fused, ids);

        // attention dropout so small that nothing is dropped: the composed path must give the fused numbers
        Gpt2LMHeadModel composed = new Gpt2LMHeadModel(config(1e-12), new Random(4));
        composed.train();
        double[] viaComposition = logits(composed, ids);
        for (int i = 0; i < reference.length; i++) {
            if (Math.abs(reference[i] - viaComposition[i]) > 1e-5) {
                throw new AssertionError("logit " + i + ": fused " + reference[i] + ", composed " + viaComposition[i]);
            }
        }

        // a real rate changes the output while training, reproducibly for a seed, and not at all in eval mode
        Gpt2LMHeadModel a = new Gpt2LMHeadModel(config(0.5), new Random(4));
        Gpt2LMHeadModel b = new Gpt2LMHeadModel(config(0.5), new Random(4));
        a.train();
        double[] trainA = logits(a, ids);
        double[] trainB = logits(b, ids);
        assertArrayEquals(trainA, trainB);
        assertFalse(Arrays.equals(reference, trainA));
        a.eval();
        assertArrayEquals(reference, logits(a, ids), 1e-5);
    }
}
