package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GPT-2's bytes_to_unicode table. */
class TokenizerByteLevelAlphabetTest {

    @Test
    void printableLatin1BytesStandForThemselves() {
        for (int b = '!'; b <= '~'; b++) assertEquals((char) b, ByteLevelAlphabet.charOf(b));
        for (int b = 0xA1; b <= 0xAC; b++) assertEquals((char) b, ByteLevelAlphabet.charOf(b));
        for (int b = 0xAE; b <= 0xFF; b++) assertEquals((char) b, ByteLevelAlphabet.charOf(b));
    }

    @Test
    void otherBytesGetU0100OnwardsInByteOrder() {
        // 0x00-0x20 are the first 33 of the 68 shifted bytes, 0x7F-0xA0 the next 34, 0xAD the last.
        assertEquals('\u0100', ByteLevelAlphabet.charOf(0x00));
        assertEquals('\u010A', ByteLevelAlphabet.charOf('\n')); // 'Ċ'
        assertEquals('\u0120', ByteLevelAlphabet.charOf(' ')); // 'Ġ'
        assertEquals('\u0121', ByteLevelAlphabet.charOf(0x7F));
        assertEquals('\u0142', ByteLevelAlphabet.charOf(0xA0));
        assertEquals('\u0143', ByteLevelAlphabet.charOf(0xAD));
        assertEquals('\u0143', ByteLevelAlphabet.charOf((byte) 0xAD)); // a signed Java byte works too
    }

    @Test
    void isABijectionOnItsCharacters() {
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.charOf(b);
            seen.add(c);
            assertEquals(b, ByteLevelAlphabet.byteOf(c));
        }
        assertEquals(256, seen.size());
        assertEquals(-1, ByteLevelAlphabet.byteOf('\u0144'));
        assertEquals(-1, ByteLevelAlphabet.byteOf(' '));
        assertEquals(-1, ByteLevelAlphabet.byteOf('€'));
    }

    @Test
    void encodesAndDecodesByteStrings() {
        byte[] bytes = {'H', 'i', ' ', '\n', (byte) 0xE2, (byte) 0x82, (byte) 0xAC};
        String token = ByteLevelAlphabet.encode(bytes);
        assertEquals("HiĠĊâĤ¬", token);
        assertArrayEquals(bytes, ByteLevelAlphabet.decode(token));
        assertNull(ByteLevelAlphabet.decode("a b"));
    }
}
