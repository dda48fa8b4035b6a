package io.carpathia.engine.nn;

import java.util.regex.Pattern;

/**
 * Patterns over dotted parameter names such as {@code h.0.attn.c_attn.weight}. A glob's {@code *} matches any run of
 * characters, dots included (as Python's fnmatch does), and {@code ?} one character; everything else is literal, and
 * the pattern must match the whole name: {@code *.bias}, {@code h.*.attn.*}, {@code ln_?.weight}.
 */
public final class NamePattern {
    private NamePattern() {}

    /** The regular expression equivalent to a glob. */
    public static Pattern glob(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("a name pattern must not be empty");
        }
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) regex.append(Pattern.quote(literal.toString()));
        return Pattern.compile(regex.toString());
    }

    /** True when the whole of {@code name} matches. */
    public static boolean matches(Pattern pattern, String name) {
        return pattern.matcher(name).matches();
    }
}
