package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The character-level vocabulary of nanoGPT's shakespeare_char. */
class CharTokenizerTest {

    /** The 65 distinct characters of Tiny Shakespeare, in code point order. */
    private static final String SHAKESPEARE_CHARS =
            "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    @TempDir
    Path dir;

    @Test
    void givesNanoGptsIdsForShakespearesCharacters() {
        // Any text with these characters, in any order and repeated, gives the same vocabulary.
        CharTokenizer chars = CharTokenizer.fromText(new StringBuilder(SHAKESPEARE_CHARS).reverse() + "hello\n");
        assertEquals(65, chars.vocabSize());
        // As in nanoGPT's shakespeare_char/prepare.py: '\n' = 0, ' ' = 1, 'A' = 13, 'a' = 39.
        assertArrayEquals(new int[] {0, 1, 13, 39}, chars.encode("\n Aa"));
        assertArrayEquals(new int[] {46, 47, 47, 1, 58, 46, 43, 56, 43}, chars.encode("hii there"));
        assertEquals("hii there", chars.decode(new int[] {46, 47, 47, 1, 58, 46, 43, 56, 43}));
    }

    @Test
    void countsCharactersNotUtf16Units() {
        CharTokenizer chars = CharTokenizer.fromText("a😀é");
        assertArrayEquals(new int[] {'a', 'é', 0x1F600}, chars.codePoints());
        assertArrayEquals(new int[] {2, 0, 1}, chars.encode("😀aé"));
        assertEquals("😀aé", chars.decode(new int[] {2, 0, 1}));
    }

    @Test
    void refusesUnknownCharactersAndIds() {
        CharTokenizer chars = CharTokenizer.fromText("abc");
        var e = assertThrows(IllegalArgumentException.class, () -> chars.encode("abz"));
        assertEquals("character 'z' (U+007A) at index 2 is not in the character vocabulary (3 characters)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> chars.decode(new int[] {0, 3}));
        assertEquals("token id 3 at position 1 is not in the character vocabulary (ids 0..2)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> chars.encode("a\uD800"));
        assertThrows(IllegalArgumentException.class, () -> new CharTokenizer(new int[] {'a', 'a'}));
        assertThrows(IllegalArgumentException.class, () -> new CharTokenizer(new int[] {0xD800}));
    }

    @Test
    void savesAndLoadsAsJson() throws IOException {
        CharTokenizer chars = CharTokenizer.fromText(SHAKESPEARE_CHARS + "é😀");
        Path file = dir.resolve("tokenizer.json");
        chars.save(file);
        String json = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"type\" : \"char\""), json);
        CharTokenizer loaded = CharTokenizer.load(file);
        assertEquals(chars, loaded);
        assertArrayEquals(chars.encode("hii there é😀"), loaded.encode("hii there é😀"));
        chars.save(file); // replacing an existing file
        assertEquals(chars, CharTokenizer.load(file));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void refusesFilesThatAreNotCharacterVocabularies() throws IOException {
        Path file = dir.resolve("chars.json");
        Files.writeString(file, "{\"type\": \"BPE\", \"chars\": [\"a\"]}");
        var e = assertThrows(TokenizerFormatException.class, () -> CharTokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("\"BPE\""), e.getMessage());
        Files.writeString(file, "{\"type\": \"char\", \"chars\": [\"a\", \"bc\"]}");
        e = assertThrows(TokenizerFormatException.class, () -> CharTokenizer.load(file));
        assertTrue(e.getMessage().contains("chars[1]") && e.getMessage().contains("exactly one character"),
                e.getMessage());
        Files.writeString(file, "{\"type\": \"char\", \"chars\": [\"a\", \"a\"]}");
        e = assertThrows(TokenizerFormatException.class, () -> CharTokenizer.load(file));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    @Property(tries = 50)
    void decodeInvertsEncode(@ForAll("text") String text) {
        CharTokenizer chars = CharTokenizer.fromText(text);
        int[] ids = chars.encode(text);
        assertEquals(text.codePointCount(0, text.length()), ids.length);
        assertEquals(text, chars.decode(ids));
    }

    @Provide
    Arbitrary<String> text() {
        return TokenizerTestText.unicodeText();
    }
}
