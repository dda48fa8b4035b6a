package io.carpathia.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training metrics as JSON lines ({@code metrics.jsonl}): one object per record, e.g.
 * {@code {"step":100,"split":"train","loss":2.31,"lr":0.001,"tokens_per_s":5120.0}}. Each line is flushed as it is
 * written, so a crashed run keeps everything up to its last record; a resumed run appends.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final BufferedWriter out;

    /** Opens {@code path} for appending (creating it and its folder if needed). */
    public MetricsLog(Path path) {
        this.path = path;
        try {
            if (path.getParent() != null) Files.createDirectories(path.getParent());
            this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics file " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** Writes one record: {@code step}, {@code split} ("train", "val", ...) and named numbers. */
    public void log(long step, String split, Map<String, ? extends Number> values) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", step);
        o.put("split", split);
        values.forEach((k, v) -> {
            if (v instanceof Double || v instanceof Float) o.put(k, v.doubleValue());
            else o.put(k, v.longValue());
        });
        try {
            out.write(JSON.writeValueAsString(o));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics to " + path + ": " + e.getMessage(), e);
        }
    }

    /** Convenience for a single value. */
    public void log(long step, String split, String name, double value) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(name, value);
        log(step, split, m);
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One record read back. */
    public record Entry(long step, String split, Map<String, Double> values) {}

    /** Reads a metrics file; blank lines are skipped, a malformed line is an error naming the line. */
    public static List<Entry> read(Path path) throws IOException {
        List<Entry> entries = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(path + ":" + lineNo + ": not a JSON object: " + e.getOriginalMessage(), e);
            }
            Map<String, Double> values = new LinkedHashMap<>();
            n.fields().forEachRemaining(f -> {
                if (f.getValue().isNumber() && !f.getKey().equals("step")) values.put(f.getKey(), f.getValue().doubleValue());
            });
            entries.add(new Entry(n.path("step").asLong(), n.path("split").asText(""), values));
        }
        return entries;
    }
}
