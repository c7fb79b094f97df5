package dev.corral.samples.compose;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Compose's variable interpolation in a value: {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}}
 * (unset or empty), {@code ${VAR-default}} (unset), {@code ${VAR:?message}} and {@code ${VAR?message}}
 * (an error), {@code ${VAR:+other}} and {@code ${VAR+other}}, and {@code $$} for a literal
 * {@code $}. An unset variable without a default is an empty string and a warning, as in Compose.
 *
 * <pre>{@code
 * Interpolation.apply("${TAG:-latest}", Map.of(), "services.web.image", w -> {});   // "latest"
 * Interpolation.apply("cost: $$5", Map.of(), "x", w -> {});                         // "cost: $5"
 * }</pre>
 */
public final class Interpolation {
    private Interpolation() {}

    /**
     * @param value    a value of the file
     * @param env      the variables
     * @param where    the value's key, for messages
     * @param warnings told of each variable that is not set and has no default
     * @return the value with its variables replaced
     * @throws IllegalArgumentException for a malformed reference or a {@code ?} variable that is not set
     */
    public static String apply(String value, Map<String, String> env, String where, Consumer<String> warnings) {
        if (value.indexOf('$') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= value.length()) {
                out.append('$');
                i++;
            } else if (value.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
            } else if (value.charAt(i + 1) == '{') {
                int end = closing(value, i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException(where + ": '" + value + "' has a '${' without its '}'");
                }
                out.append(expand(value.substring(i + 2, end), env, where, warnings));
                i = end + 1;
            } else if (nameStart(value.charAt(i + 1))) {
                int j = i + 1;
                while (j < value.length() && namePart(value.charAt(j))) {
                    j++;
                }
                out.append(lookup(value.substring(i + 1, j), env, where, warnings));
                i = j;
            } else {
                out.append('$');
                i++;
            }
        }
        return out.toString();
    }

    /** The '}' that closes a '${' at {@code from}, with nested '${...}' in a default. */
    private static int closing(String s, int from) {
        int depth = 0;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '$' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                depth++;
                i++;
            } else if (c == '}') {
                if (depth == 0) {
                    return i;
                }
                depth--;
            }
        }
        return -1;
    }

    private static String expand(String inner, Map<String, String> env, String where, Consumer<String> warnings) {
        int j = 0;
        while (j < inner.length() && (j == 0 ? nameStart(inner.charAt(j)) : namePart(inner.charAt(j)))) {
            j++;
        }
        String name = inner.substring(0, j);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(where + ": '${" + inner + "}' names no variable");
        }
        String op = inner.substring(j);
        if (op.isEmpty()) {
            return lookup(name, env, where, warnings);
        }
        String value = env.get(name);
        for (String o : List.of(":-", "-", ":?", "?", ":+", "+")) {
            if (op.startsWith(o)) {
                String arg = apply(op.substring(o.length()), env, where, warnings);
                boolean colon = o.startsWith(":");
                boolean set = value != null && !(colon && value.isEmpty());
                switch (o.charAt(o.length() - 1)) {
                    case '-': return set ? value : arg;
                    case '+': return set ? arg : "";
                    default:
                        if (!set) {
                            throw new IllegalArgumentException(where + ": variable " + name + " is required"
                                    + (arg.isEmpty() ? "" : ": " + arg));
                        }
                        return value;
                }
            }
        }
        throw new IllegalArgumentException(where + ": '${" + inner + "}' is not a variable reference Compose knows");
    }

    private static String lookup(String name, Map<String, String> env, String where, Consumer<String> warnings) {
        String v = env.get(name);
        if (v == null) {
            warnings.accept(where + ": variable " + name + " is not set, so it is an empty string");
            return "";
        }
        return v;
    }

    private static boolean nameStart(char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean namePart(char c) {
        return nameStart(c) || (c >= '0' && c <= '9');
    }
}
