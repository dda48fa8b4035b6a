package io.carpathia.test.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carpathia.models.bert.BertCheckpoint;
import io.carpathia.models.bert.SentenceEmbedder;
import io.carpathia.test.bert.MiniLm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carpathia embed} and {@code carpathia similarity} on all-MiniLM-L6-v2 — converted to a Hugging Face folder,
 * as an ONNX file, and bundled (no --model) — against fixtures/minilm-reference (ONNX Runtime with Hugging Face's
 * tokenizer), and their refusals of bad input.
 */
class EmbedSimilarityCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path onnx;
    static Path folder;
    static JsonNode ref;

    @BeforeAll
    static void convert() throws IOException {
        onnx = MiniLm.copyWithTokenizer(tmp.resolve("jar"));
        folder = tmp.resolve("minilm");
        Cli.Result r = Cli.run("convert", onnx.toString(), folder.toString());
        assertEquals(0, r.status(), r.output());
        try (InputStream in = EmbedSimilarityCommandTest.class.getResourceAsStream(
                "/fixtures/minilm-reference/reference.json")) {
            ref = JSON.readTree(in);
        }
    }

    /** The vectors of embed's JSON lines, checking that each line names its text. */
    private static List<double[]> vectors(Cli.Result r, List<String> texts) throws IOException {
        assertEquals(0, r.status(), r.output());
        List<String> lines = r.stdout().lines().toList();
        assertEquals(texts.size(), lines.size(), r.stdout());
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(lines.get(i).chars().allMatch(c -> c < 128), "ASCII JSON: " + lines.get(i));
            JsonNode line = JSON.readTree(lines.get(i));
            assertEquals(texts.get(i), line.get("text").asText());
            JsonNode e = line.get("embedding");
            double[] v = new double[e.size()];
            for (int k = 0; k < v.length; k++) v[k] = e.get(k).asDouble();
            out.add(v);
        }
        return out;
    }

    private static double[] reference(JsonNode sentence) {
        JsonNode e = sentence.get("sentence_embedding");
        double[] v = new double[e.size()];
        for (int k = 0; k < v.length; k++) v[k] = e.get(k).asDouble();
        return v;
    }

    private static double maxDiff(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        return worst;
    }

    private static String[] args(String command, Path model, List<String> texts, String... extra) {
        List<String> a = new ArrayList<>(List.of(command));
        if (model != null) a.addAll(List.of("--model", model.toString()));
        a.addAll(List.of(extra));
        a.addAll(texts);
        return a.toArray(String[]::new);
    }

    @Test
    void embedOnTheConvertedFolderMatchesTheReferenceSentenceEmbeddings() throws IOException {
        List<String> texts = new ArrayList<>();
        for (JsonNode s : ref.get("sentences")) texts.add(s.get("text").asText());
        List<double[]> got = vectors(Cli.run(args("embed", folder, texts)), texts);
        double worst = 0;
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(384, got.get(i).length);
            worst = Math.max(worst, maxDiff(reference(ref.get("sentences").get(i)), got.get(i)));
        }
        assertTrue(worst <= 1e-4, "max |diff| " + worst);
        System.out.printf("embed on the converted folder: %d sentences, max |diff| %.2e%n", texts.size(), worst);
    }

    @Test
    void embedOnTheOnnxFileAndOnTheBundledModelMatchesToo() throws IOException {
        JsonNode s1 = ref.get("sentences").get(1);
        JsonNode s4 = ref.get("sentences").get(4);
        List<String> texts = List.of(s1.get("text").asText(), s4.get("text").asText());
        for (Path model : new Path[] {onnx, null}) {
            List<double[]> got = vectors(Cli.run(args("embed", model, texts)), texts);
            assertTrue(maxDiff(reference(s1), got.get(0)) <= 1e-4, "model " + model);
            assertTrue(maxDiff(reference(s4), got.get(1)) <= 1e-4, "model " + model);
        }
    }

    @Test
    void similarityPrintsTheReferenceCosine() {
        for (JsonNode c : List.of(ref.get("cosine_similarities").get(0), ref.get("cosine_similarities").get(1))) {
            Cli.Result r = Cli.run("similarity", "--model", folder.toString(), c.get("text_a").asText(),
                    c.get("text_b").asText());
            assertEquals(0, r.status(), r.output());
            double cosine = Double.parseDouble(r.stdout().strip());
            assertEquals(c.get("cosine").asDouble(), cosine, 1e-4, r.output());
        }
        // the bundled model when no --model is given
        JsonNode c = ref.get("cosine_similarities").get(3);
        Cli.Result r = Cli.run("similarity", c.get("text_a").asText(), c.get("text_b").asText());
        assertEquals(0, r.status(), r.output());
        assertEquals(c.get("cosine").asDouble(), Double.parseDouble(r.stdout().strip()), 1e-4, r.output());
    }

    @Test
    void longTextsAreTruncatedWithTheCountOnStderrAndEmptyTextsAreClsSep() throws IOException {
        // one word piece per word: at 8 tokens, [CLS] + the first 6 words + [SEP]
        String longText = "a man is playing guitar on the street today";
        String cut = "a man is playing guitar on";
        List<String> texts = List.of(longText, cut, "");
        Cli.Result r = Cli.run(args("embed", folder, texts, "--max-length", "8"));
        List<double[]> got = vectors(r, texts);
        assertEquals("carpathia embed: 1 of 3 texts was longer than 8 tokens and was truncated (3 tokens cut)",
                r.stderr().strip());
        // the same ids (in other rows of the batch, so the matrix products may round differently in the last bit)
        assertTrue(maxDiff(got.get(0), got.get(1)) <= 1e-6);
        assertTrue(maxDiff(got.get(0), got.get(2)) > 0.1, "the text itself counts");

        // the model's own maximum (the tokenizer's 128) applies without --max-length
        String veryLong = "word ".repeat(200).strip();
        Cli.Result r2 = Cli.run(args("embed", folder, List.of(veryLong)));
        assertEquals(0, r2.status(), r2.output());
        assertTrue(r2.stderr().contains("1 of 1 texts was longer than 128 tokens and was truncated (74 tokens cut)"),
                r2.stderr());

        // "" is [CLS] [SEP] (ids 101, 102)
        float[] clsSep = new SentenceEmbedder(BertCheckpoint.loadModel(folder)).embed(new int[][] {{101, 102}}, null)[0];
        double[] expected = new double[clsSep.length];
        for (int i = 0; i < expected.length; i++) expected[i] = clsSep[i];
        assertTrue(maxDiff(expected, got.get(2)) <= 1e-6);
    }

    /** One line on stderr naming the problem, exit status 2, nothing on stdout. */
    private static void refused(Cli.Result r, String... expected) {
        assertEquals(2, r.status(), r.output());
        assertEquals("", r.stdout(), r.output());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        for (String e : expected) assertTrue(r.stderr().contains(e), "'" + e + "' not in: " + r.stderr());
    }

    @Test
    void modelsThatAreNotBertAreRefusedNamingWhatIsMissing() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        refused(Cli.run("embed", "--model", empty.toString(), "x"), "empty", "no config.json");

        Path gpt2 = Files.createDirectories(tmp.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        refused(Cli.run("embed", "--model", gpt2.toString(), "x"), "model_type 'gpt2'", "expected 'bert'");

        Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
        Files.copy(folder.resolve("config.json"), noWeights.resolve("config.json"));
        refused(Cli.run("embed", "--model", noWeights.toString(), "x"), "no weights", "model.safetensors");

        Path noTokenizer = Files.createDirectories(tmp.resolve("no-tokenizer"));
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(folder.resolve(f), noTokenizer.resolve(f));
        refused(Cli.run("embed", "--model", noTokenizer.toString(), "x"), "no BERT tokenizer", "tokenizer.json",
                "vocab.txt");

        // weights of another size than the config says: the tensor and both shapes are named
        Path wrongConfig = Files.createDirectories(tmp.resolve("wrong-config"));
        for (String f : List.of("model.safetensors", "tokenizer.json")) Files.copy(folder.resolve(f), wrongConfig.resolve(f));
        Files.writeString(wrongConfig.resolve("config.json"), Files.readString(folder.resolve("config.json"))
                .replace("\"intermediate_size\" : 1536", "\"intermediate_size\" : 1024"));
        refused(Cli.run("embed", "--model", wrongConfig.toString(), "x"), "intermediate.dense.weight", "[1536, 384]",
                "[1024, 384]");

        // a valid ONNX model that is not BERT (an empty graph), with a tokenizer beside it
        Path notBertDir = Files.createDirectories(tmp.resolve("not-bert"));
        Path notBert = Files.write(notBertDir.resolve("empty.onnx"), new byte[] {0x08, 0x07, 0x3A, 0x00});
        refused(Cli.run("embed", "--model", notBert.toString(), "x"), "no tokenizer beside it", "empty-tokenizer.json");
        Files.copy(folder.resolve("tokenizer.json"), notBertDir.resolve("tokenizer.json"));
        refused(Cli.run("embed", "--model", notBert.toString(), "x"),
                "not a BERT model: no initializer embeddings.word_embeddings.weight");

        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
        refused(Cli.run("similarity", "--model", text.toString(), "a", "b"), "not an .onnx export");
        refused(Cli.run("embed", "--model", tmp.resolve("absent").toString(), "x"), "no such folder or file");
        refused(Cli.run("embed", "--model", folder.toString(), "--max-length", "513", "x"), "--max-length",
                "[2, 512]");

        // nothing was written into the model folders
        try (Stream<Path> files = Files.list(empty)) {
            assertEquals(0, files.count());
        }
    }
}
