package io.carpathia.models.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * GPT-2's byte-level BPE tokenizer, read from {@code vocab.json} + {@code merges.txt} or from a Hugging Face
 * {@code tokenizer.json}; it gives the same ids as OpenAI's {@code encoder.py} and Hugging Face's tokenizers.
 *
 * <p>Encoding, in four steps:
 * <ol>
 *   <li>added tokens such as {@code <|endoftext|>} are cut out of the text, when allowed ({@link #encode(String,
 *       boolean)}), and become their own ids;</li>
 *   <li>each stretch between them is cut into pieces by GPT-2's pattern ({@link Gpt2PreTokenizer});</li>
 *   <li>each piece becomes its UTF-8 bytes, each byte the vocabulary entry of its {@link ByteLevelAlphabet}
 *       character, so any text can be encoded with no unknown token;</li>
 *   <li>adjacent symbols are merged, always the pair whose merge rule comes first in {@code merges.txt} (lowest
 *       rank), leftmost first among equals, until no rule applies; the resulting symbols are the ids.</li>
 * </ol>
 * Decoding concatenates the bytes of the tokens and reads them as UTF-8, with U+FFFD for ill-formed sequences (as
 * {@code errors='replace'}), so a token list cut inside a multi-byte character still decodes.
 *
 * <p>Instances are immutable apart from a bounded cache of encoded pieces, and safe to share between threads.
 * {@code encode} adds no template tokens (as Hugging Face's {@code add_special_tokens=False}), and {@code decode} keeps
 * special tokens in the text.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {

    /** GPT-2's end-of-text token, which separates documents in its training data. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** A token matched in the text before pre-tokenisation. Special ones are matched only when allowed. */
    public record AddedToken(String content, int id, boolean special, boolean lstrip, boolean rstrip) {
        public static AddedToken special(String content, int id) {
            return new AddedToken(content, id, true, false, false);
        }
    }

    /** A merge rule: symbols {@code left} and {@code right} side by side become {@code left + right}. */
    public record Merge(String left, String right) {}

    /** Encoded pieces kept for reuse: text repeats its words, and BPE on a word costs far more than a lookup. */
    private static final int CACHE_CAPACITY = 100_000;
    /** Longer pieces (long numbers, runs of symbols) rarely repeat; they are encoded each time. */
    private static final int MAX_CACHED_PIECE_LENGTH = 64;

    private record MergeRule(int rank, int mergedId) {}

    private final Map<String, Integer> idOfToken;
    private final String[] tokenOfId; // null where no token has the id
    private final byte[][] bytesOfId;
    private final int[] idOfByte = new int[256];
    /** Keyed by {@link #pairKey} of the two symbols' ids. */
    private final Map<Long, MergeRule> merges;
    private final List<AddedToken> addedTokens;
    private final Map<String, AddedToken> addedTokenOfContent = new HashMap<>();
    private final Pattern anyAddedToken; // null when there are none
    private final Pattern nonSpecialAddedToken; // null when there are none
    private final boolean addPrefixSpace;
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab          token (in {@link ByteLevelAlphabet} characters) to id
     * @param mergeRules     merge rules, highest priority first
     * @param addedTokens    tokens matched in the text before pre-tokenisation; they may or may not be in {@code vocab}
     * @param addPrefixSpace put a space before text that does not start with one, so a first word is encoded like
     *                       any other (off for GPT-2)
     * @param ignoreMerges   take a piece that is itself in the vocabulary as one token without merging
     * @param source         the file(s) these came from, for error messages
     */
    ByteLevelBpeTokenizer(Map<String, Integer> vocab, List<Merge> mergeRules, List<AddedToken> addedTokens,
                          boolean addPrefixSpace, boolean ignoreMerges, String source) {
        if (vocab.isEmpty()) throw new TokenizerFormatException(source + ": the vocabulary is empty");
        this.idOfToken = new HashMap<>(vocab);
        this.addPrefixSpace = addPrefixSpace;
        this.ignoreMerges = ignoreMerges;
        this.addedTokens = List.copyOf(addedTokens);

        int maxId = -1;
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            if (entry.getValue() < 0) {
                throw new TokenizerFormatException(String.format("%s: token %s has the negative id %d", source,
                        quote(entry.getKey()), entry.getValue()));
            }
            maxId = Math.max(maxId, entry.getValue());
        }
        for (AddedToken added : addedTokens) {
            if (added.id() < 0) {
                throw new TokenizerFormatException(String.format("%s: added token %s has the negative id %d", source,
                        quote(added.content()), added.id()));
            }
            maxId = Math.max(maxId, added.id());
        }
        // Ids may leave gaps, but the id -> token tables are sized by the largest one: refuse absurd ids rather than
        // allocate gigabytes for them.
        long tokenCount = (long) vocab.size() + addedTokens.size();
        if (maxId > 2 * tokenCount + 1024) {
            throw new TokenizerFormatException(String.format(
                    "%s: token id %d is far beyond the %d tokens defined; ids are expected to run from 0 with few gaps",
                    source, maxId, tokenCount));
        }
        tokenOfId = new String[maxId + 1];
        bytesOfId = new byte[maxId + 1][];

        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            int id = entry.getValue();
            if (tokenOfId[id] != null) {
                throw new TokenizerFormatException(String.format("%s: tokens %s and %s both have id %d", source,
                        quote(tokenOfId[id]), quote(entry.getKey()), id));
            }
            tokenOfId[id] = entry.getKey();
            byte[] bytes = ByteLevelAlphabet.decode(entry.getKey());
            // A token outside the byte alphabet (only added tokens should be) stands for its own UTF-8 text, as in
            // Hugging Face's ByteLevel decoder.
            bytesOfId[id] = bytes != null ? bytes : entry.getKey().getBytes(StandardCharsets.UTF_8);
        }
        for (AddedToken added : addedTokens) registerAddedToken(added, source);

        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevelAlphabet.charOf(b)));
            if (id == null) {
                throw new TokenizerFormatException(String.format(
                        "%s: the vocabulary has no token for byte 0x%02X (character %s); a byte-level BPE vocabulary "
                                + "must hold all 256", source, b, quote(String.valueOf(ByteLevelAlphabet.charOf(b)))));
            }
            idOfByte[b] = id;
        }

        merges = new HashMap<>(mergeRules.size() * 2);
        for (int rank = 0; rank < mergeRules.size(); rank++) {
            Merge merge = mergeRules.get(rank);
            int left = requireMergeToken(merge.left(), merge, rank, source);
            int right = requireMergeToken(merge.right(), merge, rank, source);
            int merged = requireMergeToken(merge.left() + merge.right(), merge, rank, source);
            // A repeated rule keeps its last rank, as in OpenAI's encoder.py (a dict built from the list).
            merges.put(pairKey(left, right), new MergeRule(rank, merged));
        }

        anyAddedToken = alternationOf(addedTokens);
        nonSpecialAddedToken = alternationOf(addedTokens.stream().filter(t -> !t.special()).toList());
    }

    // ---------------------------------------------------------------------------------------------- loading

    /** GPT-2's original files: {@code vocab.json} (token to id) and {@code merges.txt} (one rule a line). */
    public static ByteLevelBpeTokenizer fromFiles(Path vocabJson, Path mergesTxt) throws IOException {
        Map<String, Integer> vocab = readVocabJson(vocabJson);
        List<Merge> merges = readMergesTxt(mergesTxt);
        List<AddedToken> added = vocab.containsKey(END_OF_TEXT)
                ? List.of(AddedToken.special(END_OF_TEXT, vocab.get(END_OF_TEXT)))
                : List.of();
        return new ByteLevelBpeTokenizer(vocab, merges, added, false, false, vocabJson + " + " + mergesTxt);
    }

    /**
     * A Hugging Face {@code tokenizer.json} whose model is BPE and whose pre-tokenizer is byte-level (GPT-2's own,
     * and those of models that reuse it). Its added tokens are recognised; what this class does not implement
     * (normalizers, other pre-tokenizers, BPE dropout, subword prefixes...) is refused with a message saying so.
     */
    public static ByteLevelBpeTokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        return HuggingFaceTokenizerJson.read(tokenizerJson);
    }

    /** A model folder: its {@code tokenizer.json} if it has one, else its {@code vocab.json} and {@code merges.txt}. */
    public static ByteLevelBpeTokenizer fromDirectory(Path directory) throws IOException {
        Path tokenizerJson = directory.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerJson)) return fromTokenizerJson(tokenizerJson);
        Path vocab = directory.resolve("vocab.json");
        Path merges = directory.resolve("merges.txt");
        if (Files.isRegularFile(vocab) && Files.isRegularFile(merges)) return fromFiles(vocab, merges);
        throw new NoSuchFileException(directory.toString(), null,
                "no tokenizer here: expected tokenizer.json, or vocab.json and merges.txt");
    }

    static Map<String, Integer> readVocabJson(Path file) throws IOException {
        JsonNode root = HuggingFaceTokenizerJson.readJson(file, "vocabulary (vocab.json)");
        if (!root.isObject()) {
            throw new TokenizerFormatException(file + ": expected a JSON object of token -> id, found "
                    + root.getNodeType().toString().toLowerCase());
        }
        return HuggingFaceTokenizerJson.vocabOf(root, file + "");
    }

    static List<Merge> readMergesTxt(Path file) throws IOException {
        HuggingFaceTokenizerJson.requireFile(file, "merge rules (merges.txt)");
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Merge> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.endsWith("\r")) line = line.substring(0, line.length() - 1);
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) continue;
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new TokenizerFormatException(String.format(
                        "%s line %d: expected two tokens separated by one space, found %s", file, i + 1, quote(line)));
            }
            merges.add(new Merge(parts[0], parts[1]));
        }
        return merges;
    }

    // ---------------------------------------------------------------------------------------------- encoding

    /** The ids of {@code text}; special tokens written in it (such as {@code <|endoftext|>}) are plain text. */
    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * The ids of {@code text}.
     *
     * @param allowSpecial whether special tokens written in the text (such as {@code <|endoftext|>}) become their
     *                     own ids; otherwise they are encoded as the characters they are made of
     * @throws IllegalArgumentException if {@code text} is not valid Unicode (an unpaired surrogate)
     */
    public int[] encode(String text, boolean allowSpecial) {
        Utf8.requireValidUnicode(text);
        IntList ids = new IntList(text.length() / 3 + 8);
        Pattern added = allowSpecial ? anyAddedToken : nonSpecialAddedToken;
        if (added == null) {
            encodeOrdinary(text, ids);
            return ids.toArray();
        }
        Matcher matcher = added.matcher(text);
        int from = 0;
        while (from < text.length() && matcher.find(from)) {
            AddedToken token = addedTokenOfContent.get(matcher.group());
            int start = matcher.start();
            int end = matcher.end();
            // lstrip / rstrip: the token swallows the whitespace beside it (Hugging Face's AddedToken options).
            if (token.lstrip()) while (start > from && isWhiteSpace(text.charAt(start - 1))) start--;
            if (token.rstrip()) while (end < text.length() && isWhiteSpace(text.charAt(end))) end++;
            encodeOrdinary(text.substring(from, start), ids);
            ids.add(token.id());
            from = end;
        }
        encodeOrdinary(text.substring(from), ids);
        return ids.toArray();
    }

    /** Text with no added tokens in it: pre-tokenise, then BPE each piece. */
    private void encodeOrdinary(String text, IntList ids) {
        if (text.isEmpty()) return;
        if (addPrefixSpace && text.charAt(0) != ' ') text = " " + text;
        Gpt2PreTokenizer.forEachPiece(text, piece -> ids.addAll(encodePiece(piece)));
    }

    private int[] encodePiece(String piece) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = bytePairEncode(piece.getBytes(StandardCharsets.UTF_8));
            if (piece.length() <= MAX_CACHED_PIECE_LENGTH && cache.size() < CACHE_CAPACITY) cache.put(piece, ids);
        }
        return ids;
    }

    /**
     * BPE on one piece: start from one symbol per byte and apply the applicable merge of lowest rank, leftmost first,
     * until none applies. The symbols form a linked list over the byte positions and the candidate merges wait in a
     * priority queue ordered by (rank, position), so a piece of n bytes costs O(n log n), not the O(n²) of rescanning
     * all pairs after each merge, and a long run of digits or symbols cannot stall the encoder.
     */
    private int[] bytePairEncode(byte[] bytes) {
        if (ignoreMerges) {
            Integer whole = idOfToken.get(ByteLevelAlphabet.encode(bytes));
            if (whole != null) return new int[] {whole};
        }
        int n = bytes.length;
        int[] symbol = new int[n]; // the token id starting at each byte position; -1 once merged into its left
        int[] prev = new int[n];
        int[] next = new int[n]; // -1 after the last symbol
        for (int i = 0; i < n; i++) {
            symbol[i] = idOfByte[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Long> candidates = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) offerCandidate(candidates, i, symbol[i], symbol[i + 1]);

        while (!candidates.isEmpty()) {
            long candidate = candidates.poll();
            int rank = (int) (candidate >>> 32);
            int left = (int) candidate;
            int right = next[left];
            if (symbol[left] < 0 || right < 0) continue; // left was merged away, or has no right neighbour now
            MergeRule rule = merges.get(pairKey(symbol[left], symbol[right]));
            if (rule == null || rule.rank() != rank) continue; // stale: the pair at `left` changed since it was queued
            symbol[left] = rule.mergedId();
            symbol[right] = -1;
            next[left] = next[right];
            if (next[left] >= 0) prev[next[left]] = left;
            if (prev[left] >= 0) offerCandidate(candidates, prev[left], symbol[prev[left]], symbol[left]);
            if (next[left] >= 0) offerCandidate(candidates, left, symbol[left], symbol[next[left]]);
        }

        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) count++;
        int[] ids = new int[count];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) ids[k++] = symbol[i];
        return ids;
    }

    /** Queues the merge of the symbols at {@code position} and its right neighbour, if a rule exists for them. */
    private void offerCandidate(PriorityQueue<Long> candidates, int position, int leftId, int rightId) {
        MergeRule rule = merges.get(pairKey(leftId, rightId));
        if (rule != null) candidates.add(((long) rule.rank() << 32) | position);
    }

    private static long pairKey(int leftId, int rightId) {
        return ((long) leftId << 32) | (rightId & 0xFFFFFFFFL);
    }

    // ---------------------------------------------------------------------------------------------- decoding

    /**
     * The text of {@code ids}: their bytes read as UTF-8, each ill-formed sequence replaced by U+FFFD (as Python's
     * {@code errors='replace'}). Special tokens appear as their text.
     */
    @Override
    public String decode(int[] ids) {
        byte[] bytes = decodeToBytes(ids);
        return Utf8.decode(bytes, bytes.length);
    }

    /**
     * The bytes {@code ids} stand for, not yet read as UTF-8: what a streaming decoder needs, since a character may
     * be split across tokens.
     */
    public byte[] decodeToBytes(int[] ids) {
        int length = 0;
        for (int i = 0; i < ids.length; i++) length += bytesOf(ids, i).length;
        byte[] bytes = new byte[length];
        int at = 0;
        for (int i = 0; i < ids.length; i++) {
            byte[] token = bytesOf(ids, i);
            System.arraycopy(token, 0, bytes, at, token.length);
            at += token.length;
        }
        return bytes;
    }

    private byte[] bytesOf(int[] ids, int position) {
        int id = ids[position];
        if (id < 0 || id >= bytesOfId.length || bytesOfId[id] == null) {
            throw new IllegalArgumentException(String.format(
                    "token id %d at position %d is not in the vocabulary (ids 0..%d)", id, position, vocabSize() - 1));
        }
        return bytesOfId[id];
    }

    // ---------------------------------------------------------------------------------------------- vocabulary

    /** One more than the largest id (50,257 for GPT-2: 50,000 merges + 256 bytes + {@code <|endoftext|>}). */
    @Override
    public int vocabSize() {
        return tokenOfId.length;
    }

    /** The id of {@code <|endoftext|>}, GPT-2's end-of-sequence token (50256). */
    public int eosTokenId() {
        Integer id = idOfToken.get(END_OF_TEXT);
        if (id == null) {
            throw new IllegalStateException("this tokenizer has no " + END_OF_TEXT + " token");
        }
        return id;
    }

    /** The id of a vocabulary or added token, written as in the vocabulary ({@code "Ġworld"}, {@code "<|endoftext|>"}). */
    public OptionalInt tokenId(String token) {
        Integer id = idOfToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with id {@code id}, written as in the vocabulary ({@code "Ġworld"}). */
    public String token(int id) {
        if (id < 0 || id >= tokenOfId.length || tokenOfId[id] == null) {
            throw new IllegalArgumentException(String.format(
                    "token id %d is not in the vocabulary (ids 0..%d)", id, vocabSize() - 1));
        }
        return tokenOfId[id];
    }

    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void registerAddedToken(AddedToken added, String source) {
        if (added.content().isEmpty()) {
            throw new TokenizerFormatException(source + ": added token with id " + added.id() + " has empty content");
        }
        Integer vocabId = idOfToken.get(added.content());
        if (vocabId != null && vocabId != added.id()) {
            throw new TokenizerFormatException(String.format(
                    "%s: added token %s has id %d but the vocabulary gives it id %d", source, quote(added.content()),
                    added.id(), vocabId));
        }
        String holder = tokenOfId[added.id()];
        if (holder != null && !holder.equals(added.content())) {
            throw new TokenizerFormatException(String.format("%s: added token %s has id %d, which is token %s's",
                    source, quote(added.content()), added.id(), quote(holder)));
        }
        idOfToken.put(added.content(), added.id());
        tokenOfId[added.id()] = added.content();
        bytesOfId[added.id()] = added.content().getBytes(StandardCharsets.UTF_8);
        addedTokenOfContent.put(added.content(), added);
    }

    private int requireMergeToken(String token, Merge merge, int rank, String source) {
        Integer id = idOfToken.get(token);
        if (id == null) {
            throw new TokenizerFormatException(String.format(
                    "%s: merge rule %d (%s %s) needs token %s, which is not in the vocabulary", source, rank + 1,
                    merge.left(), merge.right(), quote(token)));
        }
        return id;
    }

    /** Alternation of the tokens, longest first, so the longest token wins where several start at one place. */
    private static Pattern alternationOf(List<AddedToken> tokens) {
        if (tokens.isEmpty()) return null;
        return Pattern.compile(tokens.stream()
                .map(AddedToken::content)
                .distinct()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote)
                .collect(Collectors.joining("|")));
    }

    /** Unicode's White_Space property (Rust's {@code char::is_whitespace}, which Hugging Face's lstrip/rstrip use). */
    private static boolean isWhiteSpace(char c) {
        return (c >= 0x09 && c <= 0x0D) || c == 0x85 || Character.isSpaceChar(c);
    }

    static String quote(String token) {
        StringBuilder out = new StringBuilder("\"");
        token.codePoints().forEach(cp -> {
            if (cp == '"' || cp == '\\') out.append('\\').appendCodePoint(cp);
            else if (cp < 0x20 || cp == 0x7F) out.append(String.format("\\u%04X", cp));
            else out.appendCodePoint(cp);
        });
        return out.append('"').toString();
    }

    /** A growable int array: token lists of a whole book stay primitive. */
    private static final class IntList {
        private int[] values;
        private int size;

        IntList(int capacity) {
            values = new int[Math.max(capacity, 8)];
        }

        void add(int value) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = value;
        }

        void addAll(int[] more) {
            if (size + more.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, values, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
