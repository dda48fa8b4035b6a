package io.carpathia.models.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** GPT-2's tokenizer gives back any valid Unicode text it was given, with or without special tokens. */
class ByteLevelBpeTokenizerPropertiesTest {

    private final ByteLevelBpeTokenizer gpt2 = Gpt2TestFiles.tokenizer();

    @Property(tries = 200)
    void decodeInvertsEncode(@ForAll("text") String text) {
        int[] plain = gpt2.encode(text);
        for (int id : plain) assertTrue(id >= 0 && id < gpt2.vocabSize() && id != gpt2.eosTokenId(), "id " + id);
        assertEquals(text, gpt2.decode(plain));
        assertEquals(text, gpt2.decode(gpt2.encode(text, true)));
    }

    @Property(tries = 50)
    void encodingIsTheConcatenationOfThePieces(@ForAll("text") String text) {
        // BPE never merges across pre-token boundaries.
        StringBuilder expected = new StringBuilder();
        int[] ids = gpt2.encode(text);
        int at = 0;
        for (String piece : Gpt2PreTokenizer.split(text)) {
            for (int id : gpt2.encode(piece)) {
                assertEquals(id, ids[at++], () -> "piece " + ByteLevelBpeTokenizer.quote(piece));
            }
            expected.append(piece);
        }
        assertEquals(ids.length, at);
        assertEquals(text, expected.toString());
    }

    @Provide
    Arbitrary<String> text() {
        return TokenizerTestText.unicodeText();
    }
}
