package io.carpathia.models.cli;

import io.carpathia.models.bert.BertModel;
import io.carpathia.models.bert.SentenceEmbedder;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.models.tokenizers.BertEncoding;
import io.carpathia.models.tokenizers.BertTokenizer;
import java.io.PrintWriter;
import java.util.List;

/**
 * Texts to sentence embeddings for {@code embed} and {@code similarity}: WordPiece ids truncated to the model's
 * maximum (with the count reported on stderr), then {@link SentenceEmbedder}'s mean pooling over the tokens and L2
 * normalisation. An empty text is {@code [CLS] [SEP]}.
 */
final class SentenceEmbeddings {
    private SentenceEmbeddings() {}

    /**
     * One unit vector per text, in order.
     *
     * @param maxLength tokens per text, special tokens included; null: the tokenizer's truncation, else the model's
     *                  position embeddings
     */
    static float[][] embed(BertSource source, BertModel encoder, List<String> texts, Integer maxLength, int batchSize,
                           PrintWriter err, String command) {
        int positions = encoder.config().maxPositionEmbeddings();
        int max = maxLength != null ? maxLength : BertSource.maxLength(source.tokenizer(), encoder.config());
        if (max < 2 || max > positions) {
            throw new UserError("--max-length must be in [2, " + positions + "] (the model's max_position_embeddings), "
                    + "got " + max);
        }
        source.checkTokenizerFits(encoder.config());
        BertTokenizer tokenizer = source.tokenizer().withMaxLength(max);
        int[][] ids = new int[texts.size()][];
        int truncated = 0;
        long cut = 0;
        for (int i = 0; i < ids.length; i++) {
            BertEncoding e = tokenizer.encode(texts.get(i));
            ids[i] = e.inputIds();
            if (e.truncated()) {
                truncated++;
                cut += e.truncatedTokens();
            }
        }
        String report = BertSource.truncationReport(truncated, cut, texts.size(), max, "texts");
        if (report != null) {
            err.println(command + ": " + report);
            err.flush();
        }
        return new SentenceEmbedder(encoder, batchSize).embed(ids, null);
    }
}
