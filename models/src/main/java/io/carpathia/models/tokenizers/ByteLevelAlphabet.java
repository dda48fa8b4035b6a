package io.carpathia.models.tokenizers;

import java.util.Arrays;

/**
 * GPT-2's reversible map from the 256 byte values to 256 printable characters ({@code bytes_to_unicode} in OpenAI's
 * {@code encoder.py}), so that BPE can work on strings with no control or whitespace characters in them.
 *
 * <p>The 188 bytes that are already printable Latin-1 characters ({@code '!'..'~'}, {@code '¡'..'¬'},
 * {@code '®'..'ÿ'}) stand for themselves; the other 68 (controls, space, soft hyphen...) are given the characters
 * U+0100, U+0101, ... in increasing byte order. So the space byte 0x20 is U+0120 'Ġ' and the newline 0x0A is U+010A
 * 'Ċ', as seen in GPT-2's vocabulary.
 */
public final class ByteLevelAlphabet {
    private ByteLevelAlphabet() {}

    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Indexed by character (all are below U+0144); -1 where a character stands for no byte. */
    private static final int[] BYTE_OF_CHAR;

    static {
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            CHAR_OF_BYTE[b] = printable ? (char) b : (char) (256 + shifted++);
        }
        BYTE_OF_CHAR = new int[256 + shifted];
        Arrays.fill(BYTE_OF_CHAR, -1);
        for (int b = 0; b < 256; b++) BYTE_OF_CHAR[CHAR_OF_BYTE[b]] = b;
    }

    /** The character that stands for byte {@code b} (0-255, or a signed Java byte). */
    public static char charOf(int b) {
        return CHAR_OF_BYTE[b & 0xFF];
    }

    /** The byte (0-255) that character {@code c} stands for, or -1 if it stands for none. */
    public static int byteOf(char c) {
        return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }

    /** {@code bytes} written in this alphabet: one character per byte. */
    public static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = charOf(bytes[i]);
        return new String(chars);
    }

    /** The bytes a string of this alphabet stands for, or null if some character is outside the alphabet. */
    public static byte[] decode(String token) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) return null;
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
