package dev.corral.internal.build;

import dev.corral.image.ImageBuildException;
import dev.corral.namespaces.json.JsonTree;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile split into instructions, as Docker's own parser does: parser directives
 * ({@code # escape=`}) only at the very top, comment lines dropped anywhere (also inside a
 * continued instruction), a line ending in the escape character continued on the next one,
 * the keyword case-insensitive, leading {@code --name=value} flags taken apart, and the JSON
 * form ({@code ["a", "b"]}) recognised where it is valid JSON. Heredocs ({@code <<EOF}) are
 * refused with their line. Variables are not expanded here: that needs the build's state.
 */
public final class Dockerfile {
    private static final Pattern DIRECTIVE = Pattern.compile("^#\\s*([a-zA-Z][a-zA-Z0-9]*)\\s*=\\s*(.+?)\\s*$");
    private static final Pattern HEREDOC = Pattern.compile("<<-?\\s*[\"']?[A-Za-z_][A-Za-z0-9_]*[\"']?");

    /**
     * One instruction.
     *
     * @param line    the line it starts on, from 1
     * @param keyword the keyword, upper case
     * @param flags   its leading {@code --name=value} flags, in order ({@code --name} alone maps to "")
     * @param args    the rest, continuation lines joined, leading and trailing blanks removed
     * @param json    the arguments of the JSON form, if the rest is one
     */
    public record Instruction(int line, String keyword, Map<String, String> flags, String args,
                              Optional<List<String>> json) {
        /** Copies the collections. */
        public Instruction {
            flags = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(flags));
            json = json.map(List::copyOf);
        }

        /** @return the instruction as written, for messages and cache keys */
        public String text() {
            StringBuilder b = new StringBuilder(keyword);
            flags.forEach((k, v) -> b.append(" --").append(k).append(v.isEmpty() ? "" : "=" + v));
            return b.append(' ').append(args).toString();
        }
    }

    private final char escape;
    private final List<Instruction> instructions;

    private Dockerfile(char escape, List<Instruction> instructions) {
        this.escape = escape;
        this.instructions = List.copyOf(instructions);
    }

    /** @return the escape character: {@code \} unless the escape directive set {@code `} */
    public char escape() {
        return escape;
    }

    /** @return the instructions, in order */
    public List<Instruction> instructions() {
        return instructions;
    }

    /**
     * Parses a Dockerfile.
     *
     * @param text the file's text
     * @param name the file's name, for messages
     * @return the parsed file
     * @throws ImageBuildException if a directive is invalid, a line has no arguments, or a heredoc is used
     */
    public static Dockerfile parse(String text, String name) {
        String[] lines = text.split("\r?\n", -1);
        char escape = '\\';
        int i = 0;
        boolean seenEscape = false;
        /* directives: comment lines of the form "# key=value" before anything else */
        for (; i < lines.length; i++) {
            Matcher m = DIRECTIVE.matcher(lines[i].strip());
            if (!m.matches()) {
                break;
            }
            String key = m.group(1).toLowerCase(Locale.ROOT);
            if (key.equals("escape")) {
                if (seenEscape) {
                    throw error(name, i + 1, "the escape directive appears twice");
                }
                seenEscape = true;
                String v = m.group(2);
                if (!v.equals("\\") && !v.equals("`")) {
                    throw error(name, i + 1, "the escape directive must be \\ or `, not '" + v + "'");
                }
                escape = v.charAt(0);
            }
            /* syntax=, check=: BuildKit front end choices, nothing for this parser to do */
        }
        List<Instruction> out = new ArrayList<>();
        StringBuilder cur = null;
        int start = 0;
        for (; i < lines.length; i++) {
            String raw = lines[i];
            String trimmed = raw.strip();
            if (trimmed.startsWith("#")) {
                continue; /* a comment, also between continued lines */
            }
            if (cur == null && trimmed.isEmpty()) {
                continue;
            }
            if (cur != null && trimmed.isEmpty()) {
                continue; /* an empty continuation line: Docker skips it */
            }
            String body = cur == null ? raw.stripLeading() : raw;
            String end = body.stripTrailing();
            boolean continued = !end.isEmpty() && end.charAt(end.length() - 1) == escape;
            if (cur == null) {
                cur = new StringBuilder();
                start = i + 1;
            }
            cur.append(continued ? end.substring(0, end.length() - 1) : body);
            if (!continued) {
                out.add(instruction(cur.toString(), start, name, escape));
                cur = null;
            }
        }
        if (cur != null) {
            out.add(instruction(cur.toString(), start, name, escape));
        }
        return new Dockerfile(escape, out);
    }

    private static Instruction instruction(String text, int line, String name, char escape) {
        String t = text.strip();
        int sp = 0;
        while (sp < t.length() && !Character.isWhitespace(t.charAt(sp))) {
            sp++;
        }
        String keyword = t.substring(0, sp).toUpperCase(Locale.ROOT);
        if (!keyword.matches("[A-Z]+")) {
            throw error(name, line, "'" + t.substring(0, sp) + "' is not an instruction");
        }
        String rest = t.substring(sp).strip();
        Map<String, String> flags = new LinkedHashMap<>();
        while (rest.startsWith("--")) {
            int e = 0;
            while (e < rest.length() && !Character.isWhitespace(rest.charAt(e))) {
                e++;
            }
            String flag = rest.substring(2, e);
            int eq = flag.indexOf('=');
            String key = (eq < 0 ? flag : flag.substring(0, eq)).toLowerCase(Locale.ROOT);
            if (key.isEmpty()) {
                break;
            }
            flags.put(key, eq < 0 ? "" : flag.substring(eq + 1));
            rest = rest.substring(e).strip();
        }
        if (rest.isEmpty()) {
            throw error(name, line, keyword + " needs arguments");
        }
        if ((keyword.equals("RUN") || keyword.equals("COPY") || keyword.equals("ADD")) && HEREDOC.matcher(rest).find()
                && !rest.startsWith("[")) {
            throw error(name, line, keyword + " with a heredoc (<<) is not supported; put the text in a file of "
                    + "the build context and COPY it, or use printf in RUN");
        }
        return new Instruction(line, keyword, flags, rest, json(rest));
    }

    /** The JSON form: a JSON array of strings and nothing after it; anything else is the shell form. */
    static Optional<List<String>> json(String s) {
        if (!s.startsWith("[")) {
            return Optional.empty();
        }
        Object tree;
        try {
            tree = JsonTree.parse(s);
        } catch (JsonTree.MalformedJsonException e) {
            return Optional.empty();
        }
        if (!(tree instanceof List<?> items)) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof String text)) {
                return Optional.empty();
            }
            out.add(text);
        }
        return Optional.of(out);
    }

    static ImageBuildException error(String file, int line, String message) {
        return new ImageBuildException(file + " line " + line + ": " + message, Optional.of(line), null);
    }
}
