package io.carpathia.models.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One token per character (Unicode code point), as in nanoGPT's {@code shakespeare_char}: the vocabulary is the set
 * of characters of a training text in code point order, so Tiny Shakespeare gives 65 tokens with {@code '\n'} = 0 and
 * {@code ' '} = 1, the same ids as nanoGPT's {@code prepare.py}.
 *
 * <p>Saved as JSON, the characters in id order:
 * <pre>{"type": "char", "chars": ["\n", " ", "!", ...]}</pre>
 */
public final class CharTokenizer implements Tokenizer {

    private static final String TYPE = "char";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int[] codePointOfId;
    private final Map<Integer, Integer> idOfCodePoint;

    /** A vocabulary of the given characters, the i-th having id i. */
    public CharTokenizer(int[] codePoints) {
        this.codePointOfId = codePoints.clone();
        this.idOfCodePoint = new HashMap<>(codePoints.length * 2);
        for (int id = 0; id < codePoints.length; id++) {
            int cp = codePoints[id];
            if (!Character.isValidCodePoint(cp) || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
                throw new IllegalArgumentException(String.format(
                        "character vocabulary entry %d is U+%04X, which is not a Unicode scalar value", id, cp));
            }
            Integer earlier = idOfCodePoint.put(cp, id);
            if (earlier != null) {
                throw new IllegalArgumentException(String.format(
                        "character vocabulary has %s twice (ids %d and %d)", describe(cp), earlier, id));
            }
        }
    }

    /** The vocabulary of {@code text}: its distinct characters in code point order. */
    public static CharTokenizer fromText(String text) {
        Utf8.requireValidUnicode(text);
        return new CharTokenizer(text.codePoints().distinct().sorted().toArray());
    }

    /**
     * The ids of {@code text}'s characters.
     *
     * @throws IllegalArgumentException naming the first character that is not in the vocabulary
     */
    @Override
    public int[] encode(String text) {
        Utf8.requireValidUnicode(text);
        int[] ids = new int[text.codePointCount(0, text.length())];
        int k = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            Integer id = idOfCodePoint.get(cp);
            if (id == null) {
                throw new IllegalArgumentException(String.format(
                        "%s at index %d is not in the character vocabulary (%d characters)", describe(cp), i,
                        codePointOfId.length));
            }
            ids[k++] = id;
            i += Character.charCount(cp);
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder text = new StringBuilder(ids.length);
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= codePointOfId.length) {
                throw new IllegalArgumentException(String.format(
                        "token id %d at position %d is not in the character vocabulary (ids 0..%d)", id, i,
                        codePointOfId.length - 1));
            }
            text.appendCodePoint(codePointOfId[id]);
        }
        return text.toString();
    }

    @Override
    public int vocabSize() {
        return codePointOfId.length;
    }

    /** The characters in id order. */
    public int[] codePoints() {
        return codePointOfId.clone();
    }

    /** Writes the vocabulary as JSON; the file is replaced atomically, so a reader never sees half of it. */
    public void save(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("type", TYPE);
        ArrayNode chars = root.putArray("chars");
        for (int cp : codePointOfId) chars.add(Character.toString(cp));
        Path parent = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root),
                    StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Reads a vocabulary written by {@link #save}. */
    public static CharTokenizer load(Path file) throws IOException {
        JsonNode root = HuggingFaceTokenizerJson.readJson(file, "character vocabulary");
        if (!root.isObject() || !TYPE.equals(root.path("type").asText())) {
            throw new TokenizerFormatException(file + ": expected a character vocabulary {\"type\": \"char\", "
                    + "\"chars\": [...]}, found " + (root.isObject() ? "type " + root.path("type") : root.getNodeType()));
        }
        JsonNode chars = root.path("chars");
        if (!chars.isArray()) throw new TokenizerFormatException(file + ": \"chars\" is not an array");
        int[] codePoints = new int[chars.size()];
        for (int id = 0; id < codePoints.length; id++) {
            String character = chars.get(id).isTextual() ? chars.get(id).asText() : "";
            if (character.isEmpty() || character.codePointCount(0, character.length()) != 1) {
                throw new TokenizerFormatException(String.format(
                        "%s: chars[%d] is %s, expected a string of exactly one character", file, id, chars.get(id)));
            }
            codePoints[id] = character.codePointAt(0);
        }
        try {
            return new CharTokenizer(codePoints);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CharTokenizer that && Arrays.equals(codePointOfId, that.codePointOfId);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePointOfId);
    }

    private static String describe(int cp) {
        String shown = Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + Character.toString(cp) + "' ";
        return String.format("character %s(U+%04X)", shown, cp);
    }
}
