package io.carpathia.models.tokenizers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * BERT's WordPiece tokenizer, giving the same tokens as Hugging Face's tokenizers with a {@code BertNormalizer},
 * a {@code BertPreTokenizer} and a {@code WordPiece} model.
 *
 * <p>Encoding, in four steps:
 * <ol>
 *   <li>added tokens such as {@code [MASK]} are cut out of the text, when allowed ({@link #encode(String, boolean)}),
 *       and become their own ids (tokens marked {@code normalized} are looked for in the normalised text instead);</li>
 *   <li>the rest is normalised ({@link BertNormalizer}: control characters, CJK spacing, accents, case);</li>
 *   <li>and split into words at white space and punctuation ({@link BertPreTokenizer});</li>
 *   <li>each word becomes word pieces, greedily: the longest prefix in the vocabulary, then the longest vocabulary
 *       entry {@code ##...} continuing it, and so on. A word longer than {@code maxInputCharsPerWord} code points, or
 *       one whose rest matches no piece, becomes the single unknown token.</li>
 * </ol>
 * {@link #encode(String)} adds no {@code [CLS]}/{@code [SEP]}; {@link BertTokenizer} builds the model inputs.
 * Decoding joins the pieces as Hugging Face's WordPiece decoder: a space before each token except {@code ##}
 * continuations, which lose their prefix, and with {@code cleanup} no space before {@code . , ? !}.
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class WordPieceTokenizer implements Tokenizer {

    public static final String DEFAULT_UNK_TOKEN = "[UNK]";
    public static final String DEFAULT_CONTINUATION_PREFIX = "##";
    public static final int DEFAULT_MAX_INPUT_CHARS_PER_WORD = 100;

    /**
     * A token matched in the text as a whole before the rest is split into words.
     *
     * @param special    a control token ({@code [CLS]}, {@code [PAD]}...): matched only when allowed, and dropped by
     *                   {@link #decode(int[], boolean)} when asked
     * @param normalized looked for in the normalised text (with its content normalised too) rather than in the raw one
     */
    public record AddedToken(String content, int id, boolean special, boolean normalized) {
        public static AddedToken special(String content, int id) {
            return new AddedToken(content, id, true, false);
        }
    }

    /** Token ids and their strings, side by side. */
    record Pieces(int[] ids, String[] tokens) {}

    private final Map<String, Integer> idOfToken;
    private final String[] tokenOfId; // null where no token has the id
    private final boolean[] specialId;
    private final String unkToken;
    private final int unkId;
    private final String continuationPrefix;
    private final int maxInputCharsPerWord;
    private final BertNormalizer normalizer; // null: text is used as it is
    private final boolean cleanupDecoding;
    private final List<AddedToken> addedTokens;
    private final Map<String, AddedToken> rawAddedTokens = new HashMap<>(); // by content
    private final Map<String, AddedToken> normalizedAddedTokens = new HashMap<>(); // by normalised content
    // Alternations of added tokens, longest first; null when there are none of that kind.
    private final Pattern anyRaw;
    private final Pattern nonSpecialRaw;
    private final Pattern anyNormalized;
    private final Pattern nonSpecialNormalized;

    /**
     * @param vocab                token to id, word-initial pieces as they are and continuations with the prefix
     * @param tokenOfLine          for a vocab.txt, the token of each id (a token repeated in the file keeps its last
     *                             id for encoding, while every id still decodes); null to take the inverse of vocab
     * @param normalizer           null to use the text as it is
     * @param addedTokens          tokens matched whole in the text; they may or may not be in {@code vocab}
     * @param cleanupDecoding      remove the space that decoding puts before {@code . , ? !}
     * @param source               the file(s) these came from, for error messages
     */
    WordPieceTokenizer(Map<String, Integer> vocab, String[] tokenOfLine, String unkToken, String continuationPrefix,
                       int maxInputCharsPerWord, BertNormalizer normalizer, List<AddedToken> addedTokens,
                       boolean cleanupDecoding, String source) {
        if (vocab.isEmpty()) throw new TokenizerFormatException(source + ": the vocabulary is empty");
        if (maxInputCharsPerWord < 1) {
            throw new TokenizerFormatException(source + ": max_input_chars_per_word is " + maxInputCharsPerWord
                    + ", expected at least 1");
        }
        this.idOfToken = new HashMap<>(vocab);
        this.unkToken = unkToken;
        this.continuationPrefix = continuationPrefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.normalizer = normalizer;
        this.cleanupDecoding = cleanupDecoding;
        this.addedTokens = List.copyOf(addedTokens);

        int maxId = tokenOfLine != null ? tokenOfLine.length - 1 : -1;
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            if (entry.getValue() < 0) {
                throw new TokenizerFormatException(String.format("%s: token %s has the negative id %d", source,
                        ByteLevelBpeTokenizer.quote(entry.getKey()), entry.getValue()));
            }
            maxId = Math.max(maxId, entry.getValue());
        }
        for (AddedToken added : addedTokens) {
            if (added.id() < 0) {
                throw new TokenizerFormatException(String.format("%s: added token %s has the negative id %d", source,
                        ByteLevelBpeTokenizer.quote(added.content()), added.id()));
            }
            maxId = Math.max(maxId, added.id());
        }
        long tokenCount = (long) vocab.size() + addedTokens.size();
        if (maxId > 2 * tokenCount + 1024) {
            throw new TokenizerFormatException(String.format(
                    "%s: token id %d is far beyond the %d tokens defined; ids are expected to run from 0 with few gaps",
                    source, maxId, tokenCount));
        }
        tokenOfId = new String[maxId + 1];
        specialId = new boolean[maxId + 1];
        if (tokenOfLine != null) {
            System.arraycopy(tokenOfLine, 0, tokenOfId, 0, tokenOfLine.length);
        } else {
            for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
                int id = entry.getValue();
                if (tokenOfId[id] != null) {
                    throw new TokenizerFormatException(String.format("%s: tokens %s and %s both have id %d", source,
                            ByteLevelBpeTokenizer.quote(tokenOfId[id]), ByteLevelBpeTokenizer.quote(entry.getKey()),
                            id));
                }
                tokenOfId[id] = entry.getKey();
            }
        }
        for (AddedToken added : addedTokens) registerAddedToken(added, source);

        Integer unk = idOfToken.get(unkToken);
        if (unk == null) {
            throw new TokenizerFormatException(String.format(
                    "%s: the unknown token %s is not in the vocabulary; WordPiece needs it for words it cannot split",
                    source, ByteLevelBpeTokenizer.quote(unkToken)));
        }
        unkId = unk;

        anyRaw = alternationOf(rawAddedTokens, false);
        nonSpecialRaw = alternationOf(rawAddedTokens, true);
        anyNormalized = alternationOf(normalizedAddedTokens, false);
        nonSpecialNormalized = alternationOf(normalizedAddedTokens, true);
    }

    // ---------------------------------------------------------------------------------------------- loading

    /**
     * A model folder's tokenizer: its {@code tokenizer.json}, or else its {@code vocab.txt} with the settings of its
     * {@code tokenizer_config.json}. See {@link BertTokenizer#fromDirectory(Path)}, which also keeps the
     * {@code [CLS]}/{@code [SEP]} template, truncation and padding.
     */
    public static WordPieceTokenizer fromDirectory(Path directory) throws IOException {
        return BertTokenizer.fromDirectory(directory).wordPiece();
    }

    // ---------------------------------------------------------------------------------------------- encoding

    /** The ids of {@code text}'s word pieces; special tokens written in it (such as {@code [SEP]}) are plain text. */
    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * The ids of {@code text}'s word pieces, with no {@code [CLS]}/{@code [SEP]} added.
     *
     * @param allowSpecial whether special tokens written in the text (such as {@code [MASK]}) become their own ids, as
     *                     Hugging Face does by default; otherwise they are split like any other text
     * @throws IllegalArgumentException if {@code text} is not valid Unicode (an unpaired surrogate)
     */
    public int[] encode(String text, boolean allowSpecial) {
        return pieces(text, allowSpecial).ids();
    }

    /** The word pieces of {@code text} as strings ({@code ["un", "##believ", "##able"]}); special tokens are text. */
    public List<String> tokenize(String text) {
        return List.of(pieces(text, false).tokens());
    }

    /** {@code text} as the normaliser leaves it: the text whose words become the pieces. */
    public String normalize(String text) {
        Utf8.requireValidUnicode(text);
        return normalizer == null ? text : normalizer.normalize(text);
    }

    Pieces pieces(String text, boolean allowSpecial) {
        Utf8.requireValidUnicode(text);
        PieceList out = new PieceList(text.length() / 4 + 8);
        Pattern raw = allowSpecial ? anyRaw : nonSpecialRaw;
        if (raw == null) {
            encodeSegment(text, allowSpecial, out);
        } else {
            Matcher matcher = raw.matcher(text);
            int from = 0;
            while (from < text.length() && matcher.find(from)) {
                encodeSegment(text.substring(from, matcher.start()), allowSpecial, out);
                AddedToken token = rawAddedTokens.get(matcher.group());
                out.add(token.id(), token.content());
                from = matcher.end();
            }
            encodeSegment(text.substring(from), allowSpecial, out);
        }
        return out.toPieces();
    }

    /** Text holding no raw added token: normalise, cut out normalised added tokens, then words and pieces. */
    private void encodeSegment(String text, boolean allowSpecial, PieceList out) {
        if (text.isEmpty()) return;
        String normalized = normalizer == null ? text : normalizer.normalize(text);
        Pattern added = allowSpecial ? anyNormalized : nonSpecialNormalized;
        if (added == null) {
            BertPreTokenizer.forEachWord(normalized, word -> encodeWord(word, out));
            return;
        }
        Matcher matcher = added.matcher(normalized);
        int from = 0;
        while (from < normalized.length() && matcher.find(from)) {
            BertPreTokenizer.forEachWord(normalized.substring(from, matcher.start()), word -> encodeWord(word, out));
            AddedToken token = normalizedAddedTokens.get(matcher.group());
            out.add(token.id(), token.content());
            from = matcher.end();
        }
        BertPreTokenizer.forEachWord(normalized.substring(from), word -> encodeWord(word, out));
    }

    /**
     * Greedy longest-match-first over one word: at each position the longest vocabulary entry (with the continuation
     * prefix after the first piece) that the word continues with. Lengths are counted and shortened in code points,
     * so a piece never ends inside a surrogate pair.
     */
    private void encodeWord(String word, PieceList out) {
        if (word.codePointCount(0, word.length()) > maxInputCharsPerWord) {
            out.add(unkId, unkToken);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer id = null;
            String piece = null;
            while (start < end) {
                piece = start == 0 ? word.substring(0, end) : continuationPrefix + word.substring(start, end);
                id = idOfToken.get(piece);
                if (id != null) break;
                end -= Character.charCount(word.codePointBefore(end));
            }
            if (id == null) { // no piece continues the word here: the whole word is unknown
                out.truncate(mark);
                out.add(unkId, unkToken);
                return;
            }
            out.add(id, piece);
            start = end;
        }
    }

    // ---------------------------------------------------------------------------------------------- decoding

    /** The text of {@code ids}, special tokens included ({@code "[CLS] hello world! [SEP]"}). */
    @Override
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * The text of {@code ids} as Hugging Face's WordPiece decoder writes it: tokens joined by spaces, {@code ##}
     * continuations glued to the token before them (a first token keeps its {@code ##}), and, with cleanup (the
     * default), no space before {@code . , ? !}. The normalisation is not undone: case and accents stay lost.
     *
     * @param skipSpecialTokens leave out special tokens ({@code [CLS]}, {@code [SEP]}, {@code [PAD]}...)
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder out = new StringBuilder(ids.length * 6);
        boolean first = true;
        for (int position = 0; position < ids.length; position++) {
            String token = token(ids[position], position);
            if (skipSpecialTokens && specialId[ids[position]]) continue;
            if (first) {
                appendCleaned(out, token);
            } else if (token.startsWith(continuationPrefix)) {
                appendCleaned(out, token.substring(continuationPrefix.length()));
            } else {
                appendCleaned(out, " " + token);
            }
            first = false;
        }
        return out.toString();
    }

    /** Hugging Face applies its cleanup to each token with its leading space, not to the whole text. */
    private void appendCleaned(StringBuilder out, String token) {
        if (!cleanupDecoding) {
            out.append(token);
            return;
        }
        out.append(token
                .replace(" .", ".")
                .replace(" ?", "?")
                .replace(" !", "!")
                .replace(" ,", ",")
                .replace(" ' ", "'")
                .replace(" n't", "n't")
                .replace(" 'm", "'m")
                .replace(" do not", " don't")
                .replace(" 's", "'s")
                .replace(" 've", "'ve")
                .replace(" 're", "'re"));
    }

    // ---------------------------------------------------------------------------------------------- vocabulary

    /** One more than the largest id (30,522 for bert-base-uncased and all-MiniLM-L6-v2). */
    @Override
    public int vocabSize() {
        return tokenOfId.length;
    }

    /** The id of a vocabulary or added token, written as in the vocabulary ({@code "##ing"}, {@code "[MASK]"}). */
    public OptionalInt tokenId(String token) {
        Integer id = idOfToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with id {@code id}, written as in the vocabulary. */
    public String token(int id) {
        return token(id, -1);
    }

    private String token(int id, int position) {
        if (id < 0 || id >= tokenOfId.length || tokenOfId[id] == null) {
            throw new IllegalArgumentException(String.format("token id %d%s is not in the vocabulary (ids 0..%d)", id,
                    position >= 0 ? " at position " + position : "", vocabSize() - 1));
        }
        return tokenOfId[id];
    }

    /** Whether {@code id} is a special added token such as {@code [CLS]} or {@code [PAD]}. */
    public boolean isSpecial(int id) {
        return id >= 0 && id < specialId.length && specialId[id];
    }

    public String unkToken() {
        return unkToken;
    }

    public int unkTokenId() {
        return unkId;
    }

    public String continuationPrefix() {
        return continuationPrefix;
    }

    public int maxInputCharsPerWord() {
        return maxInputCharsPerWord;
    }

    /** The normaliser, or null when the text is split as it is. */
    public BertNormalizer normalizer() {
        return normalizer;
    }

    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void registerAddedToken(AddedToken added, String source) {
        if (added.content().isEmpty()) {
            throw new TokenizerFormatException(source + ": added token with id " + added.id() + " has empty content");
        }
        String holder = tokenOfId[added.id()];
        if (holder != null && !holder.equals(added.content())) {
            throw new TokenizerFormatException(String.format("%s: added token %s has id %d, which is token %s's",
                    source, ByteLevelBpeTokenizer.quote(added.content()), added.id(),
                    ByteLevelBpeTokenizer.quote(holder)));
        }
        idOfToken.put(added.content(), added.id());
        tokenOfId[added.id()] = added.content();
        specialId[added.id()] = added.special();
        if (!added.normalized()) {
            rawAddedTokens.put(added.content(), added);
        } else {
            String pattern = normalizer == null ? added.content() : normalizer.normalize(added.content());
            if (!pattern.isEmpty()) normalizedAddedTokens.put(pattern, added);
        }
    }

    /**
     * Alternation of the tokens' texts, longest first, so that where several start at one place the longest wins (the
     * leftmost-longest match of Hugging Face's added-token search). Null when no token qualifies.
     */
    private static Pattern alternationOf(Map<String, AddedToken> tokensByText, boolean nonSpecialOnly) {
        List<String> texts = new ArrayList<>();
        tokensByText.forEach((text, token) -> {
            if (!nonSpecialOnly || !token.special()) texts.add(text);
        });
        if (texts.isEmpty()) return null;
        return Pattern.compile(texts.stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote)
                .collect(Collectors.joining("|")));
    }

    /** Growable parallel arrays of ids and token strings. */
    private static final class PieceList {
        private int[] ids;
        private String[] tokens;
        private int size;

        PieceList(int capacity) {
            ids = new int[Math.max(capacity, 8)];
            tokens = new String[ids.length];
        }

        void add(int id, String token) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                tokens = Arrays.copyOf(tokens, size * 2);
            }
            ids[size] = id;
            tokens[size] = token;
            size++;
        }

        int size() {
            return size;
        }

        void truncate(int newSize) {
            Arrays.fill(tokens, newSize, size, null);
            size = newSize;
        }

        Pieces toPieces() {
            return new Pieces(Arrays.copyOf(ids, size), Arrays.copyOf(tokens, size));
        }
    }
}
