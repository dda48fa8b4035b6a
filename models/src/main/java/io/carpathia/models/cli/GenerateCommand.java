package io.carpathia.models.cli;

import io.carpathia.engine.device.Device;
import io.carpathia.models.cli.CarpathiaCli.UserError;
import io.carpathia.models.generate.Sampler;
import io.carpathia.models.gpt2.Gpt2Checkpoint;
import io.carpathia.models.gpt2.Gpt2Generator;
import io.carpathia.models.gpt2.Gpt2LMHeadModel;
import io.carpathia.models.tokenizers.ByteLevelBpeTokenizer;
import io.carpathia.models.tokenizers.CharTokenizer;
import io.carpathia.models.tokenizers.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code carpathia generate}: continues a prompt with a GPT-2 folder — a text prompt (the folder's tokenizer
 * encodes it, and the continuation streams to the terminal) or token ids (the generated ids are printed).
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate text (or token ids) with a GPT-2 folder, using a key/value cache.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "GPT-2 folder: a Hugging Face checkpoint or a train run's checkpoint/")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "text to continue (needs the folder's tokenizer)") String text;
        @Option(names = "--ids", split = ",", description = "token ids to continue, e.g. 1,2,3 (prints ids)") List<Long> ids;
    }

    @Option(names = "--max-new-tokens", defaultValue = "100", description = "Default: ${DEFAULT-VALUE}") int maxNewTokens;
    @Option(names = "--greedy", description = "always take the most likely token") boolean greedy;
    @Option(names = "--temperature", defaultValue = "1.0") double temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "sample among the k most likely (0: all)") int topK;
    @Option(names = "--top-p", defaultValue = "1.0", description = "sample among the smallest set with this mass") double topP;
    @Option(names = "--seed", defaultValue = "1337") long seed;
    @Option(names = "--no-cache", description = "recompute the whole sequence every step (slower; for checking)") boolean noCache;
    @Mixin DeviceOption device;

    @Option(names = "--verbose", description = "stack traces on errors") boolean verbose;

    @Override
    public Integer call() throws IOException {
        if (maxNewTokens < 0) throw new UserError("--max-new-tokens must be ≥ 0, got " + maxNewTokens);
        try (Device.Use on = device.open().use()) {
            return generate();
        }
    }

    private int generate() throws IOException {
        Sampler sampler = greedy ? Sampler.greedy() : Sampler.sampling(temperature, topK, topP, seed);
        Gpt2LMHeadModel m = Gpt2Checkpoint.load(model);
        Gpt2Generator generator = new Gpt2Generator(m);
        PrintStream out = System.out;
        Integer eos = m.config().eosTokenId();
        if (eos != null && (eos < 0 || eos >= m.config().vocabSize())) eos = null;

        if (prompt.ids != null) {
            int[] ids = prompt.ids.stream().mapToInt(Long::intValue).toArray();
            for (int i = 0; i < ids.length; i++) {
                if (prompt.ids.get(i) != ids[i]) throw new UserError("--ids: " + prompt.ids.get(i) + " is not a token id");
            }
            Gpt2Generator.Result r = generator.generate(ids, maxNewTokens, sampler, eos, !noCache, null);
            List<String> text = new ArrayList<>();
            for (int t : r.tokens()) text.add(Integer.toString(t));
            out.println(String.join(",", text));
            note(r);
            return 0;
        }
        Tokenizer tokenizer = tokenizerOf(model);
        int[] ids = tokenizer.encode(prompt.text);
        if (ids.length == 0) throw new UserError("--prompt encodes to no tokens");
        out.print(prompt.text);
        out.flush();
        StreamingText stream = new StreamingText(tokenizer, out);
        Gpt2Generator.Result r = generator.generate(ids, maxNewTokens, sampler, eos, !noCache, stream::add);
        stream.finish();
        out.println();
        note(r);
        return 0;
    }

    private static void note(Gpt2Generator.Result r) {
        if (r.stop() == Gpt2Generator.Stop.CONTEXT_FULL) {
            System.err.println("carpathia generate: stopped at the model's n_positions");
        }
    }

    /** The tokenizer saved with the model: char_tokenizer.json (carpathia train), tokenizer.json, or vocab + merges. */
    static Tokenizer tokenizerOf(Path dir) throws IOException {
        Path chars = dir.resolve("char_tokenizer.json");
        if (Files.isRegularFile(chars)) return CharTokenizer.load(chars);
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))
                || Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) {
            return ByteLevelBpeTokenizer.fromDirectory(dir);
        }
        throw new UserError(dir + " has no tokenizer (char_tokenizer.json, tokenizer.json, or vocab.json + merges.txt): "
                + "use --ids to give token ids");
    }

    /** Prints the decoded continuation as it grows, holding back a character still incomplete in UTF-8. */
    static final class StreamingText {
        private final Tokenizer tokenizer;
        private final PrintStream out;
        private final List<Integer> ids = new ArrayList<>();
        private int printed;

        StreamingText(Tokenizer tokenizer, PrintStream out) {
            this.tokenizer = tokenizer;
            this.out = out;
        }

        void add(int id) {
            ids.add(id);
            String text = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
            int end = text.length();
            while (end > printed && text.charAt(end - 1) == '\uFFFD') end--;   // maybe the first bytes of a character
            if (end > printed) {
                out.print(text.substring(printed, end));
                out.flush();
                printed = end;
            }
        }

        void finish() {
            String text = tokenizer.decode(ids.stream().mapToInt(Integer::intValue).toArray());
            if (text.length() > printed) out.print(text.substring(printed));
            out.flush();
        }
    }
}
