package io.carpathia.models.cli;

import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.BertModel;
import io.carpathia.weights.onnx.BertOnnxImport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code carpathia convert MODEL.onnx OUT}: a BERT encoder exported to ONNX becomes a Hugging Face folder
 * ({@code config.json}, {@code model.safetensors}, and the tokenizer as {@code tokenizer.json}). The folder is
 * written beside its final place and renamed into it, and must not exist yet: nothing is ever overwritten.
 */
@Command(name = "convert",
        mixinStandardHelpOptions = true,
        description = {
            "Converts a BERT encoder exported to ONNX (e.g. all-MiniLM-L6-v2) into a Hugging Face folder:",
            "config.json (read off the graph), model.safetensors (Hugging Face names and layouts) and tokenizer.json.",
            "The tokenizer is --tokenizer FILE, else tokenizer.json or <name>-tokenizer.json beside the .onnx file."
        })
public final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "the ONNX file (weights inside, not external)")
    Path onnx;

    @Parameters(index = "1", paramLabel = "OUT", description = "the folder to create (must not exist)")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "the tokenizer.json to copy into the folder")
    Path tokenizer;

    @Option(names = "--verbose", description = "on an error, print its stack trace too")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(onnx)) throw new CarpathiaCli.UserError("no such ONNX file: " + onnx);
        if (Files.exists(out)) {
            throw new CarpathiaCli.UserError(out + " already exists; convert writes a new folder and overwrites "
                    + "nothing");
        }
        Path tok = findTokenizer();
        BertOnnxImport imported = BertOnnxImport.read(onnx);   // OnnxFormatException / OnnxImportException: one line
        BertModel model = BertCheckpoint.fromImport(imported, onnx.toString());
        Map<String, Path> extra = new LinkedHashMap<>();
        if (tok != null) extra.put("tokenizer.json", tok);
        try {
            BertCheckpoint.save(model, model.config(), "BertModel", out, extra, false);
        } catch (FileAlreadyExistsException e) {
            throw new CarpathiaCli.UserError(out + " appeared while converting; nothing was overwritten");
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: BERT with %d layers, hidden %d, %d heads, vocab %d, %s parameters%n", out,
                model.config().numHiddenLayers(), model.config().hiddenSize(), model.config().numAttentionHeads(),
                model.config().vocabSize(), String.format("%,d", model.parameterCount()));
        w.println(tok != null ? "tokenizer: " + tok + " -> tokenizer.json"
                : "no tokenizer found (looked for " + String.join(", ", candidates().stream().map(Path::toString)
                .toList()) + "); pass --tokenizer FILE to include one");
        w.flush();
        return 0;
    }

    /** --tokenizer (which must exist), else the first candidate beside the .onnx file that exists, else null. */
    private Path findTokenizer() {
        if (tokenizer != null) {
            if (!Files.isRegularFile(tokenizer)) throw new CarpathiaCli.UserError("no such tokenizer file: " + tokenizer);
            return tokenizer;
        }
        for (Path p : candidates()) if (Files.isRegularFile(p)) return p;
        return null;
    }

    /** tokenizer.json beside the model, then {@code <stem>-tokenizer.json} (the langchain4j jars' naming). */
    private List<Path> candidates() {
        Path dir = onnx.toAbsolutePath().getParent();
        String name = onnx.getFileName().toString();
        String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - ".onnx".length()) : name;
        return List.of(dir.resolve("tokenizer.json"), dir.resolve(stem + "-tokenizer.json"));
    }
}
