package io.carpathia.models.tokenizers;

/** A tokenizer file could not be used. The message names the file, what was found there and what was expected. */
public class TokenizerFormatException extends IllegalArgumentException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
