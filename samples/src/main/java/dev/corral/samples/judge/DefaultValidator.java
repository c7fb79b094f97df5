package dev.corral.samples.judge;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The package format's default output validator: a token-by-token diff with its flags
 * {@code case_sensitive}, {@code space_change_sensitive}, {@code float_relative_tolerance ε},
 * {@code float_absolute_tolerance ε} and {@code float_tolerance ε}. It is the judge's own code,
 * so it runs in the judge; a package's custom validator runs in a container.
 *
 * <pre>{@code
 * DefaultValidator v = DefaultValidator.parse(List.of("float_tolerance", "1e-6"));
 * v.check("0.0314\n".getBytes(), "3.14000000e-2".getBytes());   // Optional.empty(): accepted
 * v.check("1 2".getBytes(), "1 3".getBytes());                 // Optional["token 2: expected '2', got '3'"]
 * }</pre>
 *
 * @param caseSensitive        tokens must match byte for byte
 * @param spaceChangeSensitive whitespace must match in kind and amount too
 * @param relativeTolerance    floats within this relative error are accepted, if set
 * @param absoluteTolerance    floats within this absolute error are accepted, if set
 */
public record DefaultValidator(boolean caseSensitive, boolean spaceChangeSensitive,
                               Optional<Double> relativeTolerance, Optional<Double> absoluteTolerance) {

    private static final Pattern FLOAT = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern SPACE = Pattern.compile("[ \\t\\n\\r\\f\\x0B]+");

    /**
     * @param flags the validator's arguments
     * @return the validator they describe
     * @throws ProblemFormatException if a flag is unknown, repeated or missing its value
     */
    public static DefaultValidator parse(List<String> flags) {
        boolean cs = false;
        boolean sc = false;
        Optional<Double> rel = Optional.empty();
        Optional<Double> abs = Optional.empty();
        boolean both = false;
        for (int i = 0; i < flags.size(); i++) {
            String f = flags.get(i);
            switch (f) {
                case "case_sensitive" -> cs = true;
                case "space_change_sensitive" -> sc = true;
                case "float_relative_tolerance", "float_absolute_tolerance", "float_tolerance" -> {
                    if (i + 1 >= flags.size()) {
                        throw new ProblemFormatException("validator flag " + f + " needs a value");
                    }
                    double v = parseTolerance(f, flags.get(++i));
                    if (both || (f.equals("float_tolerance") && (rel.isPresent() || abs.isPresent()))
                            || (f.equals("float_relative_tolerance") && rel.isPresent())
                            || (f.equals("float_absolute_tolerance") && abs.isPresent())) {
                        throw new ProblemFormatException("validator flag " + f + " given twice, or with float_tolerance");
                    }
                    if (f.equals("float_tolerance")) {
                        both = true;
                    }
                    if (!f.equals("float_absolute_tolerance")) {
                        rel = Optional.of(v);
                    }
                    if (!f.equals("float_relative_tolerance")) {
                        abs = Optional.of(v);
                    }
                }
                default -> throw new ProblemFormatException("unknown default validator flag '" + f + "'");
            }
        }
        return new DefaultValidator(cs, sc, rel, abs);
    }

    private static double parseTolerance(String flag, String value) {
        try {
            double v = Double.parseDouble(value);
            if (!(v >= 0)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ProblemFormatException("validator flag " + flag + " needs a number of 0 or more, not '" + value + "'");
        }
    }

    /**
     * @param answer the judge's answer
     * @param output the submission's output
     * @return empty if accepted, else why not
     */
    public Optional<String> check(byte[] answer, byte[] output) {
        String a = new String(answer, StandardCharsets.UTF_8);
        String o = new String(output, StandardCharsets.UTF_8);
        List<String> at = split(a);
        List<String> ot = split(o);
        int n = Math.min(at.size(), ot.size());
        int token = 0;
        for (int i = 0; i < n; i++) {
            String x = at.get(i);
            String y = ot.get(i);
            boolean space = spaceChangeSensitive && (i % 2 == 1) == !startsWithToken(a);
            if (space) {
                if (!x.equals(y)) {
                    return Optional.of("whitespace differs after token " + token);
                }
                continue;
            }
            token++;
            if (!tokenMatches(x, y)) {
                return Optional.of("token " + token + ": expected '" + abbreviate(x) + "', got '" + abbreviate(y) + "'");
            }
        }
        if (at.size() > ot.size()) {
            return Optional.of("output ends early, after " + token + " tokens");
        }
        if (ot.size() > at.size()) {
            return Optional.of("more output than the answer, after " + token + " tokens");
        }
        return Optional.empty();
    }

    /** Tokens; with space_change_sensitive the whitespace runs between them too, in order. */
    private List<String> split(String s) {
        List<String> out = new ArrayList<>();
        if (!spaceChangeSensitive) {
            for (String t : SPACE.split(s.strip())) {
                if (!t.isEmpty()) {
                    out.add(t);
                }
            }
            return out;
        }
        var m = SPACE.matcher(s);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) {
                out.add(s.substring(at, m.start()));
            }
            out.add(m.group());
            at = m.end();
        }
        if (at < s.length()) {
            out.add(s.substring(at));
        }
        return out;
    }

    private static boolean startsWithToken(String s) {
        return s.isEmpty() || !SPACE.matcher(s.substring(0, 1)).matches();
    }

    private boolean tokenMatches(String expected, String got) {
        if ((relativeTolerance.isPresent() || absoluteTolerance.isPresent()) && FLOAT.matcher(expected).matches()) {
            if (!FLOAT.matcher(got).matches()) {
                return false;
            }
            double e = Double.parseDouble(expected);
            double g = Double.parseDouble(got);
            double diff = Math.abs(e - g);
            return diff <= absoluteTolerance.orElse(0.0) || diff <= relativeTolerance.orElse(0.0) * Math.abs(e);
        }
        return caseSensitive ? expected.equals(got) : expected.toLowerCase(Locale.ROOT).equals(got.toLowerCase(Locale.ROOT));
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
