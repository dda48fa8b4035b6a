package io.carpathia.models.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * BERT's word splitting, as Hugging Face's {@code BertPreTokenizer}: white space separates words and is dropped, and
 * every punctuation character is a word of its own. Punctuation is ASCII punctuation
 * ({@code !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~}, which includes symbols such as {@code $ + < = > ^ ` |}) or any character
 * of a Unicode punctuation category (P*, as of Unicode 8.0, like Hugging Face: {@link Unicode8Categories}).
 */
public final class BertPreTokenizer {
    private BertPreTokenizer() {}

    /** The words of {@code text}, in order; never an empty word. */
    public static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        forEachWord(text, words::add);
        return words;
    }

    static void forEachWord(String text, Consumer<String> action) {
        int wordStart = -1; // char index where the current word began, -1 between words
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            boolean space = BertNormalizer.isWhitespace(cp);
            if (space || isPunctuation(cp)) {
                if (wordStart >= 0) action.accept(text.substring(wordStart, i));
                wordStart = -1;
                if (!space) action.accept(text.substring(i, next));
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i = next;
        }
        if (wordStart >= 0) action.accept(text.substring(wordStart));
    }

    static boolean isPunctuation(int cp) {
        boolean asciiPunctuation =
                (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
        return asciiPunctuation || Unicode8Categories.isPunctuation(cp);
    }
}
