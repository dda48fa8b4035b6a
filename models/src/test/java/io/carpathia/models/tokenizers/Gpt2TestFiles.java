package io.carpathia.models.tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** GPT-2's real vocabulary and merges in the test resources (see gpt2-tokenizer/SOURCE.md), loaded once per run. */
final class Gpt2TestFiles {
    private Gpt2TestFiles() {}

    static Path folder() {
        try {
            return Path.of(Gpt2TestFiles.class.getResource("/gpt2-tokenizer/vocab.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path vocabJson() {
        return folder().resolve("vocab.json");
    }

    static Path mergesTxt() {
        return folder().resolve("merges.txt");
    }

    static Path referenceTable() {
        return folder().resolve("reference-ids.json");
    }

    /** The tokenizer from vocab.json + merges.txt; loading parses 1.5 MB, so tests share one instance. */
    static ByteLevelBpeTokenizer tokenizer() {
        return Holder.TOKENIZER;
    }

    private static final class Holder {
        static final ByteLevelBpeTokenizer TOKENIZER;

        static {
            try {
                TOKENIZER = ByteLevelBpeTokenizer.fromFiles(vocabJson(), mergesTxt());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
