package io.carpathia.models.tokenizers;

import static io.carpathia.models.tokenizers.WordPieceTestVocab.ids;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.models.tokenizers.BertTokenizer.Padding;
import io.carpathia.models.tokenizers.BertTokenizer.Template;
import io.carpathia.models.tokenizers.BertTokenizer.Truncation;
import io.carpathia.models.tokenizers.BertTokenizer.TruncationStrategy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Model inputs from the hand-made vocabulary: the [CLS]/[SEP] template, token types, truncation and padding. */
class BertTokenizerTest {
    private final BertTokenizer bert = WordPieceTestVocab.bert();

    @Test
    void aTextIsFramedByClsAndSep() {
        BertEncoding encoding = bert.encode("Hello, world!");
        assertArrayEquals(ids("[CLS]", "hello", ",", "world", "!", "[SEP]"), encoding.inputIds());
        assertEquals(List.of("[CLS]", "hello", ",", "world", "!", "[SEP]"), encoding.tokens());
        assertArrayEquals(new int[6], encoding.tokenTypeIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, encoding.attentionMask());
        assertEquals(0, encoding.truncatedTokens());
        assertEquals("hello, world!", bert.decode(encoding.inputIds(), true));
        assertEquals("[CLS] hello, world! [SEP]", bert.decode(encoding.inputIds(), false));
    }

    @Test
    void anEmptyTextIsClsSep() {
        assertArrayEquals(ids("[CLS]", "[SEP]"), bert.encode("").inputIds());
        assertArrayEquals(ids("[CLS]", "[SEP]"), bert.encode(" \t\u0000\u200B").inputIds());
        assertArrayEquals(ids("[CLS]", "[SEP]", "[SEP]"), bert.encodePair("", "").inputIds());
    }

    @Test
    void aPairHasTokenTypesZeroThenOne() {
        BertEncoding pair = bert.encodePair("hello", "world !");
        assertArrayEquals(ids("[CLS]", "hello", "[SEP]", "world", "!", "[SEP]"), pair.inputIds());
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, pair.tokenTypeIds());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, pair.attentionMask());
        assertEquals(2, bert.specialTokenCount(false));
        assertEquals(3, bert.specialTokenCount(true));
    }

    @Test
    void truncationCountsTheSpecialTokensAndReportsWhatItCut() {
        BertEncoding cut = bert.withMaxLength(4).encode("a b c helloq helloq");
        assertArrayEquals(ids("[CLS]", "a", "b", "[SEP]"), cut.inputIds());
        assertEquals(3, cut.truncatedTokens());
        assertTrue(cut.truncated());
        assertEquals(0, bert.withMaxLength(7).encode("a b c helloq helloq").truncatedTokens());
        BertEncoding onlySpecials = bert.withMaxLength(2).encode("a b c");
        assertArrayEquals(ids("[CLS]", "[SEP]"), onlySpecials.inputIds());
        assertEquals(3, onlySpecials.truncatedTokens());
        assertTrue(bert.truncation().isEmpty());
        assertEquals(Truncation.longestFirst(4), bert.withMaxLength(4).truncation().orElseThrow());
        assertTrue(bert.withMaxLength(4).withoutTruncation().truncation().isEmpty());
    }

    @Test
    void aMaximumThatCannotHoldTheSpecialTokensIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> bert.withMaxLength(1));
        assertTrue(e.getMessage().contains("2 special tokens"), e.getMessage());
        BertTokenizer two = bert.withMaxLength(2);
        e = assertThrows(IllegalArgumentException.class, () -> two.encodePair("a", "b"));
        assertTrue(e.getMessage().contains("3 special tokens") && e.getMessage().contains("pair"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Truncation(-1, TruncationStrategy.LONGEST_FIRST));
    }

    @Test
    void longestFirstShortensTheLongerTextThenSplitsEvenly() {
        // budget = maxLength - 3; with n1 <= n2, the shorter keeps all if it fits in half, else both get half
        // (the second text, or the longer one when they differ, gets the odd token).
        assertPairLengths(2, 8, 8, 2, 3);
        assertPairLengths(8, 2, 8, 3, 2);
        assertPairLengths(6, 6, 8, 2, 3);
        assertPairLengths(7, 4, 10, 4, 3);
        assertPairLengths(4, 7, 10, 3, 4);
        assertPairLengths(3, 3, 9, 3, 3);
        assertPairLengths(0, 9, 8, 0, 5);
        assertPairLengths(9, 0, 8, 5, 0);
        assertPairLengths(20, 30, 3, 0, 0);
        assertPairLengths(20, 30, 4, 0, 1);
    }

    private void assertPairLengths(int first, int second, int maxLength, int keepFirst, int keepSecond) {
        String a = "a ".repeat(first);
        String b = "b ".repeat(second);
        BertEncoding pair = bert.withMaxLength(maxLength).encodePair(a, b);
        int[] expected = new int[keepFirst + keepSecond + 3];
        int at = 0;
        expected[at++] = 2;
        for (int i = 0; i < keepFirst; i++) expected[at++] = 11;
        expected[at++] = 3;
        for (int i = 0; i < keepSecond; i++) expected[at++] = 12;
        expected[at] = 3;
        String what = first + " + " + second + " tokens in " + maxLength;
        assertArrayEquals(expected, pair.inputIds(), what);
        assertEquals(first - keepFirst + second - keepSecond, pair.truncatedTokens(), what);
    }

    @Test
    void onlyFirstAndOnlySecondCutOneTextOrFail() {
        BertTokenizer onlyFirst = bert.withTruncation(new Truncation(7, TruncationStrategy.ONLY_FIRST));
        assertArrayEquals(ids("[CLS]", "a", "a", "[SEP]", "b", "b", "[SEP]"),
                onlyFirst.encodePair("a a a a a a", "b b").inputIds());
        var e = assertThrows(IllegalArgumentException.class, () -> onlyFirst.encodePair("a a", "b b b b b b"));
        assertTrue(e.getMessage().contains("first text has 2 tokens"), e.getMessage());
        assertArrayEquals(ids("[CLS]", "a", "a", "a", "a", "a", "[SEP]"), onlyFirst.encode("a a a a a a a").inputIds());

        BertTokenizer onlySecond = bert.withTruncation(new Truncation(7, TruncationStrategy.ONLY_SECOND));
        assertArrayEquals(ids("[CLS]", "a", "a", "[SEP]", "b", "b", "[SEP]"),
                onlySecond.encodePair("a a", "b b b b b b").inputIds());
        assertThrows(IllegalArgumentException.class, () -> onlySecond.encodePair("a a a a a a", "b b"));
        assertArrayEquals(ids("[CLS]", "a", "[SEP]"), onlySecond.encode("a").inputIds()); // fits: nothing to cut
        e = assertThrows(IllegalArgumentException.class, () -> onlySecond.encode("a a a a a a a"));
        assertTrue(e.getMessage().contains("needs a text pair"), e.getMessage());
    }

    @Test
    void batchesArePaddedOnTheRightToTheLongestRow() {
        BertBatch batch = bert.encodeBatch(List.of("hello world", "", "a"));
        assertEquals(3, batch.batchSize());
        assertEquals(4, batch.sequenceLength());
        assertArrayEquals(new int[][] {ids("[CLS]", "hello", "world", "[SEP]"), ids("[CLS]", "[SEP]", "[PAD]", "[PAD]"),
                ids("[CLS]", "a", "[SEP]", "[PAD]")}, batch.inputIds());
        assertArrayEquals(new int[][] {{1, 1, 1, 1}, {1, 1, 0, 0}, {1, 1, 1, 0}}, batch.attentionMask());
        assertArrayEquals(new int[3][4], batch.tokenTypeIds());
        assertArrayEquals(new int[] {4, 2, 3}, batch.lengths());
        assertEquals(List.of("[CLS]", "a", "[SEP]", "[PAD]"), batch.row(2).tokens());
        assertEquals(0, batch.truncatedTokens());
    }

    @Test
    void fixedPaddingAndRoundingUpToAMultiple() {
        assertEquals(6, bert.encodeBatch(List.of("a", "a b"), Padding.fixed(6)).sequenceLength());
        assertEquals(8, bert.encodeBatch(List.of("a", "a b"), Padding.longest().toMultipleOf(8)).sequenceLength());
        assertEquals(8, bert.encodeBatch(List.of("a"), Padding.fixed(5).toMultipleOf(4)).sequenceLength());
        assertEquals(4, bert.encodeBatch(List.of("a", "a b"), Padding.longest().toMultipleOf(4)).sequenceLength());
        var e = assertThrows(IllegalArgumentException.class,
                () -> bert.encodeBatch(List.of("a", "a b c"), Padding.fixed(4)));
        assertTrue(e.getMessage().contains("text 1 has 5 tokens") && e.getMessage().contains("4"), e.getMessage());
        BertBatch empty = bert.encodeBatch(List.of());
        assertEquals(0, empty.batchSize());
        assertEquals(0, empty.sequenceLength());
        assertThrows(IllegalArgumentException.class, () -> Padding.fixed(0));
    }

    @Test
    void truncatedBatchesReportTheirCutsRowByRow() {
        BertBatch batch = bert.withMaxLength(4).encodeBatch(List.of("a b c d", "a"));
        assertArrayEquals(new int[][] {ids("[CLS]", "a", "b", "[SEP]"), ids("[CLS]", "a", "[SEP]", "[PAD]")},
                batch.inputIds());
        assertEquals(2, batch.row(0).truncatedTokens());
        assertEquals(0, batch.row(1).truncatedTokens());
        assertEquals(2, batch.truncatedTokens());
    }

    @Test
    void pairBatchesKeepTheirTokenTypes() {
        BertBatch batch = bert.encodePairBatch(List.of("a", "hello world"), List.of("b b", "c"), Padding.longest());
        assertArrayEquals(new int[][] {ids("[CLS]", "a", "[SEP]", "b", "b", "[SEP]"),
                ids("[CLS]", "hello", "world", "[SEP]", "c", "[SEP]")}, batch.inputIds());
        assertArrayEquals(new int[][] {{0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 1, 1}}, batch.tokenTypeIds());
        assertThrows(IllegalArgumentException.class,
                () -> bert.encodePairBatch(List.of("a"), List.of("b", "c"), Padding.longest()));
    }

    @Test
    void withoutAPadTokenOnlyEqualLengthsCanBeBatched() {
        BertTokenizer noPad = new BertTokenizer(WordPieceTestVocab.uncased(), Template.bert("[CLS]", 2, "[SEP]", 3),
                null, null, "[PAD]", -1, 0);
        assertEquals(3, noPad.encodeBatch(List.of("a", "b")).sequenceLength());
        var e = assertThrows(IllegalStateException.class, () -> noPad.encodeBatch(List.of("a", "a b")));
        assertTrue(e.getMessage().contains("no pad token"), e.getMessage());
        assertThrows(IllegalStateException.class, noPad::padTokenId);
    }

    @Test
    void encodingsAreImmutable() {
        BertEncoding encoding = bert.encode("hello");
        encoding.inputIds()[1] = 99;
        encoding.attentionMask()[1] = 0;
        assertArrayEquals(ids("[CLS]", "hello", "[SEP]"), encoding.inputIds());
        assertArrayEquals(new int[] {1, 1, 1}, encoding.attentionMask());
        assertThrows(UnsupportedOperationException.class, () -> encoding.tokens().set(0, "x"));
        BertBatch batch = bert.encodeBatch(List.of("hello"));
        batch.inputIds()[0][0] = 99;
        assertEquals(2, batch.inputIds()[0][0]);
        assertEquals(bert.encode("hello"), encoding);
    }

    @Test
    void truncatedLengthsNeverExceedTheBudgetOrTheTexts() {
        for (int first = 0; first <= 12; first++) {
            for (int second = 0; second <= 12; second++) {
                for (int budget = 0; budget <= 14; budget++) {
                    int[] kept = BertTokenizer.truncatedLengths(first, second, true, budget,
                            TruncationStrategy.LONGEST_FIRST);
                    String what = first + "+" + second + " in " + budget;
                    assertTrue(kept[0] <= first && kept[1] <= second && kept[0] >= 0 && kept[1] >= 0, what);
                    assertEquals(Math.min(first + second, budget), kept[0] + kept[1], what);
                }
            }
        }
    }
}
