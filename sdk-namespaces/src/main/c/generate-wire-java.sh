#!/bin/sh
# Generates the Java side of the launcher's wire from wire.def, the one definition the C is
# compiled from too: class dev.corral.namespaces.launcher.Wire (package-private constants) and
# the public enum dev.corral.namespaces.LaunchStep.
# usage: generate-wire-java.sh wire.def OUT_ROOT   (a source root, e.g. target/generated-sources/wire)
set -eu
in=$1 root=$2
dir=$root/dev/corral/namespaces/launcher
steps_dir=$root/dev/corral/namespaces
mkdir -p "$dir" "$steps_dir"

# The entries of wire.def, one a line: a macro at the start of a line, outside the #define lines.
entries() { grep -E '^[A-Z_]+\(' "$in"; }

# KIND PREFIX: "    /** text */\n    static final int PREFIX_NAME = VALUE;" for each KIND(NAME, VALUE, "text")
constants() {
  entries | sed -n "s/^$1(\([A-Z0-9_]*\), *\([0-9][0-9]*\), *\"\(.*\)\")\$/    \/** \3 *\/\n    static final int $2\1 = \2;/p"
}

tmp=$dir/Wire.java.tmp
{
  cat <<'HEAD'
package dev.corral.namespaces.launcher;

/**
 * The launcher's wire constants, generated from {@code src/main/c/wire.def}, the definition the
 * launcher itself is compiled from: never write one of these numbers by hand (the build's
 * check-wire.sh refuses it).
 */
final class Wire {
    private Wire() {}

HEAD
  version=$(entries | sed -n 's/^WIRE_VERSION(\([0-9][0-9]*\))$/\1/p')
  [ -n "$version" ] || { echo "wire.def: no WIRE_VERSION" >&2; exit 1; }
  printf '    /** the plan and protocol version */\n    static final int VERSION = %s;\n\n' "$version"
  constants MSG MSG_
  entries | sed -n 's/^TAG(\([A-Z0-9_]*\), *\([0-9][0-9]*\), *"\([a-z]*\)", *"\(.*\)")$/    \/** \4 (shape \3) *\/\n    static final int TAG_\1 = \2;/p'
  printf '    /** @return the shape of a plan record (see wire.def), or null for an unknown tag */\n'
  printf '    static String tagShape(int tag) {\n        return switch (tag) {\n'
  entries | sed -n 's/^TAG(\([A-Z0-9_]*\), *[0-9]*, *"\([a-z]*\)".*/            case TAG_\1 -> "\2";/p'
  printf '            default -> null;\n        };\n    }\n\n'
  constants MOUNT_KIND MOUNT_
  constants MOUNT_FLAG MF_
  constants STDIO_KIND STDIO_
  constants EXIT_HOW EXIT_HOW_
  constants LIMIT ''
  echo '}'
} > "$tmp"
# every entry must have become a constant: a line the patterns above miss is a mistake
want=$(entries | grep -cvE '^(STEP|WIRE_VERSION)\(')
got=$(grep -c 'static final int [A-Z]' "$tmp")
if [ "$want" -ne $((got - 1)) ]; then
  echo "wire.def: $want entries, but $((got - 1)) became constants; check the format" >&2
  exit 1
fi
mv "$tmp" "$dir/Wire.java"

tmp=$steps_dir/LaunchStep.java.tmp
{
  cat <<'HEAD'
package dev.corral.namespaces;

/**
 * A step of the native launcher, in the order it takes them. Generated from
 * {@code src/main/c/wire.def}, the list the launcher itself is compiled from: a failure report
 * carries the step's ordinal. Public, so that module code can name the step a
 * {@code ContainerStartException} reports.
 *
 * <pre>{@code
 * catch (ContainerStartException e) {
 *     if (e.step().orElse(null) == LaunchStep.EXEC) { ... }   // e.step().get().action(): "execute the command"
 * }
 * }</pre>
 */
public enum LaunchStep {
HEAD
  entries | sed -n 's/^STEP(\([A-Z0-9_]*\), *\(".*"\))$/    \/** \2 *\/\n    \1(\2),/p'
  cat <<'TAIL'
    ;

    private final String action;

    LaunchStep(String action) {
        this.action = action;
    }

    /** @return what the launcher was doing in this step, e.g. "bind mount" */
    public String action() {
        return action;
    }

    /**
     * @param ordinal a step number as the launcher reports it
     * @return the step, or empty if the number is unknown
     */
    public static java.util.Optional<LaunchStep> fromOrdinal(int ordinal) {
        LaunchStep[] all = values();
        return ordinal >= 0 && ordinal < all.length ? java.util.Optional.of(all[ordinal]) : java.util.Optional.empty();
    }
}
TAIL
} > "$tmp"
want=$(entries | grep -c '^STEP(')
got=$(grep -c '^    [A-Z0-9_]*("' "$tmp")
if [ "$want" -ne "$got" ]; then
  echo "wire.def: $want steps, but $got became LaunchStep constants; check the format" >&2
  exit 1
fi
mv "$tmp" "$steps_dir/LaunchStep.java"
