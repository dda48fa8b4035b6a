package io.carpathia.models.cli;

import io.carpathia.engine.device.Device;
import io.carpathia.models.bert.BertModel;
import io.carpathia.models.bert.SentenceEmbedder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code carpathia similarity "a" "b"}: the cosine of the two texts' sentence embeddings, in [-1, 1]. */
@Command(name = "similarity", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The cosine similarity of two texts' sentence embeddings (as embed computes them), in [-1, 1].")
public final class SimilarityCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A", description = "the first text") String first;

    @Parameters(index = "1", paramLabel = "B", description = "the second text") String second;

    @Option(names = "--model", paramLabel = "DIR|FILE.onnx",
            description = "as for embed. Default: all-MiniLM-L6-v2, bundled")
    Path model;

    @Option(names = "--max-length", paramLabel = "N", description = "tokens per text, as for embed")
    Integer maxLength;

    @Mixin DeviceOption device;

    @Option(names = "--verbose", description = "stack traces on errors") boolean verbose;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        try (Device.Use on = device.open().use()) {
            BertSource source = BertSource.open(model);
            BertModel encoder = source.encoder();
            float[][] v = SentenceEmbeddings.embed(source, encoder, List.of(first, second), maxLength, 2,
                    spec.commandLine().getErr(), "carpathia similarity");
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%.6f%n", SentenceEmbedder.cosine(v[0], v[1]));
            out.flush();
            return 0;
        }
    }
}
