package io.carpathia.models.bert;

import io.carpathia.engine.ShapeException;
import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.Dropout;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Module;
import io.carpathia.engine.ops.Losses;
import io.carpathia.weights.hf.BertConfig;
import java.util.Random;

/**
 * BERT with a classification head (Hugging Face's {@code BertForSequenceClassification}): dropout and a dense
 * {@code classifier} on the pooled output, cross-entropy over {@code num_labels} classes. Parameters are
 * {@code bert.*} and {@code classifier.weight} / {@code classifier.bias}.
 */
public final class BertForSequenceClassification extends Module {
    private final BertModel bert;
    private final Dropout dropout;
    private final Linear classifier;

    public BertForSequenceClassification(BertConfig config, Random rng) {
        this(config, rng, true);
    }

    /**
     * With {@code initialiseEncoder} false the encoder skips Hugging Face's initialisation, for an encoder loaded
     * next; the classifier is always initialised (it may be new).
     */
    BertForSequenceClassification(BertConfig config, Random rng, boolean initialiseEncoder) {
        if (config.numLabels() < 2) {
            throw new IllegalArgumentException("BERT config: num_labels must be at least 2 for classification, got "
                    + config.numLabels());
        }
        this.bert = registerModule("bert", new BertModel(config, rng, initialiseEncoder));
        double p = config.classifierDropout() != null ? config.classifierDropout() : config.hiddenDropoutProb();
        this.dropout = registerModule("dropout", new Dropout(p, rng));
        this.classifier = registerModule("classifier", new Linear(config.hiddenSize(), config.numLabels(), rng));
        BertModel.initWeights(classifier, config, rng);
    }

    /** ids, tokenTypes (nullable), attentionMask (nullable): [B, T] -> logits [B, num_labels]. */
    public Tensor forward(Tensor ids, Tensor tokenTypes, Tensor attentionMask) {
        Tensor pooled = bert.forward(ids, tokenTypes, attentionMask).poolerOutput();
        return emit(classifier.forward(dropout.forward(pooled)), ids, tokenTypes, attentionMask);
    }

    @Override
    public Tensor forward(Tensor ids) {
        return forward(ids, null, null);
    }

    /** Mean cross-entropy of logits [B, C] against integer labels [B] in [0, C). */
    public Tensor loss(Tensor logits, Tensor labels) {
        if (labels.rank() != 1 || labels.size(0) != logits.size(0)) {
            throw new ShapeException("BertForSequenceClassification: labels must be [batch] = [" + logits.size(0)
                    + "], got " + Shapes.str(labels.shape()));
        }
        return Losses.crossEntropy(logits, labels);
    }

    public BertModel bert() {
        return bert;
    }

    public Linear classifier() {
        return classifier;
    }

    public BertConfig config() {
        return bert.config();
    }
}
