package dev.corral.internal.build;

import dev.corral.Container;
import dev.corral.ContainerResult;
import dev.corral.ContainerSpec;
import dev.corral.Output;
import dev.corral.Rootfs;
import dev.corral.image.BuildStep;
import dev.corral.image.ImageBuildException;
import dev.corral.image.ImageStore;
import dev.corral.image.WritableLayer;
import dev.corral.internal.archive.ExtractOptions;
import dev.corral.internal.archive.TarExtractor;
import dev.corral.internal.archive.WhiteoutMode;
import dev.corral.internal.image.BuildStorage;
import dev.corral.namespaces.Capability;
import dev.corral.namespaces.CapabilitySet;
import dev.corral.namespaces.Namespace;
import dev.corral.namespaces.NamespaceSet;
import dev.corral.unit.DataSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds an image from a parsed Dockerfile, stage by stage. Every step's result is an image in
 * the store (a config and a manifest; a layer for RUN, COPY, ADD and a WORKDIR that had to be
 * made), recorded in the layer cache under a key chained from the previous step's key, the
 * instruction with its variables expanded, and what it reads: the build arguments a RUN sees, the
 * files a COPY takes (by content). A RUN is an ordinary Corral container on the image so far,
 * with a kept writable layer that becomes the step's layer.
 */
public final class BuildEngine {
    /** The instructions this builder carries out. */
    static final Set<String> SUPPORTED = Set.of("FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "WORKDIR", "USER", "LABEL",
            "EXPOSE", "CMD", "ENTRYPOINT", "SHELL");
    private static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");
    private static final int TAIL = 4000;
    /** The capabilities Docker gives a container's root by default, which Dockerfiles' RUN steps expect. */
    private static final CapabilitySet DOCKER_CAPS = CapabilitySet.of(Capability.CHOWN, Capability.DAC_OVERRIDE,
            Capability.FSETID, Capability.FOWNER, Capability.MKNOD, Capability.NET_RAW, Capability.SETGID,
            Capability.SETUID, Capability.SETFCAP, Capability.SETPCAP, Capability.NET_BIND_SERVICE, Capability.SYS_CHROOT,
            Capability.KILL, Capability.AUDIT_WRITE);

    /**
     * What to build, and how.
     *
     * @param store       the store the images go to
     * @param context     the build context directory
     * @param dockerfile  the Dockerfile's text
     * @param fileName    its name, for messages
     * @param buildArgs   {@code --build-arg} values
     * @param target      the stage to stop at, if not the last
     * @param hostNetwork RUN steps share the host's network instead of having none
     * @param noCache     run every step, reading no cache (results are still cached)
     * @param runOutput   where RUN steps' output goes; captured (and shown on failure) if empty
     * @param listener    told of each step as it is done
     * @param fetchBase   fetches a FROM image the store lacks (a registry pull), giving its manifest digest
     */
    public record Options(ImageStore store, Path context, String dockerfile, String fileName,
                          Map<String, String> buildArgs, Optional<String> target, boolean hostNetwork, boolean noCache,
                          Optional<Output> runOutput, Consumer<BuildStep> listener,
                          Function<String, Optional<String>> fetchBase) {}

    /**
     * What was built.
     *
     * @param digest the last stage's manifest digest
     * @param steps  the steps, in order
     */
    public record Outcome(String digest, List<BuildStep> steps) {}

    private final Options o;
    private final BuildStorage storage;
    private final char escape;
    private final Dockerfile file;
    private final DockerIgnore ignore;
    private final List<BuildStep> steps = new ArrayList<>();
    private final List<Stage> stages = new ArrayList<>();
    private final Map<String, String> globalArgs = new LinkedHashMap<>();

    /** One stage's state as its steps go. */
    private static final class Stage {
        final int index;
        final String alias;
        String digest;
        Map<String, Object> config;
        List<Map<String, Object>> layers;
        String key;
        final Map<String, String> args = new LinkedHashMap<>();
        boolean cmdSet;

        Stage(int index, String alias) {
            this.index = index;
            this.alias = alias;
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> cfg() {
            return (Map<String, Object>) config.computeIfAbsent("config", k -> new LinkedHashMap<String, Object>());
        }

        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            Object e = cfg().get("Env");
            if (e instanceof List<?> l) {
                for (Object kv : l) {
                    String s = String.valueOf(kv);
                    int eq = s.indexOf('=');
                    env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
                }
            }
            return env;
        }

        void env(Map<String, String> env) {
            List<Object> l = new ArrayList<>();
            env.forEach((k, v) -> l.add(k + "=" + v));
            cfg().put("Env", l);
        }

        /** Build arguments then environment variables (which win), for expanding instructions. */
        Map<String, String> vars() {
            Map<String, String> v = new LinkedHashMap<>();
            args.forEach((k, val) -> {
                if (val != null) {
                    v.put(k, val);
                }
            });
            v.putAll(env());
            return v;
        }

        String str(String field) {
            Object v = cfg().get(field);
            return v == null ? "" : v.toString();
        }

        List<String> list(String field) {
            Object v = cfg().get(field);
            List<String> out = new ArrayList<>();
            if (v instanceof List<?> l) {
                l.forEach(x -> out.add(String.valueOf(x)));
            }
            return out;
        }
    }

    private BuildEngine(Options o, Dockerfile file, DockerIgnore ignore) {
        this.o = o;
        this.storage = BuildStorage.of(o.store());
        this.file = file;
        this.escape = file.escape();
        this.ignore = ignore;
    }

    /**
     * Builds.
     *
     * @param o what and how
     * @return the last (or target) stage's image and the steps
     * @throws ImageBuildException naming the instruction and its line when a step fails
     */
    public static Outcome build(Options o) {
        Dockerfile file = Dockerfile.parse(o.dockerfile(), o.fileName());
        DockerIgnore ignore = DockerIgnore.NONE;
        Path di = o.context().resolve(".dockerignore");
        try {
            if (Files.isRegularFile(di)) {
                ignore = DockerIgnore.parse(Files.readString(di));
            }
        } catch (IOException e) {
            throw new ImageBuildException("cannot read " + di + ": " + e, Optional.empty(), e);
        }
        return new BuildEngine(o, file, ignore).run();
    }

    private Outcome run() {
        List<Dockerfile.Instruction> all = file.instructions();
        if (all.stream().noneMatch(i -> i.keyword().equals("FROM"))) {
            throw new ImageBuildException(o.fileName() + ": no FROM instruction: a build starts from an image or scratch",
                    Optional.empty(), null);
        }
        for (Dockerfile.Instruction i : all) {
            if (!SUPPORTED.contains(i.keyword())) {
                throw err(i, i.keyword() + " is not supported by Corral's builder (supported: FROM, RUN, COPY, ADD, "
                        + "ENV, ARG, WORKDIR, USER, LABEL, EXPOSE, CMD, ENTRYPOINT, SHELL)");
            }
        }
        Stage stage = null;
        for (Dockerfile.Instruction i : all) {
            try {
                if (i.keyword().equals("FROM")) {
                    if (stage != null && o.target().isPresent() && o.target().get().equalsIgnoreCase(stage.alias)) {
                        break;
                    }
                    stage = from(i);
                    stages.add(stage);
                } else if (stage == null) {
                    if (!i.keyword().equals("ARG")) {
                        throw err(i, i.keyword() + " comes before the first FROM; only ARG may");
                    }
                    globalArg(i);
                } else {
                    step(stage, i);
                }
            } catch (Words.ExpansionException e) {
                throw err(i, e.getMessage());
            } catch (IOException e) {
                throw new ImageBuildException(where(i) + ": " + e.getMessage(), Optional.of(i.line()), e);
            }
        }
        if (o.target().isPresent() && stages.stream().noneMatch(s -> o.target().get().equalsIgnoreCase(s.alias))) {
            throw new ImageBuildException(o.fileName() + ": no stage named '" + o.target().get() + "'", Optional.empty(), null);
        }
        return new Outcome(stages.get(stages.size() - 1).digest, steps);
    }

    /* ---------------- FROM and ARG ---------------- */

    private void globalArg(Dockerfile.Instruction i) {
        for (String w : Words.split(i.args(), escape)) {
            int eq = w.indexOf('=');
            String name = eq < 0 ? w : w.substring(0, eq);
            String def = eq < 0 ? null : Words.expand(w.substring(eq + 1), escape, globalArgs);
            globalArgs.put(name, o.buildArgs().containsKey(name) ? o.buildArgs().get(name) : def);
        }
    }

    private Stage from(Dockerfile.Instruction i) throws IOException {
        for (String f : i.flags().keySet()) {
            if (!f.equals("platform")) {
                throw err(i, "FROM --" + f + " is not supported");
            }
        }
        String platform = i.flags().getOrDefault("platform", "");
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        if (!platform.isEmpty() && !Words.expand(platform, escape, globalArgs).equals("linux/" + arch)) {
            throw err(i, "FROM --platform=" + platform + ": only this machine's platform, linux/" + arch + ", is built");
        }
        Map<String, String> scope = new LinkedHashMap<>();
        globalArgs.forEach((k, v) -> {
            if (v != null) {
                scope.put(k, v);
            }
        });
        List<String> w = Words.words(i.args(), escape, scope);
        if (w.size() != 1 && !(w.size() == 3 && w.get(1).equalsIgnoreCase("AS"))) {
            throw err(i, "FROM takes an image and optionally AS name, not '" + i.args() + "'");
        }
        String image = w.get(0);
        String alias = w.size() == 3 ? w.get(2).toLowerCase(Locale.ROOT) : null;
        for (Stage s : stages) {
            if (alias != null && alias.equals(s.alias)) {
                throw err(i, "a stage named '" + alias + "' already exists");
            }
        }
        Stage st = new Stage(stages.size(), alias);
        String base;
        Optional<Stage> earlier = stageNamed(image);
        if (earlier.isPresent()) {
            base = earlier.get().digest;
        } else if (image.equals("scratch")) {
            base = scratch();
        } else {
            base = storage.ref(image).orElseGet(() -> {
                try {
                    return storage.resolve(image);
                } catch (RuntimeException e) {
                    Optional<String> fetched;
                    try {
                        fetched = o.fetchBase().apply(image);
                    } catch (RuntimeException f) {
                        throw new ImageBuildException(where(i) + ": " + image + " is not in the store " + storage.root()
                                + ", and fetching it failed: " + f.getMessage(), Optional.of(i.line()), f);
                    }
                    return fetched.orElseThrow(() -> err(i, "no image '" + image + "' in the store " + storage.root()
                            + " (import or pull it first): " + e.getMessage()));
                }
            });
        }
        load(st, base);
        st.key = sha("FROM " + base);
        steps.add(done(st, i, "FROM " + image + (alias == null ? "" : " AS " + alias), true));
        return st;
    }

    private Optional<Stage> stageNamed(String name) {
        for (Stage s : stages) {
            if (name.equalsIgnoreCase(s.alias) || name.equals(String.valueOf(s.index))) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private String scratch() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64");
        config.put("os", "linux");
        config.put("config", new LinkedHashMap<String, Object>());
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", new ArrayList<Object>());
        config.put("rootfs", rootfs);
        return storage.putImage(config, List.of());
    }

    private void load(Stage st, String digest) throws IOException {
        st.digest = digest;
        st.config = storage.config(digest);
        st.layers = new ArrayList<>(storage.layers(digest));
    }

    /* ---------------- the steps ---------------- */

    private void step(Stage st, Dockerfile.Instruction i) throws IOException {
        String kw = i.keyword();
        Map<String, String> vars = st.vars();
        String text;
        String extra = "";
        Copy copy = null;
        switch (kw) {
            case "RUN" -> {
                noFlags(i);
                text = "RUN " + i.json().map(j -> "[exec] " + String.join("\u0000", j)).orElse(i.args());
                StringBuilder a = new StringBuilder();
                runArgs(st).forEach((k, v) -> a.append(k).append('=').append(v).append('\u0000'));
                extra = a + (o.hostNetwork() ? "network=host" : "network=none");
            }
            case "COPY", "ADD" -> {
                copy = copyPlan(st, i, vars);
                text = kw + " " + copy.describe();
                extra = copy.contentKey();
            }
            case "ARG" -> {
                noFlags(i);
                /* the key holds the declaration, not the value: a new value misses the cache where it
                   is used (a RUN sees every ARG; other instructions key on their expanded text) */
                text = "ARG " + i.args();
                for (String w : Words.split(i.args(), escape)) {
                    int eq = w.indexOf('=');
                    String name = eq < 0 ? w : w.substring(0, eq);
                    String value = o.buildArgs().containsKey(name) ? o.buildArgs().get(name)
                            : eq >= 0 ? Words.expand(w.substring(eq + 1), escape, vars)
                            : globalArgs.get(name);
                    st.args.put(name, value);
                }
            }
            default -> {
                noFlags(i);
                text = kw + " " + expandedText(st, i, vars);
            }
        }
        String key = sha(st.key + "\n" + text + "\n" + extra);
        if (!o.noCache()) {
            Optional<String> hit = storage.cached(key);
            if (hit.isPresent()) {
                load(st, hit.get());
                st.key = key;
                if (kw.equals("CMD")) {
                    st.cmdSet = true;
                }
                steps.add(done(st, i, text, true));
                return;
            }
        }
        Map<String, Object> layer = null;
        switch (kw) {
            case "RUN" -> layer = run(st, i);
            case "COPY", "ADD" -> layer = copy.apply(st);
            case "ENV" -> {
                Map<String, String> env = st.env();
                env.putAll(pairs(i, vars, true));
                st.env(env);
            }
            case "LABEL" -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> labels = st.cfg().get("Labels") instanceof Map<?, ?> m
                        ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
                labels.putAll(pairs(i, vars, false));
                st.cfg().put("Labels", labels);
            }
            case "WORKDIR" -> {
                String dir = workdir(st, Words.expand(i.args(), escape, vars));
                st.cfg().put("WorkingDir", dir);
                layer = mkdirs(st, dir);
            }
            case "USER" -> st.cfg().put("User", Words.expand(i.args(), escape, vars));
            case "EXPOSE" -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> ports = st.cfg().get("ExposedPorts") instanceof Map<?, ?> m
                        ? new LinkedHashMap<>((Map<String, Object>) m) : new LinkedHashMap<>();
                for (String p : Words.words(i.args(), escape, vars)) {
                    String port = p.contains("/") ? p.toLowerCase(Locale.ROOT) : p + "/tcp";
                    if (!port.matches("\\d+(-\\d+)?/(tcp|udp|sctp)")) {
                        throw err(i, "EXPOSE " + p + " is not a port, a port range, or either with /tcp, /udp or /sctp");
                    }
                    ports.put(port, new LinkedHashMap<String, Object>());
                }
                st.cfg().put("ExposedPorts", ports);
            }
            case "CMD" -> {
                st.cfg().put("Cmd", command(st, i));
                st.cmdSet = true;
            }
            case "ENTRYPOINT" -> {
                st.cfg().put("Entrypoint", command(st, i));
                if (!st.cmdSet) {
                    st.cfg().remove("Cmd"); /* as Docker: an ENTRYPOINT drops the base image's CMD */
                }
            }
            case "SHELL" -> st.cfg().put("Shell", i.json().orElseThrow(() -> err(i, "SHELL takes the JSON form, "
                    + "e.g. SHELL [\"/bin/bash\", \"-c\"]")));
            case "ARG" -> { /* in the build's state only */ }
            default -> throw err(i, kw + " is not supported");
        }
        commit(st, i, text, layer);
        st.key = key;
        storage.cache(key, st.digest);
        steps.add(done(st, i, text, false));
    }

    private String expandedText(Stage st, Dockerfile.Instruction i, Map<String, String> vars) {
        return switch (i.keyword()) {
            case "CMD", "ENTRYPOINT", "SHELL" -> i.json().map(j -> "[exec] " + String.join("\u0000", j)).orElse(i.args());
            case "ENV", "LABEL" -> pairs(i, vars, i.keyword().equals("ENV")).toString();
            default -> Words.expand(i.args(), escape, vars);
        };
    }

    private void noFlags(Dockerfile.Instruction i) {
        if (!i.flags().isEmpty()) {
            throw err(i, i.keyword() + " --" + i.flags().keySet().iterator().next() + " is not supported");
        }
    }

    private List<String> command(Stage st, Dockerfile.Instruction i) {
        if (i.json().isPresent()) {
            return i.json().get();
        }
        List<String> c = new ArrayList<>(st.list("Shell").isEmpty() ? DEFAULT_SHELL : st.list("Shell"));
        c.add(i.args());
        return c;
    }

    /** {@code K=V K2="V 2"}, or for ENV and LABEL also the old {@code K V...}. */
    private Map<String, String> pairs(Dockerfile.Instruction i, Map<String, String> vars, boolean legacy) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> raw = Words.split(i.args(), escape);
        if (legacy && !raw.get(0).contains("=")) {
            String rest = i.args().substring(i.args().indexOf(raw.get(0)) + raw.get(0).length()).strip();
            if (rest.isEmpty()) {
                throw err(i, i.keyword() + " " + raw.get(0) + " needs a value");
            }
            out.put(raw.get(0), Words.expand(rest, escape, vars));
            return out;
        }
        for (String w : raw) {
            int eq = w.indexOf('=');
            if (eq <= 0) {
                throw err(i, i.keyword() + " expects NAME=VALUE pairs, not '" + w + "'");
            }
            out.put(Words.expand(w.substring(0, eq), escape, vars), Words.expand(w.substring(eq + 1), escape, vars));
        }
        return out;
    }

    private static String workdir(Stage st, String dir) {
        String base = st.str("WorkingDir").isEmpty() ? "/" : st.str("WorkingDir");
        String p = dir.startsWith("/") ? dir : base + "/" + dir;
        return "/" + DockerIgnore.clean(p);
    }

    private void commit(Stage st, Dockerfile.Instruction i, String text, Map<String, Object> layer) {
        Map<String, Object> config = st.config;
        List<Object> history = config.get("history") instanceof List<?> h ? new ArrayList<>(h) : new ArrayList<>();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("created", Instant.now().toString());
        entry.put("created_by", text.replace('\u0000', ' '));
        entry.put("comment", "corral build");
        if (layer == null) {
            entry.put("empty_layer", true);
        }
        history.add(entry);
        config.put("history", history);
        config.put("created", Instant.now().toString());
        if (layer != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> rootfs = config.get("rootfs") instanceof Map<?, ?> r
                    ? new LinkedHashMap<>((Map<String, Object>) r) : new LinkedHashMap<>();
            List<Object> diffIds = rootfs.get("diff_ids") instanceof List<?> d ? new ArrayList<>(d) : new ArrayList<>();
            diffIds.add(layer.get("digest")); /* an uncompressed layer: its digest is its diff_id */
            rootfs.put("type", "layers");
            rootfs.put("diff_ids", diffIds);
            config.put("rootfs", rootfs);
            st.layers.add(layer);
        }
        st.digest = storage.putImage(config, st.layers);
    }

    /* ---------------- RUN ---------------- */

    /** The build arguments in scope that the image's environment does not set: they reach RUN only. */
    private static Map<String, String> runArgs(Stage st) {
        Map<String, String> env = st.env();
        Map<String, String> out = new LinkedHashMap<>();
        st.args.forEach((k, v) -> {
            if (v != null && !env.containsKey(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    private Map<String, Object> run(Stage st, Dockerfile.Instruction i) throws IOException {
        if (st.layers.isEmpty()) {
            throw err(i, "RUN needs a file system to run in, and this stage has none yet (FROM scratch with nothing added)");
        }
        List<String> cmd = i.json().orElseGet(() -> {
            List<String> c = new ArrayList<>(st.list("Shell").isEmpty() ? DEFAULT_SHELL : st.list("Shell"));
            c.add(i.args());
            return c;
        });
        ContainerSpec.Builder b = Container.builder().rootfs(Rootfs.image(o.store(), st.digest)).keepWritableLayer(true)
                .env(runArgs(st));
        String user = st.str("User");
        if (user.isEmpty() || user.matches("(root|0)(:.*)?")) {
            b.capabilities(DOCKER_CAPS); /* a build's root may chown, mknod, setuid as in docker build */
        }
        if (o.hostNetwork()) {
            b.namespaces(NamespaceSet.defaults().without(Namespace.NETWORK));
        }
        if (o.runOutput().isPresent()) {
            b.stdout(o.runOutput().get()).stderr(o.runOutput().get());
        } else {
            b.stdout(Output.capture(DataSize.ofMebibytes(1))).stderr(Output.capture(DataSize.ofMebibytes(1)));
        }
        ContainerResult r;
        try {
            r = b.build().run(cmd);
        } catch (RuntimeException e) {
            throw new ImageBuildException(where(i) + ": the container could not run: " + e.getMessage(),
                    Optional.of(i.line()), e);
        }
        WritableLayer kept = r.writableLayer().orElseThrow(() -> err(i, "the run kept no writable layer"));
        try {
            if (!r.succeeded()) {
                String out = r.stdout() + r.stderr();
                throw err(i, "'" + String.join(" ", cmd) + "' ended with " + r.termination()
                        + r.exitCode().stream().mapToObj(c -> " (exit code " + c + ")").findFirst().orElse("")
                        + (out.isEmpty() ? "" : ":\n" + (out.length() > TAIL ? "..." + out.substring(out.length() - TAIL) : out))
                        + BuildStorage.missingIds().map(m -> "\n(" + m + ")").orElse(""));
            }
            dropMountPoints(kept.directory(), new LayerView(storage.unpack(st.digest)));
            return storage.layerFromDiscarded(kept.directory());
        } finally {
            o.store().discard(kept);
        }
    }

    /** The empty directories a run's mounts needed and the image lacked are not part of its layer. */
    private static void dropMountPoints(Path upper, LayerView below) throws IOException {
        for (String m : List.of("proc", "dev", "sys", "tmp")) {
            Path p = upper.resolve(m);
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && below.find(m).isEmpty()) {
                try (var s = Files.list(p)) {
                    if (s.findAny().isEmpty()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    /* ---------------- WORKDIR ---------------- */

    private Map<String, Object> mkdirs(Stage st, String dir) throws IOException {
        LayerView direct = new LayerView(storage.unpack(st.digest));
        String rel = dir.substring(1);
        Optional<BuildStorage.Copied> chain = chainInNamespace(direct, st.digest, rel);
        try {
            LayerView view = chain.map(LayerView::copied).orElse(direct);
            if (rel.isEmpty() || view.find(rel).filter(p -> Files.isDirectory(p)).isPresent()) {
                return null;
            }
            Path upper = storage.newTmpDir("workdir");
            try {
                Fs.Layer out = new Fs.Layer(upper);
                Fs.parents(out, view, rel + "/x", Optional.empty());
                out.finish();
                return storage.layerFrom(upper, out.owners);
            } finally {
                BuildStorage.deleteTree(upper);
            }
        } finally {
            if (chain.isPresent()) {
                chain.get().close();
            }
        }
    }

    /**
     * The directories along a path that a step writes under, copied out of the user namespace
     * where this process may not look at them: rootless, a COPY or WORKDIR into another container
     * user's 0700 directory must keep that directory's owner and mode (and see what it holds).
     *
     * @param view   the image's view, read by this process
     * @param digest the image
     * @param rel    the path, relative to the root
     * @return the copies, to close when done; empty where this process can look along the path itself
     */
    private Optional<BuildStorage.Copied> chainInNamespace(LayerView view, String digest, String rel) throws IOException {
        try {
            String cur = "";
            for (String part : rel.isEmpty() ? new String[0] : rel.split("/")) {
                cur = cur.isEmpty() ? part : cur + "/" + part;
                Optional<Path> p = view.find(cur);
                if (p.isEmpty() || !Files.isDirectory(p.get(), LinkOption.NOFOLLOW_LINKS)) {
                    break;
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            if (!BuildStorage.deniedButReadableInNamespace(e)) {
                throw e;
            }
            return Optional.of(storage.copyInNamespace(digest, List.of(rel), false));
        }
    }

    /* ---------------- COPY and ADD ---------------- */

    private interface Copy {
        String describe();

        String contentKey() throws IOException;

        Map<String, Object> apply(Stage st) throws IOException;
    }

    private Copy copyPlan(Stage st, Dockerfile.Instruction i, Map<String, String> vars) throws IOException {
        boolean add = i.keyword().equals("ADD");
        for (String f : i.flags().keySet()) {
            if (!Set.of("from", "chown", "chmod", "link").contains(f) || (add && f.equals("from"))) {
                throw err(i, i.keyword() + " --" + f + " is not supported");
            }
        }
        List<String> words = i.json().map(j -> j.stream().map(w -> Words.expand(w, escape, vars)).toList())
                .orElseGet(() -> Words.words(i.args(), escape, vars));
        if (words.size() < 2) {
            throw err(i, i.keyword() + " needs at least one source and a destination");
        }
        String dest = words.get(words.size() - 1);
        List<String> patterns = words.subList(0, words.size() - 1);
        String chown = Words.expand(i.flags().getOrDefault("chown", ""), escape, vars);
        String chmod = Words.expand(i.flags().getOrDefault("chmod", ""), escape, vars);
        if (!chmod.isEmpty() && !chmod.matches("[0-7]{3,4}")) {
            throw err(i, "--chmod=" + chmod + " must be an octal mode such as 0644");
        }
        Optional<String> from = Optional.ofNullable(i.flags().get("from")).map(f -> Words.expand(f, escape, vars));
        LayerView fromView;
        String fromDigest;
        if (from.isPresent()) {
            Optional<Stage> s = stageNamed(from.get());
            if (s.isEmpty() && stages.stream().anyMatch(x -> x != st && from.get().equalsIgnoreCase(x.alias))) {
                throw err(i, "stage '" + from.get() + "' is not built yet");
            }
            if (s.isPresent() && s.get() == st) {
                throw err(i, "COPY --from cannot name its own stage");
            }
            fromDigest = s.isPresent() ? s.get().digest : storage.ref(from.get())
                    .orElseThrow(() -> err(i, "--from=" + from.get() + " names no earlier stage and no image in the store"));
            fromView = new LayerView(storage.unpack(fromDigest));
        } else {
            fromDigest = null;
            fromView = null;
        }
        Fs.Tree tree = fromView != null ? Fs.image(fromView) : Fs.context(o.context(), ignore);
        for (String pat : patterns) {
            if (pat.matches("(?i)^(https?|git)://.*") || pat.startsWith("git@")) {
                throw err(i, i.keyword() + " " + pat + ": only local files are supported, not URLs");
            }
        }
        List<Fs.Source> matched;
        try {
            matched = match(i, tree, patterns, from);
        } catch (IOException e) {
            if (fromDigest == null || !BuildStorage.deniedButReadableInNamespace(e)) {
                throw e;
            }
            matched = null; /* the stage's files are read in the user namespace, when the step runs */
        }
        List<Fs.Source> sources = matched;
        String destAbs = workdir(st, dest);
        String text = (from.map(f -> "--from=" + f + " ").orElse("") + (chown.isEmpty() ? "" : "--chown=" + chown + " ")
                + (chmod.isEmpty() ? "" : "--chmod=" + chmod + " ") + String.join(" ", patterns) + " " + dest);
        return new Copy() {
            @Override
            public String describe() {
                return text;
            }

            @Override
            public String contentKey() throws IOException {
                MessageDigest md = sha256();
                if (fromDigest != null) {
                    /* an image's files are fixed by its digest: the patterns name what is taken */
                    md.update(fromDigest.getBytes(StandardCharsets.UTF_8));
                    for (String pat : patterns) {
                        md.update(pat.getBytes(StandardCharsets.UTF_8));
                        md.update((byte) 0);
                    }
                    return HexFormat.of().formatHex(md.digest());
                }
                for (Fs.Source s : sources) {
                    md.update(s.rel().getBytes(StandardCharsets.UTF_8));
                    md.update((byte) 0);
                    Fs.hashTree(tree, s.rel(), md);
                }
                return HexFormat.of().formatHex(md.digest());
            }

            @Override
            public Map<String, Object> apply(Stage stage) throws IOException {
                LayerView view = new LayerView(storage.unpack(stage.digest));
                Optional<int[]> ids = chown.isEmpty() ? Optional.empty() : Optional.of(Fs.ids(chown, view));
                if (ids.isPresent() && (ids.get()[0] != 0 || ids.get()[1] != 0) && BuildStorage.missingIds().isPresent()) {
                    throw err(i, i.keyword() + " --chown=" + chown + " gives files to " + ids.get()[0] + ":" + ids.get()[1]
                            + ", but " + BuildStorage.missingIds().get());
                }
                Optional<BuildStorage.Copied> chain = chainInNamespace(view, stage.digest, destAbs.substring(1));
                try {
                    return apply(chain.map(LayerView::copied).orElse(view), ids);
                } finally {
                    if (chain.isPresent()) {
                        chain.get().close();
                    }
                }
            }

            /** @param view the image's view along the destination */
            private Map<String, Object> apply(LayerView view, Optional<int[]> ids) throws IOException {
                if (sources != null) {
                    try {
                        return layer(view, ids, tree, sources);
                    } catch (IOException e) {
                        if (fromDigest == null || !BuildStorage.deniedButReadableInNamespace(e)) {
                            throw e;
                        }
                    }
                }
                /* rootless, the stage holds files of other container users that this process may not
                   read: they are copied out in the user namespace, with their owners and modes */
                try (BuildStorage.Copied copied = storage.copyInNamespace(fromDigest, Fs.roots(patterns), true)) {
                    Fs.Tree t = Fs.image(LayerView.copied(copied));
                    return layer(view, ids, t, match(i, t, patterns, from));
                }
            }

            /** The step's layer: the sources copied from {@code tree} into a fresh directory, then its tar. */
            private Map<String, Object> layer(LayerView view, Optional<int[]> ids, Fs.Tree tree, List<Fs.Source> sources)
                    throws IOException {
                boolean destIsDir = dest.endsWith("/") || sources.size() > 1;
                Optional<int[]> owner = ids.isPresent() || fromDigest != null ? ids : Optional.of(new int[] {0, 0});
                int mode = chmod.isEmpty() ? -1 : Integer.parseInt(chmod, 8);
                Path upper = storage.newTmpDir("copy");
                Fs.Layer out = new Fs.Layer(upper);
                try {
                    String destRel = destAbs.substring(1);
                    boolean existingDir = view.find(destRel).filter(p -> Files.isDirectory(p)).isPresent();
                    for (Fs.Source s : sources) {
                        boolean dir = Files.isDirectory(s.host(), LinkOption.NOFOLLOW_LINKS);
                        if (add && !dir && fromDigest == null && Fs.isArchive(s.host())) {
                            String target = destRel;
                            Path into = Fs.parents(out, view, target.isEmpty() ? "x" : target + "/x", ids).getParent();
                            if (target.isEmpty()) {
                                into = upper;
                            }
                            try (InputStream in = Files.newInputStream(s.host())) {
                                TarExtractor.extract(dev.corral.internal.archive.Compression.decompress(in, 256L << 20),
                                        into, ExtractOptions.builder().whiteouts(WhiteoutMode.NONE).allowSetuid(true)
                                                .preserveOwnership(false).build());
                            }
                            Fs.archiveOwners(s.host(), out, into);
                            continue;
                        }
                        String target;
                        if (dir) {
                            target = destRel;
                        } else if (destIsDir || existingDir) {
                            String name = s.host().getFileName().toString();
                            target = destRel.isEmpty() ? name : destRel + "/" + name;
                        } else {
                            target = destRel;
                        }
                        if (target.isEmpty() && !dir) {
                            throw err(i, i.keyword() + " cannot replace the root directory with a file");
                        }
                        if (dir) {
                            if (!target.isEmpty()) {
                                Fs.parents(out, view, target + "/x", ids);
                            }
                            Fs.copyTree(tree, s.rel(), out, target.isEmpty() ? upper : upper.resolve(target), owner, mode);
                        } else {
                            Fs.parents(out, view, target, ids);
                            Fs.copyOne(tree, s.rel(), s.host(), out, upper.resolve(target), owner, mode);
                        }
                    }
                    out.finish();
                    return storage.layerFrom(upper, out.owners);
                } finally {
                    BuildStorage.deleteTree(upper);
                }
            }
        };
    }

    /** The sources the patterns name in a tree, in order; an error naming a pattern that names none. */
    private List<Fs.Source> match(Dockerfile.Instruction i, Fs.Tree tree, List<String> patterns, Optional<String> from)
            throws IOException {
        List<Fs.Source> sources = new ArrayList<>();
        for (String pat : patterns) {
            List<Fs.Source> found = Fs.match(tree, pat);
            if (found.isEmpty()) {
                throw err(i, i.keyword() + " " + pat + ": no such file" + (from.isPresent() ? " in " + from.get()
                        : " in the build context " + o.context() + " (or .dockerignore excludes it)"));
            }
            sources.addAll(found);
        }
        return sources;
    }

    /* ---------------- helpers ---------------- */

    private BuildStep done(Stage st, Dockerfile.Instruction i, String text, boolean cached) {
        BuildStep s = new BuildStep(st.index, i.line(), text.replace('\u0000', ' '), cached);
        o.listener().accept(s);
        return s;
    }

    private String where(Dockerfile.Instruction i) {
        return o.fileName() + " line " + i.line() + " (" + i.keyword() + ")";
    }

    private ImageBuildException err(Dockerfile.Instruction i, String message) {
        return new ImageBuildException(o.fileName() + " line " + i.line() + ": " + message, Optional.of(i.line()), null);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha(String s) {
        return HexFormat.of().formatHex(sha256().digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e);
    }

    static FileTime epoch() {
        return FileTime.fromMillis(0);
    }

    static PathMatcher glob(String pattern) {
        return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    }
}
