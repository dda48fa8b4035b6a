package io.carpathia.engine.nn;

import java.util.List;

/**
 * A state dict did not fit the module or optimizer it was loaded into. Every problem is listed at once — all missing
 * keys, all unexpected keys, every shape mismatch with both shapes — so one run shows everything a conversion got
 * wrong. Nothing was copied when this is thrown.
 */
public class StateDictException extends IllegalArgumentException {
    private final List<String> missingKeys;
    private final List<String> unexpectedKeys;
    private final List<String> mismatches;

    /**
     * @param target     what was being loaded, e.g. "GPT2LMHeadModel" or "optimizer AdamW"
     * @param mismatches one line per key whose value cannot be taken: the key, what was found, what was expected
     */
    public StateDictException(String target, List<String> missingKeys, List<String> unexpectedKeys,
                              List<String> mismatches) {
        super(message(target, missingKeys, unexpectedKeys, mismatches));
        this.missingKeys = List.copyOf(missingKeys);
        this.unexpectedKeys = List.copyOf(unexpectedKeys);
        this.mismatches = List.copyOf(mismatches);
    }

    public List<String> missingKeys() {
        return missingKeys;
    }

    public List<String> unexpectedKeys() {
        return unexpectedKeys;
    }

    public List<String> mismatches() {
        return mismatches;
    }

    private static String message(String target, List<String> missing, List<String> unexpected,
                                  List<String> mismatches) {
        StringBuilder b = new StringBuilder("cannot load the state dict into ").append(target).append(':');
        section(b, "missing keys", missing);
        section(b, "unexpected keys", unexpected);
        section(b, "mismatches", mismatches);
        return b.toString();
    }

    private static void section(StringBuilder b, String title, List<String> lines) {
        if (lines.isEmpty()) return;
        b.append("\n  ").append(title).append(" (").append(lines.size()).append("):");
        for (String line : lines) b.append("\n    ").append(line);
    }
}
