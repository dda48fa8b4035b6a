package io.carpathia.models.tokenizers;

import java.text.Normalizer;

/**
 * BERT's text normalisation, as Hugging Face's {@code BertNormalizer}, in this order:
 * <ol>
 *   <li>{@code cleanText}: drop NUL, U+FFFD and control characters (general categories Cc, Cf, Co, except tab, line
 *       feed and carriage return), then turn every remaining white-space character into a plain space (so vertical
 *       tab, form feed and U+0085, which are controls, vanish rather than separate words);</li>
 *   <li>{@code handleChineseChars}: put a space on each side of every CJK ideograph, so each becomes a word;</li>
 *   <li>{@code stripAccents}: decompose (NFD) and drop the non-spacing marks (category Mn);</li>
 *   <li>{@code lowercase}: lower-case each code point on its own (no final-sigma rule: Σ always becomes σ).</li>
 * </ol>
 * Accents are stripped before lower-casing, which matters for İ (U+0130): stripped it becomes i, unstripped i + U+0307.
 * The categories are Unicode 8.0's, as in Hugging Face ({@link Unicode8Categories}); NFD and lower-casing are the
 * JDK's, which differ from Hugging Face's only on characters newer than the JDK's Unicode version.
 *
 * @param cleanText          drop control characters and normalise white space
 * @param handleChineseChars split CJK ideographs into words of their own
 * @param stripAccents       remove accents (Mn marks after NFD)
 * @param lowercase          lower-case the text
 */
public record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {

    /** bert-base-uncased and all-MiniLM-L6-v2: everything on. */
    public static final BertNormalizer UNCASED = new BertNormalizer(true, true, true, true);
    /** bert-base-cased: text kept in its case and with its accents. */
    public static final BertNormalizer CASED = new BertNormalizer(true, true, false, false);

    /**
     * The normalizer a configuration describes, with Hugging Face's rule for an unset {@code strip_accents}: accents
     * are stripped exactly when the text is lower-cased.
     *
     * @param stripAccents {@code null} when the configuration leaves it unset
     */
    public static BertNormalizer of(boolean cleanText, boolean handleChineseChars, Boolean stripAccents,
                                    boolean lowercase) {
        return new BertNormalizer(cleanText, handleChineseChars, stripAccents != null ? stripAccents : lowercase,
                lowercase);
    }

    /** {@code text} normalised; it must be valid Unicode (no unpaired surrogate). */
    public String normalize(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) continue;
                if (isWhitespace(cp)) cp = ' ';
            }
            if (handleChineseChars && isChineseChar(cp)) {
                out.append(' ').appendCodePoint(cp).append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        }
        String normalized = out.toString();
        if (stripAccents) normalized = stripAccents(normalized);
        if (lowercase) normalized = lowercase(normalized);
        return normalized;
    }

    private static String stripAccents(String text) {
        String decomposed = Normalizer.normalize(text, Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(decomposed.length());
        decomposed.codePoints().filter(cp -> !Unicode8Categories.isNonspacingMark(cp)).forEach(out::appendCodePoint);
        return out.toString();
    }

    /**
     * Code point by code point, as Rust's {@code char::to_lowercase}: the simple mapping, plus İ -> i + U+0307, the one
     * unconditional mapping to two code points. {@code String.toLowerCase} would apply the final-sigma context rule.
     */
    private static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0x130) out.append("i\u0307");
            else out.appendCodePoint(Character.toLowerCase(cp));
        }
        return out.toString();
    }

    /** Unicode's White_Space property (Rust's {@code char::is_whitespace}), which includes tab, LF and CR. */
    static boolean isWhitespace(int cp) {
        return switch (cp) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Control, format and private-use characters; tab, LF and CR count as white space instead. */
    static boolean isControl(int cp) {
        return cp != '\t' && cp != '\n' && cp != '\r' && Unicode8Categories.isOther(cp);
    }

    /**
     * The CJK ideograph blocks of BERT's basic tokenizer, as Hugging Face spells them: Unified Ideographs and
     * extensions A to F (starting at U+2B920, not at extension E's U+2B820), and the compatibility ideographs.
     * Hangul, kana and CJK punctuation are not in them.
     */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
