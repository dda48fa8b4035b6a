package io.carpathia.models.cli;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carpathia.engine.device.Device;
import io.carpathia.models.bert.BertModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code carpathia embed [--model DIR|FILE.onnx] "text" ...}: the sentence embedding of each text (mean of the last
 * hidden states over its tokens, L2-normalised, as sentence-transformers computes it), printed as JSON lines,
 * {@code {"text": "...", "embedding": [0.0123, ...]}}, in the order given.
 */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sentence embeddings of the texts: one JSON object per line, {\"text\": ..., \"embedding\": "
                + "[...]}. Mean pooling over the tokens, then L2 normalisation (as sentence-transformers). Texts longer "
                + "than the model's maximum are truncated, and the count is reported on stderr; an empty text is "
                + "[CLS] [SEP].")
public final class EmbedCommand implements Callable<Integer> {
    /** Non-ASCII characters go out as JSON escapes (backslash, u, four hex digits): the same bytes on any console. */
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "the texts to embed")
    List<String> texts;

    @Option(names = "--model", paramLabel = "DIR|FILE.onnx",
            description = "a BERT Hugging Face folder (config.json, weights, tokenizer) or an ONNX export with "
                    + "tokenizer.json or <name>-tokenizer.json beside it. Default: all-MiniLM-L6-v2, bundled")
    Path model;

    @Option(names = "--max-length", paramLabel = "N",
            description = "tokens per text, [CLS] and [SEP] included (default: the tokenizer's truncation, else the "
                    + "model's max_position_embeddings)")
    Integer maxLength;

    @Option(names = "--batch-size", defaultValue = "32", description = "texts per forward pass. Default: ${DEFAULT-VALUE}")
    int batchSize;

    @Mixin DeviceOption device;

    @Option(names = "--verbose", description = "stack traces on errors") boolean verbose;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (batchSize <= 0) throw new CarpathiaCli.UserError("--batch-size must be positive, got " + batchSize);
        try (Device.Use on = device.open().use()) {
            BertSource source = BertSource.open(model);
            BertModel encoder = source.encoder();
            float[][] vectors = SentenceEmbeddings.embed(source, encoder, texts, maxLength, batchSize,
                    spec.commandLine().getErr(), "carpathia embed");
            PrintWriter out = spec.commandLine().getOut();
            for (int i = 0; i < vectors.length; i++) {
                ObjectNode line = JSON.createObjectNode();
                line.put("text", texts.get(i));
                ArrayNode embedding = line.putArray("embedding");
                for (float v : vectors[i]) embedding.add(v);
                out.println(JSON.writeValueAsString(line));
            }
            out.flush();
            return 0;
        }
    }
}
