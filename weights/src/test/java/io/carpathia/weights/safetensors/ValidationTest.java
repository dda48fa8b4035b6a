package io.carpathia.weights.safetensors;

import static io.carpathia.weights.safetensors.TestFiles.file;
import static io.carpathia.weights.safetensors.TestFiles.floats;
import static io.carpathia.weights.safetensors.TestFiles.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.weights.safetensors.SafetensorsFormatException.Rule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each rule of the format, broken by a file built for it; and the odd but valid files the reference accepts. */
class ValidationTest {
    @TempDir
    Path dir;

    private int count;

    /** Opens {@code content} and expects {@code rule} broken, blamed on {@code tensor} (null: no tensor). */
    private SafetensorsFormatException assertBreaks(Rule rule, String tensor, byte[] content) {
        Path f = TestFiles.write(dir, "case" + (count++) + ".safetensors", content);
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.open(f));
        assertEquals(rule, e.rule(), e.getMessage());
        assertEquals(tensor, e.tensor(), e.getMessage());
        assertEquals(f, e.file());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        if (tensor != null) {
            assertTrue(e.getMessage().contains("tensor '" + Strings.abbreviate(tensor, 200) + "'"), e.getMessage());
        }
        assertTrue(e.getMessage().contains(rule.requirement()), e.getMessage());
        return e;
    }

    private SafetensorsReader open(byte[] content) throws IOException {
        return SafetensorsReader.open(TestFiles.write(dir, "ok" + (count++) + ".safetensors", content));
    }

    private static String f32(String name, long[] shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + java.util.Arrays.toString(shape).replace(" ", "")
                + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void fileShorterThanEightBytes() {
        assertBreaks(Rule.FILE_TOO_SHORT, null, new byte[0]);
        SafetensorsFormatException e = assertBreaks(Rule.FILE_TOO_SHORT, null, new byte[7]);
        assertTrue(e.getMessage().contains("7 bytes"));
    }

    @Test
    void headerLengthOverTheLimit() {
        assertBreaks(Rule.HEADER_TOO_LARGE, null, TestFiles.withLength(100_000_001L, "{}".getBytes()));
        SafetensorsFormatException e = assertBreaks(Rule.HEADER_TOO_LARGE, null, TestFiles.withLength(-1L, zeros(4)));
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage()); // unsigned, as written
    }

    @Test
    void headerLengthPastTheEndOfTheFile() {
        assertBreaks(Rule.HEADER_PAST_EOF, null, TestFiles.withLength(100_000_000L, "{}".getBytes()));
        assertBreaks(Rule.HEADER_PAST_EOF, null, TestFiles.withLength(3, "{}".getBytes()));
        assertBreaks(Rule.HEADER_PAST_EOF, null, TestFiles.withLength(1, new byte[0]));
    }

    @Test
    void headerNotUtf8() {
        byte[][] bad = {
            {'{', '"', (byte) 0xFF, '"', ':', '1', '}'},                // never valid in UTF-8
            {'{', '"', (byte) 0xC0, (byte) 0x80, '"', ':', '1', '}'},   // overlong NUL
            {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}, // an encoded surrogate (CESU-8)
            {'{', '}', ' ', (byte) 0xE2, (byte) 0x82},                   // a sequence cut off by the end
        };
        for (byte[] header : bad) assertBreaks(Rule.HEADER_NOT_UTF8, null, file(header, new byte[0]));
    }

    @Test
    void headerNotJson() {
        String[] bad = {"", "   ", "{", "{}x", "{} {}", "{\"a\":{},}", "/*c*/{}", "{'a':{}}", "{\"a\":NaN}", "\0{}",
            "{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}"};
        for (String header : bad) assertBreaks(Rule.HEADER_NOT_JSON, null, file(header, new byte[0]));
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'};
        assertBreaks(Rule.HEADER_NOT_JSON, null, file(bom, new byte[0]));
    }

    @Test
    void headerOfTheWrongSchema() {
        assertBreaks(Rule.HEADER_SCHEMA, null, file("[]", new byte[0]));
        assertBreaks(Rule.HEADER_SCHEMA, null, file("\"x\"", new byte[0]));
        assertBreaks(Rule.HEADER_SCHEMA, null, file("{\"__metadata__\":[\"a\"]}", new byte[0]));
        assertBreaks(Rule.HEADER_SCHEMA, null, file("{\"__metadata__\":{},\"__metadata__\":{}}", new byte[0]));
        assertBreaks(Rule.HEADER_SCHEMA, null, file("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", new byte[0]));
        String[] entries = {
            "[1]",
            "null",
            "{\"shape\":[1],\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":[1]}",
            "{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]}",
            "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"dtype\":\"F32\"}",
        };
        for (String entry : entries) assertBreaks(Rule.HEADER_SCHEMA, "w", file("{\"w\":" + entry + "}", zeros(4)));
    }

    @Test
    void metadataValueNotAString() {
        for (String value : new String[] {"1", "true", "null", "{}", "[\"a\"]"}) {
            SafetensorsFormatException e = assertBreaks(Rule.METADATA_NOT_STRING, null,
                    file("{\"__metadata__\":{\"format\":" + value + "}}", new byte[0]));
            assertTrue(e.getMessage().contains("'format'"), e.getMessage());
        }
    }

    @Test
    void unknownDtype() {
        for (String dtype : new String[] {"F17", "f32", "", "FLOAT", "F8_E8M0"}) {
            SafetensorsFormatException e = assertBreaks(Rule.UNKNOWN_DTYPE, "w",
                    file("{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4)));
            assertTrue(e.getMessage().contains("\"" + dtype + "\""), e.getMessage());
        }
    }

    @Test
    void duplicateTensorName() {
        String header = "{" + f32("a", new long[] {1}, 0, 4) + "," + f32("a", new long[] {1}, 4, 8) + "}";
        assertBreaks(Rule.DUPLICATE_NAME, "a", file(header, zeros(8)));
    }

    @Test
    void sizeOverflow() {
        assertBreaks(Rule.SIZE_OVERFLOW, "w", file("{" + f32("w", new long[] {1L << 62, 4}, 0, 4) + "}", zeros(4)));
        assertBreaks(Rule.SIZE_OVERFLOW, "w", file("{" + f32("w", new long[] {Long.MAX_VALUE}, 0, 4) + "}", zeros(4)));
        assertBreaks(Rule.SIZE_OVERFLOW, "w", file(
                "{\"w\":{\"dtype\":\"U8\",\"shape\":[18446744073709551615],\"data_offsets\":[0,4]}}", zeros(4)));
    }

    @Test
    void byteRangeNotShapeTimesDtypeSize() {
        SafetensorsFormatException e = assertBreaks(Rule.SIZE_MISMATCH, "w",
                file("{" + f32("w", new long[] {2, 3}, 0, 20) + "}", zeros(20)));
        assertTrue(e.getMessage().contains("needs 24 bytes"), e.getMessage());
        assertBreaks(Rule.SIZE_MISMATCH, "w", file("{" + f32("w", new long[] {}, 0, 0) + "}", zeros(0)));
        assertBreaks(Rule.SIZE_MISMATCH, "w", file("{" + f32("w", new long[] {0}, 0, 4) + "}", zeros(4)));
    }

    @Test
    void offsetsReversed() {
        assertBreaks(Rule.OFFSETS_REVERSED, "w", file("{" + f32("w", new long[] {1}, 4, 0) + "}", zeros(4)));
    }

    @Test
    void offsetsNotStartingAtZero() {
        assertBreaks(Rule.OFFSETS_NOT_FROM_ZERO, "w", file("{" + f32("w", new long[] {1}, 4, 8) + "}", zeros(8)));
    }

    @Test
    void offsetsWithAHole() {
        String header = "{" + f32("a", new long[] {1}, 0, 4) + "," + f32("b", new long[] {1}, 8, 12) + "}";
        assertBreaks(Rule.OFFSETS_HOLE, "b", file(header, zeros(12)));
    }

    @Test
    void offsetsOverlapping() {
        String header = "{" + f32("a", new long[] {2}, 0, 8) + "," + f32("b", new long[] {1}, 4, 8) + "}";
        assertBreaks(Rule.OFFSETS_OVERLAP, "b", file(header, zeros(8)));
        String same = "{" + f32("a", new long[] {1}, 0, 4) + "," + f32("b", new long[] {1}, 0, 4) + "}";
        assertBreaks(Rule.OFFSETS_OVERLAP, "b", file(same, zeros(4)));
    }

    @Test
    void dataNotEndingAtTheEndOfTheFile() {
        String header = "{" + f32("w", new long[] {2}, 0, 8) + "}";
        assertBreaks(Rule.DATA_NOT_AT_EOF, "w", file(header, zeros(9)));   // a byte too many
        assertBreaks(Rule.DATA_NOT_AT_EOF, "w", file(header, zeros(7)));   // a byte short
        assertBreaks(Rule.DATA_NOT_AT_EOF, null, file("{}", zeros(1)));     // no tensors, yet data
        String huge = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,9223372036854775808]}}";
        assertBreaks(Rule.DATA_NOT_AT_EOF, "w", file(huge, zeros(1)));
        String far = "{" + f32("w", new long[] {1L << 40}, 0, 1L << 42) + "}"; // 4 TB claimed: refused before any read
        assertBreaks(Rule.DATA_NOT_AT_EOF, "w", file(far, zeros(4)));
    }

    @Test
    void headerPaddedWithWhitespaceIsAccepted() throws IOException {
        String body = "{" + f32("w", new long[] {2}, 0, 8) + "}";
        for (String padded : new String[] {"  " + body, body + "      ", " \t\r\n" + body + "\n\t \r"}) {
            try (SafetensorsReader r = open(file(padded, floats(1.5f, -2f)))) {
                assertArrayEquals(new float[] {1.5f, -2f}, r.read("w").toFloatVector());
            }
        }
    }

    @Test
    void oddButValidHeadersAreAccepted() throws IOException {
        // No tensors at all.
        try (SafetensorsReader r = open(file("{}", new byte[0]))) {
            assertEquals(List.of(), r.names());
        }
        // Entries in any order (data order differs from name order); unknown fields ignored, as the reference does;
        // metadata null; empty tensors sharing an offset with their neighbours.
        String header = "{\"__metadata__\":null,"
                + "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"note\":{\"x\":[1,{}]}},"
                + "\"e1\":{\"dtype\":\"F64\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
                + "\"a\":{\"shape\":[1],\"data_offsets\":[4,8],\"dtype\":\"F32\"},"
                + "\"e2\":{\"dtype\":\"I8\",\"shape\":[2,0],\"data_offsets\":[8,8]}}";
        try (SafetensorsReader r = open(file(header, floats(3f, 4f)))) {
            assertEquals(List.of("z", "e1", "a", "e2"), r.names());
            assertEquals(Map.of(), r.metadata());
            assertEquals(3f, r.read("z").getFloat(0));
            assertEquals(4f, r.read("a").getFloat(0));
            assertTrue(r.read("e1").isEmpty());
            assertArrayEquals(new long[] {2, 0}, r.read("e2").shape());
        }
        // Non-ASCII names and metadata, escapes included.
        String unicode = "{\"__metadata__\":{\"caf\\u00e9\":\"\\\"q\\\"\\n\"},\"\u6743\u91cd\ud83d\ude00\":"
                + "{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}";
        try (SafetensorsReader r = open(file(unicode, new byte[] {7}))) {
            assertEquals(Map.of("caf\u00e9", "\"q\"\n"), r.metadata());
            assertEquals(7, r.readBytes("\u6743\u91cd\ud83d\ude00")[0]);
        }
    }

    @Test
    void aMissingTensorIsNamedWithTheFile() throws IOException {
        try (SafetensorsReader r = open(file("{" + f32("w", new long[] {1}, 0, 4) + "}", zeros(4)))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.read("v"));
            assertTrue(e.getMessage().contains("'v'") && e.getMessage().contains(r.file().toString()), e.getMessage());
        }
    }

    @Test
    void aHostileNameIsAbbreviatedInMessages() {
        String name = "n".repeat(100_000);
        SafetensorsFormatException e = assertBreaks(Rule.SIZE_MISMATCH, name,
                file("{" + f32(name, new long[] {2}, 0, 4) + "}", zeros(4)));
        assertTrue(e.getMessage().length() < 1000, "message of " + e.getMessage().length() + " characters");
    }

    @Test
    void manyCollidingNamesDoNotTripTheJsonLibrary() throws IOException {
        // Strings whose Java hash codes collide ("Aa" and "BB"): a canonicalizing parser would refuse them.
        StringBuilder h = new StringBuilder("{");
        int n = 2000;
        for (int i = 0; i < n; i++) {
            String name = Integer.toBinaryString(i | 1 << 11).replace("0", "Aa").replace("1", "BB");
            h.append(i == 0 ? "" : ",").append(f32(name, new long[] {0}, 0, 0));
        }
        try (SafetensorsReader r = open(file(h.append('}').toString(), new byte[0]))) {
            assertEquals(n, r.names().size());
        }
    }

    @Test
    void headerIsReadAsUtf8NotGuessed() {
        // Valid UTF-8 that an encoding-sniffing parser would take for UTF-32 "{}": NULs are not JSON whitespace.
        byte[] header = {0, 0, 0, '{', 0, 0, 0, '}'};
        assertBreaks(Rule.HEADER_NOT_JSON, null, file(header, new byte[0]));
        assertEquals(8, "{}      ".getBytes(StandardCharsets.UTF_8).length);
    }
}
