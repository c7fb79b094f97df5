package dev.corral.internal.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The small shell-like language of Dockerfile arguments outside {@code RUN}: words split on
 * blanks, single quotes literal, double quotes with variables, the escape character taking the
 * next character literally, and {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}},
 * {@code ${VAR-default}}, {@code ${VAR:+alternative}}, {@code ${VAR+alternative}},
 * {@code ${VAR:?message}} and {@code ${VAR?message}} expanded from the build's variables.
 */
final class Words {
    private Words() {}

    /** Thrown for {@code ${VAR?message}} on an unset variable and for a malformed expansion. */
    static final class ExpansionException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ExpansionException(String message) {
            super(message);
        }
    }

    /**
     * Splits into words where blanks are neither quoted nor escaped, keeping the quotes and escapes.
     *
     * @param s      the text
     * @param escape the escape character
     * @return the raw words
     */
    static List<String> split(String s, char escape) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            w.append(c);
            if (c == escape && quote != '\'' && i + 1 < s.length()) {
                w.append(s.charAt(++i));
            } else if (quote == 0 && (c == '\'' || c == '"')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            }
        }
        if (inWord) {
            out.add(w.toString());
        }
        return out;
    }

    /**
     * Removes quotes and escapes from a word and expands its variables.
     *
     * @param word   a raw word
     * @param escape the escape character
     * @param vars   the variables
     * @return the word's value
     */
    static String expand(String word, char escape, Map<String, String> vars) {
        StringBuilder out = new StringBuilder();
        int[] pos = {0};
        expandInto(word, pos, escape, vars, out, (char) 0);
        return out.toString();
    }

    /** Expands until the end, or (when {@code stop} is '}') the closing brace of a ${...} word. */
    private static void expandInto(String s, int[] pos, char escape, Map<String, String> vars, StringBuilder out, char stop) {
        char quote = 0;
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]);
            if (stop != 0 && quote == 0 && c == stop) {
                return;
            }
            pos[0]++;
            if (quote == '\'') {
                if (c == '\'') {
                    quote = 0;
                } else {
                    out.append(c);
                }
            } else if (c == escape && pos[0] < s.length()) {
                char n = s.charAt(pos[0]++);
                if (quote == '"' && n != '"' && n != '$' && n != escape) {
                    out.append(c); /* inside double quotes only \" \$ \\ are escapes */
                }
                out.append(n);
            } else if (c == '"' && quote == 0) {
                quote = '"';
            } else if (c == '"') {
                quote = 0;
            } else if (c == '\'' && quote == 0) {
                quote = '\'';
            } else if (c == '$') {
                variable(s, pos, escape, vars, out);
            } else {
                out.append(c);
            }
        }
        if (stop != 0) {
            throw new ExpansionException("missing '}' in '" + s + "'");
        }
    }

    private static void variable(String s, int[] pos, char escape, Map<String, String> vars, StringBuilder out) {
        if (pos[0] >= s.length()) {
            out.append('$');
            return;
        }
        char c = s.charAt(pos[0]);
        if (c != '{') {
            int start = pos[0];
            while (pos[0] < s.length() && isNameChar(s.charAt(pos[0]), pos[0] == start)) {
                pos[0]++;
            }
            if (pos[0] == start) {
                out.append('$');
                return;
            }
            String v = vars.get(s.substring(start, pos[0]));
            out.append(v == null ? "" : v);
            return;
        }
        pos[0]++;
        int start = pos[0];
        while (pos[0] < s.length() && isNameChar(s.charAt(pos[0]), pos[0] == start)) {
            pos[0]++;
        }
        String name = s.substring(start, pos[0]);
        if (name.isEmpty() || pos[0] >= s.length()) {
            throw new ExpansionException("bad substitution in '" + s + "'");
        }
        String value = vars.get(name);
        char op = s.charAt(pos[0]);
        if (op == '}') {
            pos[0]++;
            out.append(value == null ? "" : value);
            return;
        }
        boolean colon = op == ':';
        if (colon) {
            pos[0]++;
            if (pos[0] >= s.length()) {
                throw new ExpansionException("bad substitution in '" + s + "'");
            }
            op = s.charAt(pos[0]);
        }
        if (op != '-' && op != '+' && op != '?') {
            throw new ExpansionException("unsupported substitution '${" + name + (colon ? ":" : "") + op + "...}' in '"
                    + s + "' (supported: ${V}, ${V:-word}, ${V-word}, ${V:+word}, ${V+word}, ${V:?message}, ${V?message})");
        }
        pos[0]++;
        StringBuilder word = new StringBuilder();
        expandInto(s, pos, escape, vars, word, '}');
        pos[0]++; /* the '}' */
        boolean set = colon ? value != null && !value.isEmpty() : value != null;
        switch (op) {
            case '-' -> out.append(set ? value : word);
            case '+' -> out.append(set ? word : "");
            default -> {
                if (!set) {
                    throw new ExpansionException(name + ": " + (word.length() == 0 ? "is not set" : word));
                }
                out.append(value);
            }
        }
    }

    private static boolean isNameChar(char c, boolean first) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
    }

    /**
     * Splits, then expands each word.
     *
     * @param s      the text
     * @param escape the escape character
     * @param vars   the variables
     * @return the words' values
     */
    static List<String> words(String s, char escape, Map<String, String> vars) {
        return split(s, escape).stream().map(w -> expand(w, escape, vars)).toList();
    }
}
