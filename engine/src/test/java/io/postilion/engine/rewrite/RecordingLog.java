package io.postilion.engine.rewrite;

import java.util.ArrayList;
import java.util.List;

/** A {@link RewriteLog} that keeps what it is told, for assertions. */
final class RecordingLog implements RewriteLog {

    final List<String> infos = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();

    @Override
    public synchronized void info(String line) {
        infos.add(line);
    }

    @Override
    public synchronized void warn(String line) {
        warnings.add(line);
    }
}
