package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** GPT-2's pre-tokenisation pattern, with splits worked out by hand from the pattern's alternatives. */
class Gpt2PreTokenizerTest {

    @Test
    void wordsTakeOneLeadingSpace() {
        assertEquals(List.of("Hello", " world", "!"), Gpt2PreTokenizer.split("Hello world!"));
        assertEquals(List.of("abc", "123", "def", " 3", ".", "14"), Gpt2PreTokenizer.split("abc123def 3.14"));
    }

    @Test
    void aWhitespaceRunLeavesItsLastSpaceToTheNextWord() {
        // \s+(?!\S) backtracks one character when a non-space follows the run.
        assertEquals(List.of("a", "  ", " b"), Gpt2PreTokenizer.split("a   b"));
        assertEquals(List.of("a", " \n", " b"), Gpt2PreTokenizer.split("a \n b"));
        // A newline cannot be the optional space before a word, so the last one stands alone (the \s+ alternative).
        assertEquals(List.of("\n\n", "\n", "x"), Gpt2PreTokenizer.split("\n\n\nx"));
        // At the end of the text nothing follows, so the run stays whole.
        assertEquals(List.of("end", "   "), Gpt2PreTokenizer.split("end   "));
        assertEquals(List.of("\t", " tab"), Gpt2PreTokenizer.split("\t tab"));
    }

    @Test
    void contractionsAreLowerCaseOnly() {
        assertEquals(List.of("don", "'t"), Gpt2PreTokenizer.split("don't"));
        assertEquals(List.of("it", "'s", " 42"), Gpt2PreTokenizer.split("it's 42"));
        assertEquals(List.of("we", "'re", " I", "'ll"), Gpt2PreTokenizer.split("we're I'll"));
        assertEquals(List.of("DON", "'", "T"), Gpt2PreTokenizer.split("DON'T"));
    }

    @Test
    void symbolsAndEmojiFormPunctuationRuns() {
        assertEquals(List.of(" 🍕!", " (", "x", ")"), Gpt2PreTokenizer.split(" 🍕! (x)"));
        assertEquals(List.of("<|", "endoftext", "|>"), Gpt2PreTokenizer.split("<|endoftext|>"));
    }

    @Test
    void whitespaceMeansUnicodeWhiteSpace() {
        // U+00A0 (no-break space) and U+0085 (next line) are White_Space, as in Python's regex module and Oniguruma;
        // Java's default \s would make the first a punctuation character joined to the comma.
        assertEquals(List.of("x", ",", "\u00A0", "y"), Gpt2PreTokenizer.split("x,\u00A0y"));
        assertEquals(List.of("a", "\u0085", "b"), Gpt2PreTokenizer.split("a\u0085b"));
        assertEquals(List.of("a", "\u3000", "b"), Gpt2PreTokenizer.split("a\u3000b"));
        // U+FEFF (zero-width no-break space) is not White_Space (JavaScript's \s counts it as one).
        assertEquals(List.of("a", " \uFEFF", "b"), Gpt2PreTokenizer.split("a \uFEFFb"));
    }

    @Property(tries = 100)
    void piecesConcatenateBackToTheText(@ForAll("text") String text) {
        assertEquals(text, String.join("", Gpt2PreTokenizer.split(text)));
    }

    @Provide
    Arbitrary<String> text() {
        return TokenizerTestText.unicodeText();
    }

    @Test
    void emptyTextHasNoPieces() {
        assertEquals(List.of(), Gpt2PreTokenizer.split(""));
    }
}
