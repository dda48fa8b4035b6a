package io.carpathia.models.tokenizers;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 as tokenizers need it: encoding refuses text that is not valid Unicode, and decoding never fails.
 *
 * <p>Decoding replaces each maximal ill-formed subsequence with one U+FFFD, the practice the Unicode standard
 * recommends (chapter 3, "U+FFFD Substitution of Maximal Subparts") and the one Python's
 * {@code bytes.decode('utf-8', errors='replace')}, Rust's {@code String::from_utf8_lossy} and the WHATWG decoder
 * follow, so byte soup decodes to the same text as in Hugging Face's tokenizers. The JDK's decoder differs on some
 * inputs (an encoded surrogate {@code ED A0 80} gives one U+FFFD there, three here), hence this class.
 */
public final class Utf8 {
    private Utf8() {}

    private static final char REPLACEMENT = '\uFFFD';

    /**
     * The UTF-8 bytes of {@code text}.
     *
     * @throws IllegalArgumentException if {@code text} holds an unpaired surrogate, which has no UTF-8 encoding
     */
    public static byte[] encode(String text) {
        requireValidUnicode(text);
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Throws if {@code text} holds an unpaired surrogate (the JDK's encoder would silently write '?' for it). */
    public static void requireValidUnicode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            throw new IllegalArgumentException(String.format(
                    "text has an unpaired surrogate U+%04X at index %d: it is not valid Unicode and has no UTF-8 "
                            + "encoding", (int) c, i));
        }
    }

    /** {@code bytes[0, length)} decoded, each maximal ill-formed subsequence replaced by one U+FFFD. */
    public static String decode(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            // The number of continuation bytes and the range allowed for the first of them (Unicode table 3-7):
            // narrower after E0, ED, F0 and F4, which rules out overlong forms, surrogates and code points > U+10FFFF.
            int continuations;
            int codePoint;
            int low = 0x80;
            int high = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                continuations = 1;
                codePoint = lead & 0x1F;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                continuations = 2;
                codePoint = lead & 0x0F;
                if (lead == 0xE0) low = 0xA0;
                if (lead == 0xED) high = 0x9F;
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                continuations = 3;
                codePoint = lead & 0x07;
                if (lead == 0xF0) low = 0x90;
                if (lead == 0xF4) high = 0x8F;
            } else {
                out.append(REPLACEMENT); // a stray continuation byte or a lead byte no sequence starts with
                i++;
                continue;
            }
            int next = i + 1;
            boolean complete = true;
            for (int k = 0; k < continuations; k++, next++) {
                int b = next < length ? bytes[next] & 0xFF : -1;
                if (b < low || b > high) {
                    complete = false;
                    break;
                }
                codePoint = (codePoint << 6) | (b & 0x3F);
                low = 0x80;
                high = 0xBF;
            }
            if (complete) {
                out.appendCodePoint(codePoint);
            } else {
                out.append(REPLACEMENT); // the bytes read so far are one maximal subpart; the offending byte starts anew
            }
            i = next;
        }
        return out.toString();
    }
}
