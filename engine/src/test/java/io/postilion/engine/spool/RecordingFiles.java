package io.postilion.engine.spool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Real files, with every durability-relevant call written down in order (CLARIFICATIONS 25). */
final class RecordingFiles implements SpoolFiles {

    final List<String> events = new CopyOnWriteArrayList<>();
    private final SpoolFiles real = new ChannelSpoolFiles();
    private final Path root;
    volatile long createDelayMillis;

    RecordingFiles(Path root) {
        this.root = root;
    }

    private String rel(Path p) {
        return root.relativize(p).toString();
    }

    @Override
    public void create(Path file, byte[] bytes) throws IOException {
        real.create(file, bytes);
        events.add("create+force " + rel(file));
        if (createDelayMillis > 0) {
            try {
                Thread.sleep(createDelayMillis); // a slow disk flush
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void append(Path file, byte[] bytes) throws IOException {
        real.append(file, bytes);
        events.add("append " + rel(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        real.rename(from, to);
        events.add("rename " + rel(from) + " " + rel(to));
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        real.forceDirectory(dir);
        events.add("force-dir " + rel(dir));
    }

    @Override
    public void delete(Path file) throws IOException {
        real.delete(file);
        events.add("delete " + rel(file));
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        return real.list(dir);
    }

    @Override
    public byte[] read(Path file) throws IOException {
        return real.read(file);
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        real.createDirectories(dir);
    }

    long count(String prefix) {
        return events.stream().filter(e -> e.startsWith(prefix)).count();
    }
}
