package io.postilion.engine.spool.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@link JournalFiles} on the real file system. Permissions are given at creation, never by a
 * chmod afterwards, so that no other user can open a file in the moment between the two.
 */
final class ChannelJournalFiles implements JournalFiles {

    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    @Override
    public boolean createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return false;
        }
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new NotDirectoryException(dir.toString());
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent); // the parents are not ours: their modes are left to the umask
        }
        Files.createDirectory(dir, DIRECTORY_MODE);
        return true;
    }

    @Override
    public List<Entry> list(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                boolean regular;
                try {
                    regular = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isRegularFile();
                } catch (IOException gone) {
                    regular = false; // vanished or unreadable: the scan ignores it with a warning
                }
                out.add(new Entry(p.getFileName().toString(), regular));
            }
        }
        return out;
    }

    @Override
    public SegmentChannel createSegment(Path file) throws IOException {
        return new Channel(FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                FILE_MODE));
    }

    @Override
    public SegmentChannel openSegment(Path file, boolean writable) throws IOException {
        Set<OpenOption> options = writable
                ? Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)
                : Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        return new Channel(FileChannel.open(file, options));
    }

    @Override
    public boolean delete(Path file) throws IOException {
        return Files.deleteIfExists(file);
    }

    @Override
    public void forceDirectory(Path dir) throws IOException {
        // Linux flushes a directory's entries when a descriptor opened on it for reading is forced.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static final class Channel implements SegmentChannel {
        private final FileChannel ch;

        Channel(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void write(ByteBuffer[] sources) throws IOException {
            int first = 0;
            while (first < sources.length) {
                if (!sources[first].hasRemaining()) {
                    first++;
                    continue;
                }
                ch.write(sources, first, sources.length - first);
            }
        }

        @Override
        public void force() throws IOException {
            ch.force(false);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
