package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Each step of BERT's normaliser on hand-picked characters, alone and in combination. */
class BertNormalizerTest {
    private static final BertNormalizer CLEAN_ONLY = new BertNormalizer(true, false, false, false);
    private static final BertNormalizer CJK_ONLY = new BertNormalizer(false, true, false, false);
    private static final BertNormalizer STRIP_ONLY = new BertNormalizer(false, false, true, false);
    private static final BertNormalizer LOWER_ONLY = new BertNormalizer(false, false, false, true);

    @Test
    void cleanTextDropsControlFormatAndPrivateUseCharactersNulAndReplacementCharacter() {
        assertEquals("ab", CLEAN_ONLY.normalize("a\u0000b"));
        assertEquals("ab", CLEAN_ONLY.normalize("a\uFFFDb"));
        assertEquals("abc", CLEAN_ONLY.normalize("a\u0007b\u001Bc")); // Cc
        assertEquals("abcde", CLEAN_ONLY.normalize("a\u200Bb\u00ADc\uFEFFd\u202Ee")); // Cf: ZWSP, soft hyphen, BOM, bidi
        assertEquals("ab", CLEAN_ONLY.normalize("a\u007F\u0080\u009Fb")); // DEL and C1 controls
        assertEquals("abc", CLEAN_ONLY.normalize("a\uE000b\uDB80\uDC00c")); // Co, in the BMP and in plane 15
    }

    @Test
    void cleanTextTurnsWhiteSpaceIntoSpacesButDropsTheControlsAmongIt() {
        assertEquals("a b c d", CLEAN_ONLY.normalize("a\tb\nc\rd"));
        assertEquals("a b c d e", CLEAN_ONLY.normalize("a\u00A0b\u3000c\u2028d\u2003e"));
        // Vertical tab, form feed and NEL are white space but also Cc controls: the filter comes first.
        assertEquals("abcd", CLEAN_ONLY.normalize("a\u000Bb\u000Cc\u0085d"));
        assertEquals("a b", new BertNormalizer(false, false, false, false).normalize("a b"));
        assertEquals("a\tb\u0007", new BertNormalizer(false, false, false, false).normalize("a\tb\u0007"));
    }

    @Test
    void cjkIdeographsGetASpaceOnEachSide() {
        assertEquals("ab 北  京 c", CJK_ONLY.normalize("ab北京c"));
        assertEquals(" 你 ", CJK_ONLY.normalize("你"));
        // Compatibility ideograph, extension B (a surrogate pair) and the first of extension F.
        assertEquals(" \uF900  \uD840\uDC00  \uD86E\uDD20 ", CJK_ONLY.normalize("\uF900\uD840\uDC00\uD86E\uDD20"));
        // Not ideographs in BERT's sense: kana, Hangul, CJK punctuation, and extension E's first block U+2B820..2B91F,
        // which Hugging Face's ranges skip.
        assertEquals("のテ한。\uD86E\uDC20", CJK_ONLY.normalize("のテ한。\uD86E\uDC20"));
    }

    @Test
    void stripAccentsDecomposesAndDropsNonSpacingMarks() {
        assertEquals("cafe naive", STRIP_ONLY.normalize("café naïve"));
        assertEquals("cafe", STRIP_ONLY.normalize("cafe\u0301")); // already decomposed
        assertEquals("Angstrom", STRIP_ONLY.normalize("Ångström"));
        assertEquals("I", STRIP_ONLY.normalize("İ")); // I + U+0307
        assertEquals("ﬁ½", STRIP_ONLY.normalize("ﬁ½")); // compatibility forms are not NFD decompositions
        assertEquals("\u0645\u0631\u062D\u0628\u0627", STRIP_ONLY.normalize("\u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627"));
        assertEquals("\u0928\u092E\u0938\u0924", STRIP_ONLY.normalize("\u0928\u092E\u0938\u094D\u0924\u0947")); // virama, vowel sign
        // Hangul syllables decompose into jamo, which are letters: nothing is dropped.
        assertEquals("\u1112\u1161\u11AB", STRIP_ONLY.normalize("한"));
    }

    @Test
    void marksAddedAfterUnicode8AreKeptAsHuggingFaceKeepsThem() {
        assertEquals("\u08D4x", STRIP_ONLY.normalize("\u08D4x")); // Arabic small high word ar-rub (Unicode 9.0)
        assertEquals("\u0D00x", STRIP_ONLY.normalize("\u0D00x")); // Malayalam sign combining anusvara above (10.0)
        assertEquals("\uD83A\uDD44x", STRIP_ONLY.normalize("\uD83A\uDD44x")); // Adlam alif lengthener (9.0)
        assertEquals("x", STRIP_ONLY.normalize("\uD834\uDD67x")); // musical symbol combining tremolo-1 (3.1): Mn
    }

    @Test
    void lowercaseMapsEachCodePointWithoutContext() {
        assertEquals("hello world", LOWER_ONLY.normalize("HeLLo WORLD"));
        assertEquals("σίσυφοσ", LOWER_ONLY.normalize("ΣΊΣΥΦΟΣ")); // no final sigma ς
        assertEquals("i\u0307stanbul", LOWER_ONLY.normalize("İstanbul")); // İ's full lower-case mapping
        assertEquals("ǆ ǆ", LOWER_ONLY.normalize("Ǆ ǅ"));
        assertEquals("straße", LOWER_ONLY.normalize("STRAßE"));
        assertEquals("\uD801\uDC28", LOWER_ONLY.normalize("\uD801\uDC00")); // Deseret, outside the BMP
    }

    @Test
    void accentsAreStrippedBeforeLowercasing() {
        assertEquals("istanbul", BertNormalizer.UNCASED.normalize("İstanbul"));
        assertEquals("ecole cafe", BertNormalizer.UNCASED.normalize("ÉCOLE Café"));
        assertEquals("ÉCOLE Café", BertNormalizer.CASED.normalize("ÉCOLE Café"));
        assertEquals(" 北  京 hello", BertNormalizer.UNCASED.normalize("北京\u200BHello"));
    }

    @Test
    void unsetStripAccentsFollowsLowercase() {
        assertTrue(BertNormalizer.of(true, true, null, true).stripAccents());
        assertFalse(BertNormalizer.of(true, true, null, false).stripAccents());
        assertTrue(BertNormalizer.of(true, true, true, false).stripAccents());
        assertFalse(BertNormalizer.of(true, true, false, true).stripAccents());
        assertEquals("café", BertNormalizer.of(true, true, false, true).normalize("Café"));
        assertEquals("Cafe", BertNormalizer.of(true, true, true, false).normalize("Café"));
    }

    @Test
    void unicode8RangeTablesAreSortedDisjointAndSearchedAtTheirEdges() {
        for (int[] table : new int[][] {Unicode8Categories.OTHER, Unicode8Categories.NONSPACING_MARK,
                Unicode8Categories.PUNCTUATION}) {
            assertEquals(0, table.length % 2);
            for (int i = 0; i < table.length; i += 2) {
                assertTrue(table[i] <= table[i + 1], "range at " + i);
                if (i > 0) assertTrue(table[i - 1] + 1 < table[i], "ranges touch or overlap at " + i);
                assertTrue(Unicode8Categories.contains(table, table[i]));
                assertTrue(Unicode8Categories.contains(table, table[i + 1]));
                assertFalse(Unicode8Categories.contains(table, table[i] - 1));
                assertFalse(Unicode8Categories.contains(table, table[i + 1] + 1));
            }
        }
    }

    @Test
    void unicode8ClassesAgreeWithTheJdkExceptWhereUnicodeChangedACategory() {
        // Every character of a Unicode 8.0 class is still in that class today, apart from the few that Unicode moved.
        int disagreements = 0;
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            int type = Character.getType(cp);
            boolean jdkOther = type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE;
            boolean jdkMark = type == Character.NON_SPACING_MARK;
            boolean jdkPunctuation = type >= Character.DASH_PUNCTUATION && type <= Character.OTHER_PUNCTUATION
                    || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION;
            if (Unicode8Categories.isOther(cp) && !jdkOther) disagreements++;
            if (Unicode8Categories.isNonspacingMark(cp) && !jdkMark) disagreements++;
            if (Unicode8Categories.isPunctuation(cp) && !jdkPunctuation) disagreements++;
        }
        // U+166D (Po -> So in Unicode 12) and U+111C9 (Po -> Mn in Unicode 13), and nothing else.
        assertEquals(2, disagreements);
        assertTrue(Unicode8Categories.isPunctuation(0x166D));
        assertTrue(Unicode8Categories.isPunctuation(0x111C9));
    }
}
