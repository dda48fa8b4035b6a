package io.carpathia.models.bert;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.nn.Embedding;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The BERT encoder (Hugging Face's {@code BertModel}): embeddings, {@code num_hidden_layers} post-norm layers and the
 * pooler. Field names are Hugging Face's, so {@code embeddings.word_embeddings.weight},
 * {@code encoder.layer.0.attention.self.query.weight}, ..., {@code pooler.dense.bias} load from a checkpoint as they
 * are.
 *
 * <pre>{@code
 * BertModel bert = BertCheckpoint.loadModel(Path.of("all-MiniLM-L6-v2"));
 * try (var off = GradMode.off(); var scope = Scope.open()) {
 *     BertModel.Output out = bert.forward(ids, null, mask);   // ids, mask: [B, T]
 *     float[] cls = out.poolerOutput().toFloatArray();
 * }
 * }</pre>
 */
public final class BertModel extends Module {
    /** What the model returns: every token's final hidden state [B, T, H], and the pooled [CLS] state [B, H]. */
    public record Output(Tensor lastHiddenState, Tensor poolerOutput) {}

    private final BertConfig config;
    private final BertEmbeddings embeddings;
    private final BertEncoder encoder;
    private final BertPooler pooler;

    public BertModel(BertConfig config, Random rng) {
        this(config, rng, true);
    }

    /**
     * With {@code initialise} false, Hugging Face's initialisation ({@link #initWeights}) is skipped: for a model
     * whose every weight is loaded next (drawing 22 million Gaussians took a second or two of every load).
     */
    BertModel(BertConfig config, Random rng, boolean initialise) {
        this.config = checkSupported(config);
        this.embeddings = registerModule("embeddings", new BertEmbeddings(config, rng));
        this.encoder = registerModule("encoder", new BertEncoder(config, rng));
        this.pooler = registerModule("pooler", new BertPooler(config, rng));
        if (initialise) initWeights(this, config, rng);
    }

    /** The configurations this implementation runs exactly as Hugging Face's BertModel does. */
    static BertConfig checkSupported(BertConfig c) {
        checkActivation(c.hiddenAct());
        if (!c.positionEmbeddingType().equals("absolute")) {
            throw new IllegalArgumentException("BERT config: position_embedding_type '" + c.positionEmbeddingType()
                    + "' is not supported (absolute)");
        }
        if (c.isDecoder()) {
            throw new IllegalArgumentException("BERT config: is_decoder=true is not supported (an encoder only)");
        }
        return c;
    }

    static String checkActivation(String act) {
        if (!act.equals("gelu") && !act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("relu")) {
            throw new IllegalArgumentException("BERT config: hidden_act '" + act
                    + "' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
        }
        return act;
    }

    /**
     * Hugging Face's {@code _init_weights}: dense weights and embeddings from N(0, initializer_range²), biases 0, the
     * padding token's embedding row 0, LayerNorms 1 and 0 (as constructed).
     */
    static void initWeights(Module root, BertConfig config, Random rng) {
        double std = config.initializerRange();
        for (Module m : root.namedModules().values()) {
            if (m instanceof Linear l) {
                normal(l.weight(), std, rng);
                if (l.bias() != null) Native.fill(l.bias().value(), 0);
            } else if (m instanceof Embedding e) {
                normal(e.weight(), std, rng);
            }
        }
        if (root instanceof BertModel bert && config.padTokenId() != null) {
            Embedding words = bert.embeddings.wordEmbeddings();
            int pad = config.padTokenId();
            if (pad >= 0 && pad < config.vocabSize()) {
                INDArray w = words.weight().value();
                Native.View v = Native.view(w);
                long h = config.hiddenSize();
                for (long j = 0; j < h; j++) v.set(pad * h + j, 0);
            }
        }
    }

    private static void normal(Tensor p, double std, Random rng) {
        double[] d = new double[Math.toIntExact(p.numel())];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextGaussian() * std;
        Native.fromDoubles(d, p.value());
    }

    /**
     * ids: integer [B, T]; tokenTypes: integer [B, T] or null (all 0); attentionMask: [B, T] of 1 (token) and 0
     * (padding), any numeric type, or null (attend everywhere).
     */
    public Output forward(Tensor ids, Tensor tokenTypes, Tensor attentionMask) {
        Tensor x = embeddings.forward(ids, tokenTypes);
        Tensor mask = attentionMask == null ? null : additiveMask(attentionMask, ids.size(0), ids.size(1), x.dtype());
        Tensor hidden = encoder.forward(x, mask);
        Tensor pooled = pooler.forward(hidden);
        emit(hidden, ids, tokenTypes, attentionMask);
        return new Output(hidden, pooled);
    }

    /** ids: [B, T] -> the last hidden state [B, T, H] (no padding, token type 0; the pooler is not run). */
    @Override
    public Tensor forward(Tensor ids) {
        Tensor x = embeddings.forward(ids, null);
        return emit(encoder.forward(x, null), ids);
    }

    /**
     * [B, T] of 1/0 -> additive [B, 1, 1, T]: 0 where the key is a token, the dtype's lowest finite value where it is
     * padding — Hugging Face's {@code (1 - mask) · finfo(dtype).min}.
     */
    static Tensor additiveMask(Tensor attentionMask, long b, long t, DataType dtype) {
        long[] ms = attentionMask.shape();
        if (ms.length != 2 || ms[0] != b || ms[1] != t) {
            throw new ShapeException("BERT: attention_mask must be [batch, time] = [" + b + ", " + t + "], got "
                    + Shapes.str(ms));
        }
        INDArray raw = attentionMask.value();
        double[] keep = Native.toDoubles(raw.dataType().isFPType() ? raw : raw.castTo(DataType.DOUBLE));
        double lowest = dtype == DataType.DOUBLE ? -Double.MAX_VALUE : -Float.MAX_VALUE;
        double[] add = new double[keep.length];
        for (int i = 0; i < keep.length; i++) {
            if (keep[i] != 0 && keep[i] != 1) {
                throw new IllegalArgumentException("BERT: attention_mask holds " + keep[i] + " at [" + i / t + ", "
                        + i % t + "]; expected 1 (token) or 0 (padding)");
            }
            add[i] = keep[i] == 1 ? 0 : lowest;
        }
        return Tensor.of(dtype, add, b, 1, 1, t);
    }

    public BertConfig config() {
        return config;
    }

    public BertEmbeddings embeddings() {
        return embeddings;
    }

    public BertEncoder encoder() {
        return encoder;
    }

    public BertPooler pooler() {
        return pooler;
    }
}
