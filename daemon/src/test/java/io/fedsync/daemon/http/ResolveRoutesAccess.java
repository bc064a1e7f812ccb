package io.fedsync.daemon.http;

import io.fedsync.conflict.ConflictRecord;

/** Test records shared with tests of other packages. */
public final class ResolveRoutesAccess {

    private ResolveRoutesAccess() {
    }

    public static ConflictRecord userConflict(String id, String emailHost, String emailHost2) {
        return ResolveRoutesTest.userConflict(id, emailHost, emailHost2);
    }
}
