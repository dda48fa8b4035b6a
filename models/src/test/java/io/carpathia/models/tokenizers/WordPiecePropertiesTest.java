package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** WordPiece on random text: it never fails on valid Unicode, stays in range and fits the maximum length. */
class WordPiecePropertiesTest {
    private final BertTokenizer bert = WordPieceTestVocab.bert();

    @Property(tries = 30)
    void anyUnicodeTextEncodesToInRangeIdsFramedByClsSep(@ForAll("text") String text) {
        BertEncoding encoding = bert.encode(text);
        int[] ids = encoding.inputIds();
        for (int id : ids) assertTrue(id >= 0 && id < bert.vocabSize(), "id " + id);
        assertEquals(2, ids[0]);
        assertEquals(3, ids[ids.length - 1]);
        assertArrayEquals(bert.wordPiece().encode(text, true), Arrays.copyOfRange(ids, 1, ids.length - 1));
        assertEquals(ids.length, encoding.tokens().size());
        for (int i = 0; i < ids.length; i++) assertEquals(bert.wordPiece().token(ids[i]), encoding.tokens().get(i));
        bert.decode(ids, true); // decodes without failing
    }

    @Property(tries = 30)
    void truncatedEncodingsFitAndCountWhatTheyCut(@ForAll("text") String first, @ForAll("text") String second,
                                                  @ForAll @IntRange(min = 3, max = 20) int maxLength) {
        BertTokenizer truncating = bert.withMaxLength(maxLength);
        int fullFirst = bert.wordPiece().encode(first, true).length;
        int fullSecond = bert.wordPiece().encode(second, true).length;

        BertEncoding single = truncating.encode(first);
        assertEquals(Math.min(fullFirst + 2, maxLength), single.length());
        assertEquals(fullFirst + 2 - single.length(), single.truncatedTokens());

        BertEncoding pair = truncating.encodePair(first, second);
        assertEquals(Math.min(fullFirst + fullSecond + 3, maxLength), pair.length());
        assertEquals(fullFirst + fullSecond + 3 - pair.length(), pair.truncatedTokens());
        int[] types = pair.tokenTypeIds();
        for (int i = 1; i < types.length; i++) assertTrue(types[i] >= types[i - 1], "token types rise 0 -> 1");
    }

    @Property(tries = 20)
    void batchesPadEveryRowToTheLongest(@ForAll @Size(min = 1, max = 5) List<@From("text") String> texts) {
        BertBatch batch = bert.encodeBatch(texts);
        int longest = 0;
        for (String text : texts) longest = Math.max(longest, bert.encode(text).length());
        assertEquals(longest, batch.sequenceLength());
        for (int b = 0; b < texts.size(); b++) {
            BertEncoding alone = bert.encode(texts.get(b));
            int[] row = batch.inputIds()[b];
            int[] mask = batch.attentionMask()[b];
            for (int t = 0; t < longest; t++) {
                assertEquals(t < alone.length() ? alone.inputIds()[t] : 0, row[t]);
                assertEquals(t < alone.length() ? 1 : 0, mask[t]);
            }
        }
    }

    @Property(tries = 30)
    void decodingInVocabularyWordsGivesBackTheNormalisedText(@ForAll("words") List<String> words) {
        String text = String.join(" ", words);
        int[] ids = bert.encode(text).inputIds();
        assertEquals(bert.wordPiece().normalize(text).trim().replaceAll(" +", " "), bert.decode(ids, true));
    }

    /** Random text: the characters BERT treats specially, any scalar value, and pieces of the vocabulary. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> special = Arbitraries.of("[MASK]", "[SEP]", "[CLS]", "[PAD]", "[UNK]", "[mask]", "##", "##aff");
        Arbitrary<String> tricky = Arbitraries.of("\u0000", "\uFFFD", "\u200B", "\u00AD", "\u000B", "\u0085", "\u00A0",
                "\u3000", "\t", "\r\n", "İ", "Σ", "é", "e\u0301", "ﬁ", "😀", "🇫🇷", "👨‍👩‍👧", "\uD840\uDC00", "\uE000",
                "北", "の", "한", "¿", "«", "—", "、", "\u166D", "\u08D4", "a".repeat(101));
        return Arbitraries.frequencyOf(Tuple.of(3, TokenizerTestText.unicodeText()),
                        Tuple.of(2, wordsArbitrary().map(words -> String.join(" ", words))),
                        Tuple.of(1, Arbitraries.frequencyOf(Tuple.of(1, special), Tuple.of(3, tricky),
                                        Tuple.of(3, Arbitraries.of(WordPieceTestVocab.TOKENS)))
                                .list().ofMaxSize(20).map(parts -> String.join("", parts))));
    }

    /** Word-initial vocabulary entries made only of letters and digits, so that no space is lost or added. */
    @Provide
    Arbitrary<List<String>> words() {
        return wordsArbitrary();
    }

    private static Arbitrary<List<String>> wordsArbitrary() {
        List<String> plainWords = WordPieceTestVocab.TOKENS.stream()
                .filter(token -> !token.startsWith("##") && !token.startsWith("[")
                        && token.codePoints().allMatch(Character::isLetterOrDigit)
                        && token.equals(BertNormalizer.UNCASED.normalize(token).trim()))
                .toList();
        return Arbitraries.of(plainWords).list().ofMaxSize(12);
    }
}
