package dev.corral.namespaces.seccomp;

/** Runs one system call through a compiled program in the test interpreter. */
final class Sys {
    private final SeccompArchitecture arch;
    private final BpfInterpreter bpf;

    Sys(SeccompProfile profile, SeccompArchitecture arch) {
        this.arch = arch;
        this.bpf = new BpfInterpreter(profile.compile(arch).toByteArray());
    }

    SeccompAction call(String name, long... args) {
        return callNr(arch.syscallNumber(name).orElseThrow(() -> new IllegalArgumentException(name)), args);
    }

    SeccompAction callNr(int nr, long... args) {
        return callArch(arch.auditArch(), nr, args);
    }

    SeccompAction callArch(int auditArch, int nr, long... args) {
        long[] six = new long[6];
        System.arraycopy(args, 0, six, 0, args.length);
        return bpf.run(nr, auditArch, 0, six).action();
    }

    int steps(int nr) {
        return bpf.run(nr, arch.auditArch(), 0, new long[6]).steps();
    }
}
