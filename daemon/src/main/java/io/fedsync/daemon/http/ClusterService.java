package io.fedsync.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What {@code /api/v1/clusters} answers: the host and member clusters, and joining, unjoining
 * and checking members (see the README's "Joining a member"). Blocking: called on the API's
 * worker threads, never on the event loop.
 *
 * <p>A replica that does not run the federation now ({@link #leading()} false) does not join,
 * unjoin or check: the API forwards those calls to the replica that mirrors, which leads. It
 * answers the list itself only when there is none to forward to.
 */
public interface ClusterService {

    /** Largest join body accepted. */
    int MAX_BODY_BYTES = 16 * 1024;

    record Answer(int status, JsonNode body) {
    }

    /** Whether this replica runs the federation now. */
    boolean leading();

    /** {@code GET /api/v1/clusters}. */
    Answer list();

    /** {@code POST /api/v1/clusters}: join, or with {@code "dryRun": true} say what joining would do. */
    Answer join(byte[] body);

    /** {@code DELETE /api/v1/clusters/{name}}. */
    Answer unjoin(String name);

    /** {@code GET /api/v1/clusters/{name}/jwt}: compares the member's jwtSecret with the hosts' now. */
    Answer checkJwt(String name);
}
