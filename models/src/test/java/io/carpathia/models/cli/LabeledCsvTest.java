package io.carpathia.models.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.models.cli.CarpathiaCli.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text,label CSV reader: RFC 4180 fields, line numbers of records that span lines, and every refusal. */
class LabeledCsvTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private UserError refused(String content) throws IOException {
        Path f = write("bad.csv", content);
        return assertThrows(UserError.class, () -> {
            LabeledCsv csv = LabeledCsv.read(f, "--train");
            csv.requireClasses();
        });
    }

    @Test
    void readsQuotesCommasAndLineBreaksInsideFields() throws IOException {
        Path f = write("train.csv", "text,label\n"
                + "\"Great, \"\"really\"\" great\",1\n"
                + "\"two\nlines\",0\n"
                + "\n"                                   // a blank line is skipped
                + "plain,1\n"
                + ",0\n");                               // an empty text is kept
        LabeledCsv csv = LabeledCsv.read(f, "--train");
        assertEquals(List.of("Great, \"really\" great", "two\nlines", "plain", ""), csv.texts());
        assertArrayEquals(new int[] {1, 0, 1, 0}, csv.labels());
        assertArrayEquals(new int[] {2, 3, 6, 7}, csv.lines());
        assertEquals(2, csv.classCount());
    }

    @Test
    void acceptsCrLfAByteOrderMarkAndEitherColumnOrder() throws IOException {
        Path f = write("t.csv", "\uFEFFlabel,text,source\r\n2,\"a\r\nb\",x\r\n0,c,y\r\n1,d,z\r\n");
        LabeledCsv csv = LabeledCsv.read(f, "--train");
        assertEquals(List.of("a\r\nb", "c", "d"), csv.texts());
        assertArrayEquals(new int[] {2, 0, 1}, csv.labels());
        assertArrayEquals(new int[] {2, 4, 5}, csv.lines());
        csv.requireClasses();
        assertEquals(3, csv.classCount());
    }

    @Test
    void refusalsNameTheFileTheLineAndTheValue() throws IOException {
        String header = refused("review,sentiment\nok,1\n").getMessage();
        assertTrue(header.contains("bad.csv line 1") && header.contains("'review,sentiment'")
                && header.contains("text,label"), header);

        String label = refused("text,label\n\"a\nb\",1\nc,positive\n").getMessage();
        assertTrue(label.contains("bad.csv line 4") && label.contains("'positive'"), label);

        assertTrue(refused("text,label\na,-1\n").getMessage().contains("'-1'"));
        assertTrue(refused("text,label\na,1.0\n").getMessage().contains("'1.0'"));
        assertTrue(refused("text,label\na, 1\n").getMessage().contains("' 1'"));

        String fields = refused("text,label\na,0\nb,c,1\n").getMessage();
        assertTrue(fields.contains("line 3") && fields.contains("3 fields"), fields);

        String gap = refused("text,label\na,0\nb,2\n").getMessage();
        assertTrue(gap.contains("line 3") && gap.contains("label 2") && gap.contains("class 1 never occurs"), gap);

        String single = refused("text,label\na,1\nb,1\n").getMessage();
        assertTrue(single.contains("at least two classes"), single);

        assertTrue(refused("").getMessage().contains("is empty"));
        assertTrue(refused("text,label\n").getMessage().contains("no examples"));
        String quote = refused("text,label\n\"never closed,1\nb,0\n").getMessage();
        assertTrue(quote.contains("not valid CSV"), quote);
        String missing = assertThrows(UserError.class, () -> LabeledCsv.read(dir.resolve("none.csv"), "--test"))
                .getMessage();
        assertTrue(missing.contains("--test") && missing.contains("none.csv") && missing.contains("no such file"), missing);
    }

    @Test
    void notUtf8IsRefused() throws IOException {
        Path f = Files.write(dir.resolve("latin1.csv"), new byte[] {'t', 'e', 'x', 't', ',', 'l', 'a', 'b', 'e', 'l',
            '\n', (byte) 0xE9, ',', '0', '\n'});
        String m = assertThrows(UserError.class, () -> LabeledCsv.read(f, "--train")).getMessage();
        assertTrue(m.contains("not UTF-8"), m);
    }

    @Test
    void testLabelsMustBeClassesOfTheTrainingSet() throws IOException {
        Path f = write("test.csv", "text,label\na,0\nb,1\nc,2\n");
        LabeledCsv csv = LabeledCsv.read(f, "--test");
        csv.requireLabelsBelow(3, dir.resolve("train.csv"));
        String m = assertThrows(UserError.class, () -> csv.requireLabelsBelow(2, dir.resolve("train.csv")))
                .getMessage();
        assertTrue(m.contains("test.csv line 4") && m.contains("label 2") && m.contains("(0..1)"), m);
    }
}
