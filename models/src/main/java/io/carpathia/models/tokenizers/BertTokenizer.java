package io.carpathia.models.tokenizers;

import io.carpathia.models.tokenizers.WordPieceTokenizer.Pieces;
import io.carpathia.weights.hf.TokenizerFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * BERT's model inputs from text: {@link WordPieceTokenizer} word pieces framed by the post-processing template
 * ({@code [CLS] a [SEP]}, {@code [CLS] a [SEP] b [SEP]} with token types 0 and 1), truncated to a maximum length, and
 * padded into batches. It reproduces Hugging Face's {@code tokenizer(text)} / {@code tokenizer(a, b)} /
 * {@code tokenizer(texts, padding=True)} with {@code add_special_tokens=True}.
 *
 * <pre>{@code
 * BertTokenizer tokenizer = BertTokenizer.fromDirectory(Path.of("all-MiniLM-L6-v2"));
 * BertEncoding one = tokenizer.encode("Hello world!");          // [CLS] hello world ! [SEP]
 * BertBatch batch = tokenizer.encodeBatch(List.of("a", "b c")); // [2, T] ids, types, mask
 * }</pre>
 *
 * <p>Special tokens written in the text ({@code [MASK]}, {@code [SEP]}) are recognised as Hugging Face does by
 * default. Truncation comes from the tokenizer files ({@code truncation.max_length} of a {@code tokenizer.json}, or
 * {@code model_max_length} of a {@code tokenizer_config.json}) and can be replaced with {@link #withMaxLength(int)};
 * it counts the special tokens, so {@code encode} never returns more than the maximum. Single encodings are never
 * padded; batches are padded to their longest row unless told otherwise. Instances are immutable and thread-safe.
 */
public final class BertTokenizer {

    /** Which text loses tokens when a pair is too long, as Hugging Face's {@code TruncationStrategy}. */
    public enum TruncationStrategy {
        /** Shorten the longer text first, down to an even split; a single text is simply shortened. */
        LONGEST_FIRST,
        /** Only the first text; an error if it is too short to make room. */
        ONLY_FIRST,
        /** Only the second text of a pair; an error if it is too short, or for a single text. */
        ONLY_SECOND
    }

    /**
     * Truncation from the right to at most {@code maxLength} tokens, special tokens included.
     *
     * @param maxLength at least the number of special tokens the template adds (2 for a BERT text, 3 for a pair)
     */
    public record Truncation(int maxLength, TruncationStrategy strategy) {
        public Truncation {
            if (maxLength < 0) {
                throw new IllegalArgumentException("truncation maxLength is " + maxLength + ", expected >= 0");
            }
            Objects.requireNonNull(strategy, "strategy");
        }

        public static Truncation longestFirst(int maxLength) {
            return new Truncation(maxLength, TruncationStrategy.LONGEST_FIRST);
        }
    }

    /**
     * How a batch is padded: to its longest row ({@code fixedLength == 0}) or to {@code fixedLength}, then up to a
     * multiple of {@code multipleOf} (0 or 1: no rounding).
     */
    public record Padding(int fixedLength, int multipleOf) {
        public Padding {
            if (fixedLength < 0) {
                throw new IllegalArgumentException("padding fixedLength is " + fixedLength + ", expected >= 0");
            }
            if (multipleOf < 0) {
                throw new IllegalArgumentException("padding multipleOf is " + multipleOf + ", expected >= 0");
            }
        }

        /** To the longest row of the batch (Hugging Face's {@code padding=True}, {@code BatchLongest}). */
        public static Padding longest() {
            return new Padding(0, 0);
        }

        /** Every row to {@code length} positions ({@code padding="max_length"}, {@code Fixed}). */
        public static Padding fixed(int length) {
            if (length < 1) throw new IllegalArgumentException("fixed padding length is " + length + ", expected >= 1");
            return new Padding(length, 0);
        }

        /** This padding, with the length then rounded up to a multiple of {@code multiple} (8 suits tensor cores). */
        public Padding toMultipleOf(int multiple) {
            return new Padding(fixedLength, multiple);
        }

        int lengthFor(int longestRow) {
            int length = fixedLength > 0 ? fixedLength : longestRow;
            if (multipleOf > 1 && length % multipleOf != 0) length += multipleOf - length % multipleOf;
            return length;
        }
    }

    /** An element of a post-processing template: a special token's ids, or one of the texts (0: A, 1: B). */
    sealed interface TemplateItem {
        int typeId();
    }

    record SpecialItem(String name, int[] ids, String[] tokens, int typeId) implements TemplateItem {}

    record SequenceItem(int sequence, int typeId) implements TemplateItem {}

    /** Where the texts and the special tokens go, for one text and for a pair. */
    record Template(List<TemplateItem> single, List<TemplateItem> pair) {
        /** BERT's: {@code [CLS] A [SEP]} and {@code [CLS] A [SEP] B:1 [SEP]:1}. */
        static Template bert(String cls, int clsId, String sep, int sepId) {
            SpecialItem cls0 = new SpecialItem(cls, new int[] {clsId}, new String[] {cls}, 0);
            SpecialItem sep0 = new SpecialItem(sep, new int[] {sepId}, new String[] {sep}, 0);
            SpecialItem sep1 = new SpecialItem(sep, new int[] {sepId}, new String[] {sep}, 1);
            return new Template(List.of(cls0, new SequenceItem(0, 0), sep0),
                    List.of(cls0, new SequenceItem(0, 0), sep0, new SequenceItem(1, 1), sep1));
        }

        /** No special tokens (a {@code tokenizer.json} without post-processor). */
        static Template none() {
            return new Template(List.of(new SequenceItem(0, 0)),
                    List.of(new SequenceItem(0, 0), new SequenceItem(1, 1)));
        }

        static int specialCount(List<TemplateItem> items) {
            int count = 0;
            for (TemplateItem item : items) if (item instanceof SpecialItem special) count += special.ids().length;
            return count;
        }
    }

    private final WordPieceTokenizer wordPiece;
    private final Template template;
    private final Truncation truncation; // null: no truncation
    private final Padding configuredPadding; // null: the files say nothing
    private final String padToken;
    private final int padId; // -1 when the vocabulary has no pad token
    private final int padTypeId;

    BertTokenizer(WordPieceTokenizer wordPiece, Template template, Truncation truncation, Padding configuredPadding,
                  String padToken, int padId, int padTypeId) {
        this.wordPiece = wordPiece;
        this.template = template;
        this.truncation = truncation;
        this.configuredPadding = configuredPadding;
        this.padToken = padToken;
        this.padId = padId;
        this.padTypeId = padTypeId;
        if (truncation != null) requireRoomForSpecialTokens(truncation.maxLength(), false);
    }

    // ---------------------------------------------------------------------------------------------- loading

    /**
     * A model folder's tokenizer: its {@code tokenizer.json} if it has one, else its {@code vocab.txt} with the
     * settings of its {@code tokenizer_config.json} (if present).
     *
     * @throws NoSuchFileException if the folder has neither
     * @throws TokenizerFormatException if the files are not a WordPiece tokenizer this class implements
     */
    public static BertTokenizer fromDirectory(Path directory) throws IOException {
        TokenizerFiles files = TokenizerFiles.find(directory);
        if (files.tokenizerJson().isPresent()) return fromTokenizerJson(files.tokenizerJson().get());
        if (files.vocabTxt().isPresent()) {
            return BertTokenizerFiles.readVocabTxt(files.vocabTxt().get(), files.tokenizerConfigJson().orElse(null));
        }
        throw new NoSuchFileException(directory.toString(), null,
                "no WordPiece tokenizer here: expected tokenizer.json, or vocab.txt (with tokenizer_config.json)");
    }

    /**
     * A Hugging Face {@code tokenizer.json} with a WordPiece model: normalizer {@code BertNormalizer} (or none),
     * pre-tokenizer {@code BertPreTokenizer}, post-processor {@code TemplateProcessing} or {@code BertProcessing} (or
     * none), decoder {@code WordPiece}, and its truncation and padding settings. Anything else is refused, naming it.
     */
    public static BertTokenizer fromTokenizerJson(Path tokenizerJson) throws IOException {
        return BertTokenizerFiles.readTokenizerJson(tokenizerJson);
    }

    /** As {@link #fromTokenizerJson(Path)}, from a stream such as a class-path resource; {@code source} names it. */
    public static BertTokenizer fromTokenizerJson(InputStream tokenizerJson, String source) throws IOException {
        return BertTokenizerFiles.readTokenizerJson(tokenizerJson, source);
    }

    /** BERT's original {@code vocab.txt} (one token a line, the line number is the id), lower-casing as BERT does. */
    public static BertTokenizer fromVocabTxt(Path vocabTxt) throws IOException {
        return BertTokenizerFiles.readVocabTxt(vocabTxt, null);
    }

    /**
     * {@code vocab.txt} with the settings of a {@code tokenizer_config.json}: {@code do_lower_case},
     * {@code strip_accents}, {@code tokenize_chinese_chars}, {@code model_max_length}, the special tokens.
     */
    public static BertTokenizer fromVocabTxt(Path vocabTxt, Path tokenizerConfigJson) throws IOException {
        return BertTokenizerFiles.readVocabTxt(vocabTxt, tokenizerConfigJson);
    }

    // ---------------------------------------------------------------------------------------------- settings

    /** This tokenizer truncating to {@code maxLength} tokens, special tokens included, with its current strategy. */
    public BertTokenizer withMaxLength(int maxLength) {
        TruncationStrategy strategy = truncation != null ? truncation.strategy() : TruncationStrategy.LONGEST_FIRST;
        return withTruncation(new Truncation(maxLength, strategy));
    }

    public BertTokenizer withTruncation(Truncation newTruncation) {
        return new BertTokenizer(wordPiece, template, Objects.requireNonNull(newTruncation, "truncation"),
                configuredPadding, padToken, padId, padTypeId);
    }

    public BertTokenizer withoutTruncation() {
        return new BertTokenizer(wordPiece, template, null, configuredPadding, padToken, padId, padTypeId);
    }

    public Optional<Truncation> truncation() {
        return Optional.ofNullable(truncation);
    }

    /**
     * The padding the tokenizer files ask for ({@code padding} of a {@code tokenizer.json}), for callers who want
     * Hugging Face's configured behaviour:
     * {@code encodeBatch(texts, tokenizer.configuredPadding().orElse(Padding.longest()))}.
     * all-MiniLM-L6-v2's file asks for a fixed 128.
     */
    public Optional<Padding> configuredPadding() {
        return Optional.ofNullable(configuredPadding);
    }

    // ---------------------------------------------------------------------------------------------- encoding

    /** {@code [CLS] text [SEP]}, truncated to the maximum length; an empty text gives {@code [CLS] [SEP]}. */
    public BertEncoding encode(String text) {
        return build(wordPiece.pieces(text, true), null);
    }

    /** {@code [CLS] first [SEP] second [SEP]}, token types 0 then 1, truncated as the strategy says. */
    public BertEncoding encodePair(String first, String second) {
        return build(wordPiece.pieces(first, true), wordPiece.pieces(second, true));
    }

    /** The texts encoded and right-padded to the longest. */
    public BertBatch encodeBatch(List<String> texts) {
        return encodeBatch(texts, Padding.longest());
    }

    public BertBatch encodeBatch(List<String> texts, Padding padding) {
        List<BertEncoding> encodings = new ArrayList<>(texts.size());
        for (String text : texts) encodings.add(encode(text));
        return pad(encodings, padding);
    }

    /** Text pairs ({@code firsts.get(i)}, {@code seconds.get(i)}) encoded and right-padded to the longest. */
    public BertBatch encodePairBatch(List<String> firsts, List<String> seconds, Padding padding) {
        if (firsts.size() != seconds.size()) {
            throw new IllegalArgumentException(String.format("%d first texts but %d second texts", firsts.size(),
                    seconds.size()));
        }
        List<BertEncoding> encodings = new ArrayList<>(firsts.size());
        for (int i = 0; i < firsts.size(); i++) encodings.add(encodePair(firsts.get(i), seconds.get(i)));
        return pad(encodings, padding);
    }

    /**
     * Encodings padded on the right to one length with the pad token, token type {@link #padTypeId()} and mask 0.
     *
     * @throws IllegalArgumentException if a fixed length is shorter than an encoding (truncate to it instead)
     */
    public BertBatch pad(List<BertEncoding> encodings, Padding padding) {
        int longest = 0;
        for (BertEncoding encoding : encodings) longest = Math.max(longest, encoding.length());
        int length = padding.lengthFor(longest);
        List<BertEncoding> rows = new ArrayList<>(encodings.size());
        for (int b = 0; b < encodings.size(); b++) {
            BertEncoding encoding = encodings.get(b);
            if (encoding.length() > length) {
                throw new IllegalArgumentException(String.format(
                        "text %d has %d tokens, more than the fixed padding length %d; truncate to %d (withMaxLength) "
                                + "or pad to the longest", b, encoding.length(), length, length));
            }
            if (encoding.length() < length && padId < 0) {
                throw new IllegalStateException(
                        "cannot pad text " + b + ": this tokenizer's vocabulary has no pad token");
            }
            rows.add(encoding.padded(length, padId, padToken, padTypeId));
        }
        return new BertBatch(rows, length);
    }

    /** Frames the pieces with the template, after truncating them so that the whole fits the maximum length. */
    private BertEncoding build(Pieces first, Pieces second) {
        boolean isPair = second != null;
        List<TemplateItem> items = isPair ? template.pair() : template.single();
        int firstLength = first.ids().length;
        int secondLength = isPair ? second.ids().length : 0;
        int keepFirst = firstLength;
        int keepSecond = secondLength;
        if (truncation != null) {
            int budget = requireRoomForSpecialTokens(truncation.maxLength(), isPair);
            int[] kept = truncatedLengths(firstLength, secondLength, isPair, budget, truncation.strategy());
            keepFirst = kept[0];
            keepSecond = kept[1];
        }

        int total = Template.specialCount(items) + keepFirst + keepSecond;
        int[] ids = new int[total];
        int[] types = new int[total];
        String[] tokens = new String[total];
        int at = 0;
        for (TemplateItem item : items) {
            if (item instanceof SpecialItem special) {
                for (int k = 0; k < special.ids().length; k++, at++) {
                    ids[at] = special.ids()[k];
                    tokens[at] = special.tokens()[k];
                    types[at] = special.typeId();
                }
            } else if (item instanceof SequenceItem sequence) {
                Pieces pieces = sequence.sequence() == 0 ? first : second;
                int keep = sequence.sequence() == 0 ? keepFirst : keepSecond;
                System.arraycopy(pieces.ids(), 0, ids, at, keep);
                System.arraycopy(pieces.tokens(), 0, tokens, at, keep);
                Arrays.fill(types, at, at + keep, sequence.typeId());
                at += keep;
            }
        }
        int[] mask = new int[total];
        Arrays.fill(mask, 1);
        int cut = (firstLength - keepFirst) + (secondLength - keepSecond);
        return new BertEncoding(ids, types, mask, Arrays.asList(tokens), cut);
    }

    /** The tokens left for the texts once the template's special tokens are counted. */
    private int requireRoomForSpecialTokens(int maxLength, boolean isPair) {
        int special = Template.specialCount(isPair ? template.pair() : template.single());
        if (maxLength < special) {
            throw new IllegalArgumentException(String.format(
                    "maximum length %d cannot hold the %d special tokens added to a %s", maxLength, special,
                    isPair ? "text pair" : "text"));
        }
        return maxLength - special;
    }

    /**
     * How many tokens of each text to keep so that both fit in {@code budget}, as Hugging Face's
     * {@code truncate_encodings}. Longest-first on a pair: with n1 <= n2 the lengths, the shorter keeps everything if
     * it fits in half the budget and the longer gets the rest; otherwise the budget is split evenly, the longer text
     * getting the odd token. Equal lengths count the first text as the shorter. (This is tokenizers 0.21 and 0.22;
     * 0.23 first cuts each text to the maximum, which moves the odd token when both texts exceed it.)
     */
    static int[] truncatedLengths(int first, int second, boolean isPair, int budget, TruncationStrategy strategy) {
        int total = first + second;
        if (total <= budget) return new int[] {first, second};
        int toRemove = total - budget;
        switch (strategy) {
            case LONGEST_FIRST -> {
                if (!isPair) return new int[] {budget, 0};
                boolean swapped = first > second;
                int shorter = Math.min(first, second);
                int longer;
                if (shorter > budget) {
                    longer = shorter;
                } else {
                    longer = Math.max(shorter, budget - shorter);
                }
                if (shorter + longer > budget) {
                    shorter = budget / 2;
                    longer = shorter + budget % 2;
                }
                return swapped ? new int[] {longer, shorter} : new int[] {shorter, longer};
            }
            case ONLY_FIRST -> {
                if (first <= toRemove) throw tooShort("first", first, toRemove);
                return new int[] {first - toRemove, second};
            }
            case ONLY_SECOND -> {
                if (!isPair) {
                    throw new IllegalArgumentException("truncation strategy ONLY_SECOND needs a text pair, but "
                            + "a single text of " + first + " tokens is longer than the " + budget + " allowed");
                }
                if (second <= toRemove) throw tooShort("second", second, toRemove);
                return new int[] {first, second - toRemove};
            }
            default -> throw new AssertionError(strategy);
        }
    }

    private static IllegalArgumentException tooShort(String which, int length, int toRemove) {
        return new IllegalArgumentException(String.format(
                "truncation: the %s text has %d tokens, too few to remove the %d needed to fit the maximum length",
                which, length, toRemove));
    }

    // ---------------------------------------------------------------------------------------------- decoding

    /** The text of {@code ids}: word pieces joined, {@code ##} glued, special tokens and padding left out if asked. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return wordPiece.decode(ids, skipSpecialTokens);
    }

    // ---------------------------------------------------------------------------------------------- accessors

    /** The word-piece tokenizer underneath (normaliser, vocabulary, pieces without special tokens). */
    public WordPieceTokenizer wordPiece() {
        return wordPiece;
    }

    public int vocabSize() {
        return wordPiece.vocabSize();
    }

    /** Number of special tokens the template adds: 2 for a BERT text ({@code [CLS]}, {@code [SEP]}), 3 for a pair. */
    public int specialTokenCount(boolean pair) {
        return Template.specialCount(pair ? template.pair() : template.single());
    }

    /** The padding token's id (0 for BERT's {@code [PAD]}). */
    public int padTokenId() {
        if (padId < 0) throw new IllegalStateException("this tokenizer's vocabulary has no pad token");
        return padId;
    }

    public String padToken() {
        return padToken;
    }

    public int padTypeId() {
        return padTypeId;
    }

    Template template() {
        return template;
    }
}
