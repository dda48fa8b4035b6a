package io.carpathia.models.tokenizers;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>{@code decode(encode(text))} gives back {@code text} for every valid Unicode string the tokenizer can represent.
 */
public interface Tokenizer {

    /** The ids of {@code text}'s tokens, in order. Special tokens written in the text are encoded as plain text. */
    int[] encode(String text);

    /** The text of the given token ids; an id outside {@code [0, vocabSize())} is an {@link IllegalArgumentException}. */
    String decode(int[] ids);

    /** Number of token ids this tokenizer can produce: every id is in {@code [0, vocabSize())}. */
    int vocabSize();
}
