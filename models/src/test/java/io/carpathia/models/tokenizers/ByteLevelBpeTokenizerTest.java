package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.models.tokenizers.ByteLevelBpeTokenizer.AddedToken;
import io.carpathia.models.tokenizers.ByteLevelBpeTokenizer.Merge;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** GPT-2's tokenizer against ids from an independent implementation, and the BPE rules on hand-sized vocabularies. */
class ByteLevelBpeTokenizerTest {

    private final ByteLevelBpeTokenizer gpt2 = Gpt2TestFiles.tokenizer();

    /** Each string of gpt2-tokenizer/reference-ids.json (ids from the npm package gpt-3-encoder) encodes to its ids. */
    @TestFactory
    Stream<DynamicTest> encodesTheReferenceTable() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(Gpt2TestFiles.referenceTable().toFile()).get("cases");
        assertTrue(cases.size() >= 20, "the reference table should hold at least 20 strings");
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("ids").get(i).asInt();
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> {
                assertArrayEquals(expected, gpt2.encode(text), () -> "encode " + ByteLevelBpeTokenizer.quote(text));
                assertEquals(text, gpt2.decode(expected));
            }));
        }
        return tests.stream();
    }

    @Test
    void knowsGpt2sVocabulary() {
        assertEquals(50257, gpt2.vocabSize());
        assertEquals(50256, gpt2.eosTokenId());
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        assertEquals("Ġworld", gpt2.token(995));
        assertEquals(995, gpt2.tokenId("Ġworld").getAsInt());
        assertEquals(220, gpt2.tokenId("Ġ").getAsInt()); // the space byte
        assertEquals(198, gpt2.tokenId("Ċ").getAsInt()); // the newline byte
        assertTrue(gpt2.tokenId("not a token").isEmpty());
    }

    @Test
    void endOfTextIsOneTokenOnlyWhenSpecialTokensAreAllowed() {
        assertArrayEquals(new int[] {15496, 50256, 995}, gpt2.encode("Hello<|endoftext|> world", true));
        assertArrayEquals(new int[] {50256, 50256}, gpt2.encode("<|endoftext|><|endoftext|>", true));
        // As plain text it is the characters < | endoftext | > (ids as gpt-3-encoder gives them).
        assertArrayEquals(new int[] {27, 91, 437, 1659, 5239, 91, 29}, gpt2.encode("<|endoftext|>"));
        assertArrayEquals(gpt2.encode("<|endoftext|>"), gpt2.encode("<|endoftext|>", false));
        assertEquals("Hello<|endoftext|> world", gpt2.decode(new int[] {15496, 50256, 995}));
        // Text beside the token is encoded on its own: "a" and "b" are not merged across it.
        assertArrayEquals(new int[] {64, 50256, 65}, gpt2.encode("a<|endoftext|>b", true));
    }

    @Test
    void decodesBrokenUtf8WithReplacementCharacters() {
        int[] emoji = gpt2.encode("😀"); // 4 bytes, more than one token
        assertTrue(emoji.length > 1);
        assertEquals("\uFFFD", gpt2.decode(Arrays.copyOf(emoji, emoji.length - 1)));
        assertEquals("😀", gpt2.decode(emoji));
        // ED A0 80 would encode a surrogate: three maximal subparts, three U+FFFD (Python's errors='replace').
        int[] surrogateBytes = IntStream.of(0xED, 0xA0, 0x80)
                .map(b -> gpt2.tokenId(String.valueOf(ByteLevelAlphabet.charOf(b))).getAsInt()).toArray();
        assertEquals("\uFFFD\uFFFD\uFFFD", gpt2.decode(surrogateBytes));
        assertArrayEquals(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, gpt2.decodeToBytes(surrogateBytes));
    }

    @Test
    void refusesIdsOutsideTheVocabulary() {
        var e = assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {15496, 50257}));
        assertTrue(e.getMessage().contains("50257") && e.getMessage().contains("position 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> gpt2.token(50257));
    }

    @Test
    void refusesTextThatIsNotValidUnicode() {
        var e = assertThrows(IllegalArgumentException.class, () -> gpt2.encode("ab\uD83D"));
        assertTrue(e.getMessage().contains("U+D83D") && e.getMessage().contains("index 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> gpt2.encode("\uDE00x"));
    }

    @Test
    void encodesVeryLongPiecesInNearLinearTime() {
        // One pre-token of 200,000 digits: rescanning all pairs after every merge would take minutes.
        String digits = "31415926535".repeat(20_000).substring(0, 200_000);
        String letters = "ab".repeat(100_000);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertEquals(digits, gpt2.decode(gpt2.encode(digits)));
            assertEquals(letters, gpt2.decode(gpt2.encode(letters)));
        });
    }

    @Test
    void givesTheSameIdsFromTheCacheAsWithout() {
        String text = "the cat and the hat and the cat";
        int[] first = gpt2.encode(text);
        assertArrayEquals(first, gpt2.encode(text));
        assertArrayEquals(new int[] {1169, 3797, 290, 262, 6877, 290, 262, 3797}, first);
    }

    // ------------------------------------------------------------------ BPE rules on hand-sized vocabularies

    @Test
    void mergesOverlappingPairsLeftmostFirst() {
        ByteLevelBpeTokenizer bpe = toy(List.of(new Merge("a", "a")));
        assertArrayEquals(ids(bpe, "aa", "a"), bpe.encode("aaa"));
        assertArrayEquals(ids(bpe, "aa", "aa"), bpe.encode("aaaa"));
    }

    @Test
    void mergesByRankNotByPosition() {
        // "bc" ranks before "ab", so abc -> a bc, although ab comes first in the text.
        ByteLevelBpeTokenizer bpe = toy(List.of(new Merge("b", "c"), new Merge("a", "b")));
        assertArrayEquals(ids(bpe, "a", "bc"), bpe.encode("abc"));
        assertArrayEquals(ids(bpe, "ab", "a", "bc"), bpe.encode("ababc"));
    }

    @Test
    void appliesMergesOfMergedSymbols() {
        ByteLevelBpeTokenizer bpe = toy(List.of(new Merge("a", "b"), new Merge("ab", "c"), new Merge("Ġ", "abc")));
        assertArrayEquals(ids(bpe, "abc", "Ġabc"), bpe.encode("abc abc"));
        assertArrayEquals(ids(bpe, "ab", "ab", "Ġ", "c"), bpe.encode("abab c"));
    }

    @Test
    void ignoreMergesTakesWholePiecesFromTheVocabulary() {
        Map<String, Integer> vocab = byteVocab();
        vocab.put("xyz", vocab.size()); // reachable by no merge rule
        var plain = new ByteLevelBpeTokenizer(vocab, List.of(), List.of(), false, false, "toy");
        var ignoring = new ByteLevelBpeTokenizer(vocab, List.of(), List.of(), false, true, "toy");
        assertArrayEquals(ids(plain, "x", "y", "z"), plain.encode("xyz"));
        assertArrayEquals(new int[] {256}, ignoring.encode("xyz"));
    }

    @Test
    void addedTokensCanSwallowNeighbouringWhitespace() {
        Map<String, Integer> vocab = byteVocab();
        var bpe = new ByteLevelBpeTokenizer(vocab, List.of(),
                List.of(new AddedToken("<mask>", 256, true, true, false), new AddedToken("[x]", 257, false, false, true)),
                false, false, "toy");
        assertArrayEquals(new int[] {'a', 256, 'b'}, bpe.encode("a  <mask>b", true));
        // A non-special added token is matched even when special tokens are not allowed.
        assertArrayEquals(new int[] {'a', 257, 'b'}, bpe.encode("a[x] \tb", false));
        assertEquals(258, bpe.vocabSize());
    }

    @Test
    void prefersTheLongestAddedTokenAtAPosition() {
        var bpe = new ByteLevelBpeTokenizer(byteVocab(), List.of(),
                List.of(AddedToken.special("<a>", 256), AddedToken.special("<a><b>", 257)), false, false, "toy");
        assertArrayEquals(new int[] {257, 256}, bpe.encode("<a><b><a>", true));
    }

    /** The 256 byte characters with ids 0-255 in byte order (so an ASCII letter's id is its code), then the merges. */
    private static ByteLevelBpeTokenizer toy(List<Merge> merges) {
        Map<String, Integer> vocab = byteVocab();
        for (Merge merge : merges) vocab.putIfAbsent(merge.left() + merge.right(), vocab.size());
        return new ByteLevelBpeTokenizer(vocab, merges, List.of(), false, false, "toy");
    }

    private static Map<String, Integer> byteVocab() {
        Map<String, Integer> vocab = new HashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        return vocab;
    }

    private static int[] ids(ByteLevelBpeTokenizer bpe, String... tokens) {
        return Arrays.stream(tokens).mapToInt(t -> bpe.tokenId(t).getAsInt()).toArray();
    }
}
