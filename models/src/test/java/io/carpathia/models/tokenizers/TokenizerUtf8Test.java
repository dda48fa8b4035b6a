package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The tokenizers' UTF-8: lenient decoding as Python's {@code errors='replace'}, strict encoding. */
class TokenizerUtf8Test {

    /** Expected code points from CPython 3.11 {@code bytes.fromhex(h).decode('utf-8', 'replace')}. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "'',                   ''",
            "41,                   0041",
            "c3a9,                 00E9",
            "f09f9880,             1F600",
            "e282,                 FFFD",             // truncated 3-byte sequence: one maximal subpart
            "f09f98,               FFFD",
            "e28241,               FFFD 0041",
            "f09f9841e282,         FFFD 0041 FFFD",
            "c080,                 FFFD FFFD",        // overlong: C0 never starts a sequence
            "e08080,               FFFD FFFD FFFD",   // overlong 3-byte: E0 needs A0..BF next
            "eda080,               FFFD FFFD FFFD",   // surrogate D800: ED needs 80..9F next (the JDK gives one FFFD)
            "f4908080,             FFFD FFFD FFFD FFFD", // above U+10FFFF
            "8080,                 FFFD FFFD",        // stray continuation bytes
            "ff,                   FFFD",
            "f888808080,           FFFD FFFD FFFD FFFD FFFD",
            "efbfbd,               FFFD",             // a real U+FFFD
            "f48fbfbf,             10FFFF",
    })
    void decodesLikePythonWithReplacement(String hex, String codePoints) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        int[] expected = codePoints.isEmpty() ? new int[0]
                : java.util.Arrays.stream(codePoints.split(" ")).mapToInt(cp -> Integer.parseInt(cp, 16)).toArray();
        assertArrayEquals(expected, Utf8.decode(bytes, bytes.length).codePoints().toArray());
    }

    @Test
    void decodesOnlyTheGivenLength() {
        byte[] bytes = "abc".getBytes(StandardCharsets.UTF_8);
        assertEquals("ab", Utf8.decode(bytes, 2));
    }

    @Test
    void encodesValidTextAndRefusesUnpairedSurrogates() {
        assertArrayEquals(HexFormat.of().parseHex("61f09f9880"), Utf8.encode("a😀"));
        var e = assertThrows(IllegalArgumentException.class, () -> Utf8.encode("a\uD800b"));
        assertEquals("text has an unpaired surrogate U+D800 at index 1: it is not valid Unicode and has no UTF-8 "
                + "encoding", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Utf8.encode("\uDC00"));
        assertThrows(IllegalArgumentException.class, () -> Utf8.encode("\uDC00\uD800")); // reversed pair
    }
}
