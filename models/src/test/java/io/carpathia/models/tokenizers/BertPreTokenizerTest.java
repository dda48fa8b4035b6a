package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** BERT's word splitting: white space separates and vanishes, each punctuation character is a word. */
class BertPreTokenizerTest {

    @Test
    void whiteSpaceSeparatesWordsAndIsDropped() {
        assertEquals(List.of("hello", "world"), BertPreTokenizer.split("  hello \t\n world  "));
        assertEquals(List.of("a", "b", "c"), BertPreTokenizer.split("a\u00A0b\u3000c"));
        assertEquals(List.of(), BertPreTokenizer.split(""));
        assertEquals(List.of(), BertPreTokenizer.split(" \t\u2028 "));
    }

    @Test
    void everyAsciiPunctuationCharacterIsAWordOfItsOwnSymbolsIncluded() {
        String ascii = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        assertEquals(ascii.chars().mapToObj(Character::toString).toList(), BertPreTokenizer.split(ascii));
        assertEquals(List.of("don", "'", "t", "stop", "!", "!"), BertPreTokenizer.split("don't stop!!"));
        assertEquals(List.of("3", ".", "14", "$", "5", "+", "x", "=", "y"), BertPreTokenizer.split("3.14 $5+x=y"));
    }

    @Test
    void unicodePunctuationIsSplitButSymbolsAreNot() {
        assertEquals(List.of("¿", "qué", "?", "«", "oui", "»", "—", "non", "…"),
                BertPreTokenizer.split("¿qué? «oui»—non…"));
        assertEquals(List.of("「", "日本", "」", "、", "。"), BertPreTokenizer.split("「日本」、。"));
        // Currency, math and other symbols (Sc, Sm, So) stay inside words.
        assertEquals(List.of("5€", "x≤y", "©2024", "a😀b"), BertPreTokenizer.split("5€ x≤y ©2024 a😀b"));
    }

    @Test
    void punctuationOutsideTheBasicPlaneIsSplitWholeNotHalved() {
        // U+1039F UGARITIC WORD DIVIDER (Po) is a surrogate pair.
        assertEquals(List.of("a", "\uD800\uDF9F", "b"), BertPreTokenizer.split("a\uD800\uDF9Fb"));
    }

    @Test
    void punctuationIsUnicode8Punctuation() {
        assertTrue(BertPreTokenizer.isPunctuation(0x166D)); // Canadian syllabics chi sign: Po in 8.0, So since 12.0
        assertTrue(BertPreTokenizer.isPunctuation(0x111C9)); // Sharada sandhi mark: Po in 8.0, Mn since 13.0
        assertFalse(BertPreTokenizer.isPunctuation(0x2E4F)); // Cornish verse divider: Po since 11.0
        assertFalse(BertPreTokenizer.isPunctuation(0x0378)); // unassigned
        assertEquals(List.of("chi", "\u166D", "sign"), BertPreTokenizer.split("chi\u166Dsign"));
        assertEquals(List.of("a\u2E4Fb"), BertPreTokenizer.split("a\u2E4Fb"));
    }
}
