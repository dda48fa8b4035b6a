package io.carpathia.models.tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * GPT-2's real vocabulary and merges (shipped in the models jar, see gpt2-tokenizer/SOURCE.md), and the reference
 * table in the test resources; the tokenizer is loaded once per run.
 */
final class Gpt2TestFiles {
    private Gpt2TestFiles() {}

    private static Path resource(String name) {
        try {
            return Path.of(Gpt2TestFiles.class.getResource("/gpt2-tokenizer/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path vocabJson() {
        return resource("vocab.json");
    }

    static Path mergesTxt() {
        return resource("merges.txt");
    }

    static Path referenceTable() {
        return resource("reference-ids.json");
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
