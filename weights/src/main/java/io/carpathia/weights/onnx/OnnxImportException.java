package io.carpathia.weights.onnx;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A well-formed ONNX file that is not the model asked for (an ONNX file that is not a BERT encoder, say). The message
 * names the file and what is missing or unexpected.
 */
public class OnnxImportException extends IOException {
    private final transient Path file;

    public OnnxImportException(Path file, String problem) {
        super((file == null ? "<onnx>" : file.toString()) + ": " + problem);
        this.file = file;
    }

    /** The file at fault (null when parsed from memory). */
    public Path file() {
        return file;
    }
}
