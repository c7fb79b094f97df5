#!/bin/sh
# Generates the Java enum LaunchStep from steps.def, the single list of launcher steps.
# usage: generate-steps-java.sh steps.def OUT.java
set -eu
in=$1 out=$2
mkdir -p "$(dirname "$out")"
tmp=$out.tmp
{
  cat <<'HEAD'
package dev.corral.namespaces;

/**
 * A step of the native launcher, in the order it takes them. Generated from
 * {@code src/main/c/steps.def}, the list the launcher itself is compiled from: a failure report
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
  sed -n 's/^STEP(\([A-Z0-9_]*\), *\(".*"\))$/    \/** \2 *\/\n    \1(\2),/p' "$in"
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
mv "$tmp" "$out"
