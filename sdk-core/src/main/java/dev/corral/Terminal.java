package dev.corral;

/**
 * A pseudo-terminal for the command, as {@code docker run -t} gives: the command's standard
 * input, output and error are the terminal, which is its controlling terminal (so a shell has
 * job control, and {@code isatty} is true), with this window size. Its output, standard error
 * included, arrives on the spec's {@code stdout}; what the spec's {@code stdin} gives is typed
 * into it. {@link ContainerProcess#resizeTerminal(Terminal)} changes the size while it runs (the
 * command gets {@code SIGWINCH}).
 *
 * <pre>{@code
 * try (ContainerProcess p = Container.builder()
 *         .terminal(Terminal.of(80, 24))
 *         .stdin(Input.pipe())
 *         .stdout(Output.pipe())
 *         .start("/bin/sh")) {
 *     p.stdin().write("stty size\n".getBytes());   // the shell answers "24 80"
 *     p.resizeTerminal(Terminal.of(120, 40));
 * }
 * }</pre>
 *
 * @param columns the window's width in characters, 1 to 65535
 * @param rows    the window's height in lines, 1 to 65535
 */
public record Terminal(int columns, int rows) {
    /** Checks the size. */
    public Terminal {
        if (columns < 1 || columns > 0xffff || rows < 1 || rows > 0xffff) {
            throw new InvalidSpecException("terminal", "a window of " + columns + "x" + rows
                    + " characters: columns and rows must be 1 to 65535");
        }
    }

    /**
     * @param columns the width in characters
     * @param rows    the height in lines
     * @return a terminal of that size
     */
    public static Terminal of(int columns, int rows) {
        return new Terminal(columns, rows);
    }
}
