package io.carpathia.models.tokenizers;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/**
 * Random valid Unicode text that exercises tokenizers: ASCII, every kind of whitespace, combining marks, Latin, CJK,
 * emoji (surrogate pairs), any scalar value, and fragments the GPT-2 pattern treats specially.
 */
final class TokenizerTestText {
    private TokenizerTestText() {}

    static Arbitrary<String> unicodeText() {
        Arbitrary<Integer> ascii = Arbitraries.integers().between(0x20, 0x7E);
        Arbitrary<Integer> whitespace = Arbitraries.of(0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0xA0, 0x1680, 0x2003,
                0x2028, 0x2029, 0x202F, 0x3000, 0xFEFF);
        Arbitrary<Integer> combining = Arbitraries.integers().between(0x0300, 0x036F);
        Arbitrary<Integer> latin = Arbitraries.integers().between(0x00A1, 0x024F);
        Arbitrary<Integer> cjk = Arbitraries.integers().between(0x4E00, 0x9FFF);
        Arbitrary<Integer> emoji = Arbitraries.integers().between(0x1F300, 0x1FAFF);
        Arbitrary<Integer> anyScalar = Arbitraries.integers().between(0, 0x10FFFF)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE);
        Arbitrary<String> character = Arbitraries.frequencyOf(
                        Tuple.of(6, ascii), Tuple.of(4, whitespace), Tuple.of(2, combining), Tuple.of(2, latin),
                        Tuple.of(2, cjk), Tuple.of(2, emoji), Tuple.of(2, anyScalar))
                .map(Character::toString);
        Arbitrary<String> fragment = Arbitraries.of(List.of("'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "<|endoftext|>",
                "<|", "\r\n", "   ", "hello", " world", "👨‍👩‍👧", "123"));
        return Arbitraries.frequencyOf(Tuple.of(8, character), Tuple.of(1, fragment))
                .list().ofMaxSize(40)
                .map(parts -> String.join("", parts));
    }
}
