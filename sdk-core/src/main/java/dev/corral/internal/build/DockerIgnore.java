package dev.corral.internal.build;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code .dockerignore} file: one pattern a line, {@code #} comments, {@code !} for an
 * exception, Go's {@code filepath.Match} syntax ({@code *}, {@code ?}, {@code [a-z]},
 * {@code \} escapes) plus {@code **} for any number of directories; each pattern cleaned and
 * taken relative to the context root. The last pattern that matches a path (or one of its
 * parent directories) decides, as Docker's matcher does.
 */
final class DockerIgnore {
    private record Rule(Pattern pattern, boolean exception) {}

    private final List<Rule> rules;

    private DockerIgnore(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Nothing ignored. */
    static final DockerIgnore NONE = new DockerIgnore(List.of());

    /**
     * @param text the file's text
     * @return its rules
     */
    static DockerIgnore parse(String text) {
        List<Rule> rules = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            boolean exception = l.startsWith("!");
            if (exception) {
                l = l.substring(1).strip();
            }
            l = clean(l);
            if (l.isEmpty() || l.equals(".")) {
                continue;
            }
            rules.add(new Rule(Pattern.compile(regex(l)), exception));
        }
        return new DockerIgnore(rules);
    }

    /** Like Go's filepath.Clean, relative to the root: no leading '/', no '.', '..' resolved, no repeated '/'. */
    static String clean(String p) {
        List<String> parts = new ArrayList<>();
        for (String s : p.split("/")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
                continue;
            }
            parts.add(s);
        }
        return String.join("/", parts);
    }

    private static String regex(String pattern) {
        StringBuilder re = new StringBuilder("^");
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '/') {
                        i++;
                        re.append("(.*/)?"); /* "**\/" : zero or more directories */
                    } else {
                        re.append(".*");
                    }
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                re.append("[^/]");
            } else if (c == '[') {
                int end = pattern.indexOf(']', i + 1);
                if (end < 0) {
                    re.append("\\[");
                } else {
                    String cls = pattern.substring(i + 1, end);
                    if (cls.startsWith("^") || cls.startsWith("!")) {
                        cls = "^" + cls.substring(1);
                    }
                    re.append('[').append(cls.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                    i = end;
                }
            } else if (c == '\\' && i + 1 < pattern.length()) {
                re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.append('$').toString();
    }

    /**
     * @param path a path relative to the context root, '/'-separated
     * @return whether the build may not see it
     */
    boolean ignored(String path) {
        boolean ignored = false;
        String p = clean(path);
        for (Rule r : rules) {
            if (r.exception() == ignored && matchesSelfOrParent(r.pattern(), p)) {
                ignored = !r.exception();
            }
        }
        return ignored;
    }

    private static boolean matchesSelfOrParent(Pattern pattern, String p) {
        if (pattern.matcher(p).matches()) {
            return true;
        }
        for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
            if (pattern.matcher(p.substring(0, i)).matches()) {
                return true;
            }
        }
        return false;
    }

    /** @return whether any exception rule exists (then an ignored directory may still hold kept files) */
    boolean hasExceptions() {
        return rules.stream().anyMatch(Rule::exception);
    }
}
