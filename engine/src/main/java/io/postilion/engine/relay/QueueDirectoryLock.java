package io.postilion.engine.relay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One relay per queue_directory (CLARIFICATIONS 40): the lock file {@code master.lock} in the
 * directory, locked with fcntl (FileChannel.tryLock) and holding the owner's PID, is taken
 * before admin.sock is made and before recovery, so a second relay cannot deliver the same
 * files twice. The kernel drops the lock when the process dies, so a crash leaves none behind.
 */
public final class QueueDirectoryLock implements AutoCloseable {

    /** The lock file's name inside queue_directory. */
    public static final String FILE_NAME = "master.lock";

    /**
     * Directories this JVM holds: a second relay in the same JVM (a test) is refused here, since
     * opening and closing another descriptor of a locked file would drop the process's lock.
     */
    private static final java.util.Set<Path> HELD_HERE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private QueueDirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Another process (or this one) holds the directory: exit 75 (EX_TEMPFAIL). */
    public static final class HeldException extends Exception {
        private static final long serialVersionUID = 1L;

        HeldException(Path directory, String holder) {
            super("queue_directory " + directory + " is in use by another relay (pid " + holder + ")");
        }
    }

    /** Creates the directory if needed and takes its lock; blocks the calling (start-up) thread. */
    public static QueueDirectoryLock acquire(Path directory) throws IOException, HeldException {
        Files.createDirectories(directory);
        Path key = directory.toRealPath();
        if (!HELD_HERE.add(key)) {
            throw new HeldException(directory.toAbsolutePath(), String.valueOf(ProcessHandle.current().pid()));
        }
        try {
            return lock(directory, key);
        } catch (IOException | HeldException | RuntimeException e) {
            HELD_HERE.remove(key);
            throw e;
        }
    }

    private static QueueDirectoryLock lock(Path directory, Path key) throws IOException, HeldException {
        Path file = directory.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldHere) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder;
            try {
                holder = Files.readString(file, StandardCharsets.US_ASCII).strip();
            } finally {
                channel.close();
            }
            throw new HeldException(directory.toAbsolutePath(), holder.isEmpty() ? "unknown" : holder);
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        channel.force(false);
        return new QueueDirectoryLock(key, channel, lock);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
            HELD_HERE.remove(key);
        }
    }
}
