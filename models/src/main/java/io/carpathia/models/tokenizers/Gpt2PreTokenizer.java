package io.carpathia.models.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's pre-tokenisation: the text is cut into words, numbers, punctuation runs and whitespace runs before BPE
 * runs on each piece on its own, so no token ever spans two pieces.
 *
 * <p>The pattern is OpenAI's, as Hugging Face's {@code ByteLevel} pre-tokenizer also uses it:
 * <pre>
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * </pre>
 * A word takes at most one leading space with it ({@code " world"}). In a whitespace run the lookahead
 * {@code \s+(?!\S)} backtracks by one character when a non-space follows, so {@code "a   b"} becomes
 * {@code "a", "  ", " b"}: the last space goes with the next word. Every character is matched by some alternative,
 * so the pieces concatenate back to the text.
 *
 * <p>{@code \s} means Unicode's White_Space property here ({@link Pattern#UNICODE_CHARACTER_CLASS}), as in Python's
 * {@code regex} module that GPT-2's encoder used and the Oniguruma engine of Hugging Face's tokenizers; Java's default
 * {@code \s} is ASCII only and would treat, say, a no-break space U+00A0 as punctuation.
 */
public final class Gpt2PreTokenizer {
    private Gpt2PreTokenizer() {}

    public static final String REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private static final Pattern PATTERN = Pattern.compile(REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    /** Hands each piece of {@code text} to {@code piece}, in order. */
    public static void forEachPiece(String text, Consumer<String> piece) {
        Matcher matcher = PATTERN.matcher(text);
        while (matcher.find()) piece.accept(matcher.group());
    }

    /** The pieces of {@code text}, in order. */
    public static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        forEachPiece(text, pieces::add);
        return pieces;
    }
}
