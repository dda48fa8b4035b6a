package io.carpathia.models.tokenizers;

import static io.carpathia.models.tokenizers.WordPieceTestVocab.ids;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.models.tokenizers.WordPieceTokenizer.AddedToken;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** WordPiece on the hand-made {@link WordPieceTestVocab}: every rule, with ids read off the vocabulary. */
class WordPieceTokenizerTest {
    private final WordPieceTokenizer uncased = WordPieceTestVocab.uncased();

    @Test
    void wordsBecomeTheLongestPiecesFromTheLeftWithContinuationPrefix() {
        assertArrayEquals(ids("un", "##aff", "##able"), uncased.encode("unaffable"));
        assertArrayEquals(ids("aa", "##a"), uncased.encode("aaa"));
        assertArrayEquals(ids("aa", "##aa"), uncased.encode("aaaa"));
        assertArrayEquals(ids("aa", "##aa", "##a"), uncased.encode("aaaaa"));
        assertArrayEquals(ids("a", "##b", "##le"), uncased.encode("able")); // no "able", no "##ble"
        assertArrayEquals(ids("🇫", "##🇷"), uncased.encode("🇫🇷"));
        assertEquals(List.of("un", "##aff", "##able", "hello"), uncased.tokenize("unaffable hello"));
    }

    @Test
    void aWordWithAnUnmatchedRestIsOneUnknownToken() {
        assertArrayEquals(ids("[UNK]"), uncased.encode("helloq")); // "hello" matches, "##q" does not
        assertArrayEquals(ids("[UNK]"), uncased.encode("q"));
        assertArrayEquals(ids("hello", "[UNK]", "world"), uncased.encode("hello helloq world"));
        // Greedy never backtracks: "a" + "##ab" would spell "aab", but "aa" is taken first and "##b" is missing.
        WordPieceTokenizer greedy = new WordPieceTokenizer(Map.of("[UNK]", 0, "a", 1, "aa", 2, "##ab", 3), null,
                "[UNK]", "##", 100, null, List.of(), true, "greedy vocab");
        assertArrayEquals(new int[] {0}, greedy.encode("aab"));
        assertArrayEquals(new int[] {2}, greedy.encode("aa"));
    }

    @Test
    void wordsLongerThanTheLimitInCodePointsAreUnknown() {
        int[] hundred = uncased.encode("a".repeat(100));
        assertEquals(50, hundred.length); // aa + 49 x ##aa
        assertEquals(WordPieceTestVocab.VOCAB.get("aa"), hundred[0]);
        assertArrayEquals(ids("[UNK]"), uncased.encode("a".repeat(101)));
        // 100 emoji are 200 chars but 100 code points: still under the limit.
        int[] emoji = uncased.encode("😀".repeat(100));
        assertEquals(100, emoji.length);
        assertEquals(WordPieceTestVocab.VOCAB.get("##😀"), emoji[99]);
        assertArrayEquals(ids("[UNK]"), uncased.encode("😀".repeat(101)));
        WordPieceTokenizer three = new WordPieceTokenizer(WordPieceTestVocab.VOCAB, null, "[UNK]", "##", 3,
                BertNormalizer.UNCASED, List.of(), true, "test vocab");
        assertArrayEquals(ids("aa", "##a"), three.encode("aaa"));
        assertArrayEquals(ids("[UNK]", "aa"), three.encode("aaaa aa"));
    }

    @Test
    void piecesNeverEndInsideASurrogatePair() {
        // A vocabulary holding the halves of an emoji must not match them: pieces shrink by whole code points.
        WordPieceTokenizer halves = new WordPieceTokenizer(Map.of("[UNK]", 0, "x", 1, "##\uD83D", 2, "##\uDE00", 3),
                null, "[UNK]", "##", 100, null, List.of(), true, "half-emoji vocab");
        assertArrayEquals(new int[] {0}, halves.encode("x😀"));
        assertArrayEquals(ids("x", "##😀", "##😀"), uncased.encode("x😀😀"));
    }

    @Test
    void normalisationThenPunctuationAndCjkSplitting() {
        assertArrayEquals(ids("北", "京", "hello", "!"), uncased.encode("北京Hello!"));
        assertArrayEquals(ids("cafe", "naive", "resume", "ecole"), uncased.encode("Café NAÏVE re\u0301sumé École"));
        assertArrayEquals(ids("hello", "world"), uncased.encode("hel\u0000lo\u200B \t wor\u0007ld\uFFFD"));
        assertArrayEquals(ids("don", "'", "t", "$", "+", "<", "=", ">", "^", "`", "|", "~"),
                uncased.encode("don't $+<=>^`|~"));
        assertArrayEquals(ids("¿", "«", "a", "»", "—", "「", "日", "本", "」", "、", "の", "。"),
                uncased.encode("¿«a»—「日本」、の。"));
        assertArrayEquals(new int[0], uncased.encode(""));
        assertArrayEquals(new int[0], uncased.encode(" \u0000\t\u200B\n"));
    }

    @Test
    void caseAndAccentsFollowTheNormaliser() {
        WordPieceTokenizer cased = WordPieceTestVocab.wordPiece(BertNormalizer.CASED);
        assertArrayEquals(ids("café", "Hello", "hello", "[UNK]"), cased.encode("café Hello hello Café"));
        WordPieceTokenizer lowercaseKeepAccents = WordPieceTestVocab.wordPiece(new BertNormalizer(true, true, false, true));
        assertArrayEquals(ids("café", "i", "##\u0307"), lowercaseKeepAccents.encode("CAFÉ İ"));
        assertArrayEquals(ids("i"), uncased.encode("İ"));
        assertArrayEquals(ids("σ", "ς"), uncased.encode("Σ ς"));
        WordPieceTokenizer raw = WordPieceTestVocab.wordPiece(null);
        assertArrayEquals(ids("Hello", "[UNK]"), raw.encode("Hello\u00A0Hello\u0000"));
    }

    @Test
    void specialTokensInTheTextAreTokensOnlyWhenAllowed() {
        assertArrayEquals(ids("[MASK]", "hello", "[SEP]", "world"), uncased.encode("[MASK] hello[SEP]world", true));
        assertArrayEquals(ids("[", "mask", "]", "hello", "[", "sep", "]", "world"),
                uncased.encode("[MASK] hello[SEP]world"));
        // Matched in the raw text, so case-sensitively; a control character inside breaks the match.
        assertArrayEquals(ids("[", "mask", "]"), uncased.encode("[mask]", true));
        assertArrayEquals(ids("[", "mask", "]"), uncased.encode("[MA\u0000SK]", true));
        assertArrayEquals(ids("[CLS]", "[CLS]", "[PAD]"), uncased.encode("[CLS][CLS] [PAD]", true));
    }

    @Test
    void addedTokensMarkedNormalizedAreFoundInTheNormalisedText() {
        List<AddedToken> added = new ArrayList<>(WordPieceTestVocab.SPECIALS);
        added.add(new AddedToken("Hello World", 73, false, true));
        added.add(new AddedToken("XyZ", 74, false, false));
        WordPieceTokenizer tokenizer = new WordPieceTokenizer(WordPieceTestVocab.VOCAB, null, "[UNK]", "##", 100,
                BertNormalizer.UNCASED, added, true, "test vocab");
        assertEquals(75, tokenizer.vocabSize());
        assertArrayEquals(new int[] {73, 25}, tokenizer.encode("HELLO WORLD!"));
        assertArrayEquals(ids("hello", "world"), tokenizer.encode("hello  world"));
        // Not special: matched even when special tokens are plain text; raw ones case-sensitively.
        assertArrayEquals(new int[] {11, 74, 12}, tokenizer.encode("aXyZb"));
        assertArrayEquals(ids("[UNK]"), tokenizer.encode("axyzb"));
        assertEquals("a XyZ b", tokenizer.decode(new int[] {11, 74, 12}, true));
    }

    @Test
    void decodingJoinsPiecesAndCleansUpAsHuggingFaceDoes() {
        assertEquals("hello world! unaffable", uncased.decode(ids("hello", "world", "!", "un", "##aff", "##able")));
        assertEquals("the cafe, the world. hello? don ' t", uncased.decode(
                ids("the", "cafe", ",", "the", "world", ".", "hello", "?", "don", "'", "t")));
        assertEquals("[CLS] hello [SEP] [PAD]", uncased.decode(ids("[CLS]", "hello", "[SEP]", "[PAD]")));
        assertEquals("hello", uncased.decode(ids("[CLS]", "hello", "[SEP]", "[PAD]"), true));
        assertEquals("[UNK] [MASK]", uncased.decode(ids("[UNK]", "[MASK]"), false));
        assertEquals("", uncased.decode(ids("[UNK]", "[MASK]"), true)); // [UNK] is a special token too
        assertEquals("##affable", uncased.decode(ids("##aff", "##able"))); // a first token keeps its prefix
        assertEquals("", uncased.decode(new int[0]));
        WordPieceTokenizer noCleanup = new WordPieceTokenizer(WordPieceTestVocab.VOCAB, null, "[UNK]", "##", 100,
                BertNormalizer.UNCASED, WordPieceTestVocab.SPECIALS, false, "test vocab");
        assertEquals("hello , world !", noCleanup.decode(ids("hello", ",", "world", "!")));
    }

    @Test
    void vocabularyLookups() {
        assertEquals(WordPieceTestVocab.TOKENS.size(), uncased.vocabSize());
        assertEquals(7, uncased.tokenId("##able").orElseThrow());
        assertTrue(uncased.tokenId("##nope").isEmpty());
        assertEquals("##able", uncased.token(7));
        assertEquals(1, uncased.unkTokenId());
        assertTrue(uncased.isSpecial(0) && uncased.isSpecial(4));
        assertFalse(uncased.isSpecial(5) || uncased.isSpecial(-1) || uncased.isSpecial(1000));
        assertEquals(" 北  京 cafe", uncased.normalize("北京Café"));
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> uncased.decode(new int[] {5, 999}));
        assertTrue(e.getMessage().contains("999") && e.getMessage().contains("position 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> uncased.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> uncased.token(73));
        e = assertThrows(IllegalArgumentException.class, () -> uncased.encode("a\uD800b"));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
        var format = assertThrows(TokenizerFormatException.class, () -> new WordPieceTokenizer(Map.of("a", 0), null,
                "[UNK]", "##", 100, null, List.of(), true, "tiny vocab"));
        assertTrue(format.getMessage().contains("tiny vocab") && format.getMessage().contains("[UNK]"),
                format.getMessage());
        format = assertThrows(TokenizerFormatException.class, () -> new WordPieceTokenizer(Map.of("[UNK]", 0, "a", 0),
                null, "[UNK]", "##", 100, null, List.of(), true, "clashing vocab"));
        assertTrue(format.getMessage().contains("both have id 0"), format.getMessage());
        assertThrows(TokenizerFormatException.class, () -> new WordPieceTokenizer(Collections.emptyMap(), null,
                "[UNK]", "##", 100, null, List.of(), true, "empty vocab"));
        assertThrows(TokenizerFormatException.class, () -> new WordPieceTokenizer(Map.of("[UNK]", 0), null,
                "[UNK]", "##", 0, null, List.of(), true, "zero limit"));
    }
}
