package io.carpathia.models.tokenizers;

import io.carpathia.models.tokenizers.BertTokenizer.Template;
import io.carpathia.models.tokenizers.WordPieceTokenizer.AddedToken;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A small hand-made WordPiece vocabulary (the id of a token is its position in {@link #TOKENS}). */
final class WordPieceTestVocab {
    private WordPieceTestVocab() {}

    static final List<String> TOKENS = List.of(
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",                            // 0-4
            "un", "##aff", "##able", "##a", "##ab", "##le",                            // 5-10
            "a", "b", "##b", "c", "##c", "aa", "##aa",                                 // 11-17
            "hello", "world", "the", "cafe", "naive", "resume", "ecole",              // 18-24
            "!", ",", ".", "?", "'", "s", "t", "don", "##s",                           // 25-33
            "$", "+", "<", "=", ">", "^", "`", "|", "~", "[", "]",                     // 34-44
            "¿", "«", "»", "—", "、", "。", "「", "」",                                    // 45-52
            "北", "京", "日", "本", "の",                                                // 53-57
            "😀", "##😀", "x", "##x", "🇫", "##🇷",                                       // 58-63
            "σ", "ς", "i", "##\u0307", "café", "Hello",                                // 64-69
            "mask", "sep", "cls");                                                     // 70-72

    static final Map<String, Integer> VOCAB = vocab();

    private static Map<String, Integer> vocab() {
        Map<String, Integer> vocab = new HashMap<>();
        for (int id = 0; id < TOKENS.size(); id++) vocab.put(TOKENS.get(id), id);
        return vocab;
    }

    static final List<AddedToken> SPECIALS = List.of(AddedToken.special("[PAD]", 0), AddedToken.special("[UNK]", 1),
            AddedToken.special("[CLS]", 2), AddedToken.special("[SEP]", 3), AddedToken.special("[MASK]", 4));

    static WordPieceTokenizer wordPiece(BertNormalizer normalizer) {
        return new WordPieceTokenizer(VOCAB, null, "[UNK]", "##", 100, normalizer, SPECIALS, true, "test vocab");
    }

    static WordPieceTokenizer uncased() {
        return wordPiece(BertNormalizer.UNCASED);
    }

    /** BERT's template, [PAD] = 0, no truncation. */
    static BertTokenizer bert() {
        return new BertTokenizer(uncased(), Template.bert("[CLS]", 2, "[SEP]", 3), null, null, "[PAD]", 0, 0);
    }

    /** The ids of the given tokens, read from the vocabulary. */
    static int[] ids(String... tokens) {
        int[] ids = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            Integer id = VOCAB.get(tokens[i]);
            if (id == null) throw new IllegalArgumentException(tokens[i] + " is not in the test vocabulary");
            ids[i] = id;
        }
        return ids;
    }
}
