package io.carpathia.weights.hf;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A {@code config.json} (or another Hugging Face JSON file) that cannot be used: not JSON, a field of the wrong type,
 * or a value the model cannot have. The message names the file and the field, what was found and what was expected.
 */
public class ConfigException extends IOException {
    private final transient Path file;
    private final String field;

    public ConfigException(Path file, String field, String problem) {
        this(file, field, problem, null);
    }

    public ConfigException(Path file, String field, String problem, Throwable cause) {
        super((file == null ? "<config>" : file.toString()) + ": " + (field == null ? "" : "field '" + field + "': ")
                + problem, cause);
        this.file = file;
        this.field = field;
    }

    /** The file at fault (null when parsed from memory). */
    public Path file() {
        return file;
    }

    /** The field at fault, or null when the whole file is. */
    public String field() {
        return field;
    }
}
