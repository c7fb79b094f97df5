package dev.corral.samples.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Splits a Compose {@code command:} or {@code entrypoint:} string into words as Compose does
 * (a POSIX shell's quoting, no expansion): blanks separate words; single quotes keep everything;
 * double quotes keep everything but {@code \"}, {@code \\}, {@code \$} and {@code \`}; a
 * backslash outside quotes keeps the next character.
 *
 * <pre>{@code
 * ShellWords.split("sh -c 'echo \"hi there\"'");   // Optional[[sh, -c, echo "hi there"]]
 * ShellWords.split("echo 'unclosed");              // Optional.empty
 * }</pre>
 */
public final class ShellWords {
    private ShellWords() {}

    /**
     * @param s the string
     * @return its words, or empty when a quote is not closed or it ends in a lone backslash
     */
    public static Optional<List<String>> split(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = s.indexOf('\'', i + 1);
                if (end < 0) {
                    return Optional.empty();
                }
                w.append(s, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                for (;;) {
                    if (i >= s.length()) {
                        return Optional.empty();
                    }
                    char d = s.charAt(i);
                    if (d == '"') {
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < s.length() && "\"\\$`".indexOf(s.charAt(i + 1)) >= 0) {
                        w.append(s.charAt(i + 1));
                        i += 2;
                    } else {
                        w.append(d);
                        i++;
                    }
                }
                inWord = true;
            } else if (c == '\\') {
                if (i + 1 >= s.length()) {
                    return Optional.empty();
                }
                w.append(s.charAt(i + 1));
                inWord = true;
                i += 2;
            } else {
                w.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(w.toString());
        }
        return Optional.of(words);
    }

    /**
     * @param words words
     * @return a string that {@link #split} turns back into the same words (each single-quoted when needed)
     */
    public static String join(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String word : words) {
            if (b.length() > 0) {
                b.append(' ');
            }
            if (!word.isEmpty() && word.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./=:,@%+".indexOf(c) >= 0)) {
                b.append(word);
            } else {
                b.append('\'').append(word.replace("'", "'\\''")).append('\'');
            }
        }
        return b.toString();
    }
}
