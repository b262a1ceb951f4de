package io.postilion.bench.rocks;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound rules for the bench's RocksDB queue: RocksDB's writes, reads and iterator steps are
 * native calls BlockHound does not know (a synced write waits for an fdatasync), so they are
 * marked blocking here and a RocksDB call on an event loop fails the test that made it. Loaded
 * beside the project's own rules (io.postilion.guard.PostilionBlockHoundIntegration).
 */
public final class RocksBlockHoundIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        String db = "org.rocksdb.RocksDB";
        builder.markAsBlocking(db, "write0", "(JJJ)V");
        builder.markAsBlocking(db, "write1", "(JJJ)V");
        builder.markAsBlocking(db, "put", "(JJ[BII[BII)V");
        builder.markAsBlocking(db, "put", "(J[BII[BII)V");
        builder.markAsBlocking(db, "delete", "(JJ[BII)V");
        builder.markAsBlocking(db, "get", "(JJ[BII)[B");
        builder.markAsBlocking(db, "get", "(J[BII)[B");
        builder.markAsBlocking(db, "flushWal", "(JZ)V");
        builder.markAsBlocking(db, "syncWal", "(J)V");
        builder.markAsBlocking("org.rocksdb.RocksIterator", "seek0Jni", "(J[BI)V");
        builder.markAsBlocking("org.rocksdb.RocksIterator", "next0Jni", "(J)V");
    }
}
