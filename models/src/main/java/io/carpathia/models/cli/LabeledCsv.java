package io.carpathia.models.cli;

import io.carpathia.models.cli.CarpathiaCli.UserError;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A classification data set in CSV: a header naming the columns {@code text} and {@code label} (in either order;
 * other columns are ignored), then one example a record. Fields follow RFC 4180, so a text may hold commas, quotes
 * (doubled inside a quoted field) and line breaks. Labels are class numbers 0, 1, ..., K−1. Every problem is a
 * {@link UserError} naming the file, the line and the value.
 *
 * @param texts  the texts, in file order
 * @param labels the class number of each text
 * @param lines  the line each record starts on (1 is the header), for messages
 */
record LabeledCsv(Path file, List<String> texts, int[] labels, int[] lines) {
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
    private static final Pattern CLASS_NUMBER = Pattern.compile("\\d{1,9}");

    int size() {
        return texts.size();
    }

    /** 1 + the largest label. */
    int classCount() {
        return Arrays.stream(labels).max().orElse(-1) + 1;
    }

    /** Reads and checks the file: header, field counts, labels that are class numbers. */
    static LabeledCsv read(Path file, String option) {
        if (!Files.isRegularFile(file)) throw new UserError(option + " " + file + ": no such file");
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new UserError(file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (content.startsWith("\uFEFF")) content = content.substring(1);   // a byte-order mark some editors write
        LineIndex lineOf = new LineIndex(content);
        List<String> texts = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(new StringReader(content), FORMAT)) {
            Iterator<CSVRecord> records = parser.iterator();
            if (!records.hasNext()) throw new UserError(file + " is empty; expected a header line text,label");
            CSVRecord header = records.next();
            List<String> columns = header.toList();
            int textColumn = columns.indexOf("text");
            int labelColumn = columns.indexOf("label");
            if (textColumn < 0 || labelColumn < 0) {
                throw new UserError(file + " line " + lineOf.at(header.getCharacterPosition()) + ": the header is '"
                        + String.join(",", columns) + "'; expected the columns text,label");
            }
            while (records.hasNext()) {
                CSVRecord r = records.next();
                int line = lineOf.at(r.getCharacterPosition());
                if (r.size() != columns.size()) {
                    throw new UserError(file + " line " + line + ": " + r.size() + " field" + (r.size() == 1 ? "" : "s")
                            + " but the header has " + columns.size() + " (" + String.join(",", columns) + ")");
                }
                String label = r.get(labelColumn);
                if (!CLASS_NUMBER.matcher(label).matches()) {
                    throw new UserError(file + " line " + line + ": label '" + abbreviate(label)
                            + "' is not a class number (0, 1, ...)");
                }
                texts.add(r.get(textColumn));
                labels.add(Integer.parseInt(label));
                lines.add(line);
            }
        } catch (UncheckedIOException | IllegalStateException e) {
            // the parser's iterator reports malformed CSV (an unterminated quote, text after a closing quote) so
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new UserError(file + " is not valid CSV: " + cause.getMessage(), e);
        } catch (IOException e) {
            throw new UserError(file + " is not valid CSV: " + e.getMessage(), e);
        }
        if (texts.isEmpty()) throw new UserError(file + " has a header but no examples");
        return new LabeledCsv(file, texts, labels.stream().mapToInt(Integer::intValue).toArray(),
                lines.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Checks that a training set's labels are the classes 0..K−1 with every class present, and at least two: a
     * missing class is most likely a typo in a label.
     */
    void requireClasses() {
        TreeSet<Integer> found = new TreeSet<>();
        for (int l : labels) found.add(l);
        if (found.size() < 2) {
            throw new UserError(file + ": every example has label " + found.first() + "; a classifier needs at least "
                    + "two classes");
        }
        for (int c = 0; c < found.last(); c++) {
            if (!found.contains(c)) {
                int k = 0;
                while (labels[k] != found.last()) k++;
                throw new UserError(file + " line " + lines[k] + ": label " + found.last() + ", but class " + c
                        + " never occurs; labels must be the class numbers 0, 1, ..., K-1, each of them used (found "
                        + found + ")");
            }
        }
    }

    /** Checks that every label is one of the {@code classes} classes of {@code trainFile}. */
    void requireLabelsBelow(int classes, Path trainFile) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classes) {
                throw new UserError(file + " line " + lines[i] + ": label " + labels[i] + " is not one of the classes of "
                        + trainFile + " (0.." + (classes - 1) + ")");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** Line numbers (from 1) of character offsets in a text. */
    private static final class LineIndex {
        private final String text;
        private final int[] lineStarts;

        LineIndex(String text) {
            this.text = text;
            List<Integer> starts = new ArrayList<>();
            starts.add(0);
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                // "\r\n" is one line break; a lone "\r" is one too
                if (c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) starts.add(i + 1);
            }
            lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        }

        /** The line of the record starting at {@code offset}, which the parser puts before any blank lines it skipped. */
        int at(long offset) {
            int o = (int) offset;
            while (o < text.length() && (text.charAt(o) == '\n' || text.charAt(o) == '\r')) o++;
            int i = Arrays.binarySearch(lineStarts, o);
            return (i >= 0 ? i : -i - 2) + 1;
        }
    }
}
