package io.carpathia.weights.onnx;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An ONNX file that cannot be read: not a protobuf {@code ModelProto}, a length that runs past its message, a field of
 * the wrong wire type, a tensor whose data does not match its dims, or data kept in an external file. The message
 * names the file, where in the model the problem is, what was found and what was expected.
 *
 * <p>It is an {@link IOException}: the file on disk is what is wrong, as with any other unreadable file.
 */
public class OnnxFormatException extends IOException {
    private final transient Path file;

    public OnnxFormatException(Path file, String problem) {
        this(file, problem, null);
    }

    public OnnxFormatException(Path file, String problem, Throwable cause) {
        super((file == null ? "<onnx>" : file.toString()) + ": " + problem, cause);
        this.file = file;
    }

    /** The file at fault (null when parsed from memory). */
    public Path file() {
        return file;
    }
}
