package io.carpathia.weights.safetensors;

/** Small text helpers for messages and name checks. */
final class Strings {
    private Strings() {}

    /** The text itself when short, else its start and length, so one hostile name cannot flood a message. */
    static String abbreviate(String s, int max) {
        if (s.length() <= max) return s;
        return s.substring(0, max) + "... (" + s.length() + " characters)";
    }

    /** Index of the first unpaired UTF-16 surrogate, or -1: such a string has no UTF-8 form. */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Orders strings by Unicode code point, which is the byte order of their UTF-8 forms (Rust's string order). */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
