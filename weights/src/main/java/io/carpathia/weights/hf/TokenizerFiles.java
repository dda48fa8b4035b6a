package io.carpathia.weights.hf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The tokenizer files a checkpoint folder holds: {@code tokenizer.json} (the tokenizers library's full description),
 * GPT-2 style byte-level BPE ({@code vocab.json} + {@code merges.txt}), WordPiece ({@code vocab.txt}), and the
 * configuration files beside them.
 */
public record TokenizerFiles(
        Optional<Path> tokenizerJson,
        Optional<Path> vocabJson,
        Optional<Path> mergesTxt,
        Optional<Path> vocabTxt,
        Optional<Path> tokenizerConfigJson,
        Optional<Path> specialTokensMapJson) {

    /** Which complete tokenizer description the folder has, best first. */
    public enum Kind {
        /** {@code tokenizer.json}. */
        TOKENIZER_JSON,
        /** {@code vocab.json} and {@code merges.txt}. */
        BPE_VOCAB_AND_MERGES,
        /** {@code vocab.txt}. */
        WORDPIECE_VOCAB,
        NONE
    }

    /** Looks for the files in {@code dir}; absent files are empty Optionals. */
    public static TokenizerFiles find(Path dir) {
        return new TokenizerFiles(file(dir, "tokenizer.json"), file(dir, "vocab.json"), file(dir, "merges.txt"),
                file(dir, "vocab.txt"), file(dir, "tokenizer_config.json"), file(dir, "special_tokens_map.json"));
    }

    private static Optional<Path> file(Path dir, String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** The best complete description present; vocab.json without merges.txt is not one. */
    public Kind kind() {
        if (tokenizerJson.isPresent()) return Kind.TOKENIZER_JSON;
        if (vocabJson.isPresent() && mergesTxt.isPresent()) return Kind.BPE_VOCAB_AND_MERGES;
        if (vocabTxt.isPresent()) return Kind.WORDPIECE_VOCAB;
        return Kind.NONE;
    }
}
