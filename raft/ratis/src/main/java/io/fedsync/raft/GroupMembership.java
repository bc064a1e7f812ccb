package io.fedsync.raft;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group's membership, as {@link RaftNode} describes it: which configuration a replica starts
 * with ({@link #initialGroup}), and changes of it through the leader ({@link #add}, {@link #remove}).
 */
final class GroupMembership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupMembership.class);
    /** Like {@code node.id} in the config file. */
    private static final Pattern ID = Pattern.compile("[a-z0-9-]{1,63}");
    private static final Duration RETRY_SLEEP = Duration.ofMillis(200);

    private final String tag;
    private final RaftPeerId selfId;
    private final RaftGroupId groupId;
    private final Supplier<RaftServer.Division> division;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final ExecutorService caller;

    GroupMembership(String tag, RaftPeerId selfId, RaftGroupId groupId, Supplier<RaftServer.Division> division,
                    Duration timeout) {
        this.tag = tag;
        this.selfId = selfId;
        this.groupId = groupId;
        this.division = division;
        this.timeout = timeout;
        this.caller = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fedsync-raft-membership-" + selfId);
            t.setDaemon(true);
            return t;
        });
    }

    // ------------------------------------------------------------------ starting

    /**
     * The group to build the Ratis server with. With a configuration in storage ({@code
     * raft-meta.conf}, written once the first configuration entry is applied) Ratis uses that one
     * whatever it is given, so the file's group is passed. Without, the listed peers are asked.
     */
    static RaftGroup initialGroup(String tag, RaftGroup fileGroup, RaftPeerId self, Path groupDir, Duration probeTimeout) {
        if (Files.isRegularFile(groupDir.resolve("current").resolve("raft-meta.conf"))) {
            LOG.info("{} the group's configuration is in {}: the config file's peers are not used", tag, groupDir);
            return fileGroup;
        }
        for (RaftPeer peer : fileGroup.getPeers()) {
            if (peer.getId().equals(self)) {
                continue;
            }
            Optional<RaftGroup> answer = probe(tag, peer, fileGroup.getGroupId(), probeTimeout);
            if (answer.isEmpty() || answer.get().getPeers().isEmpty()) {
                continue;
            }
            RaftGroup group = answer.get();
            if (group.getPeer(self) != null) {
                LOG.info("{} {} says the group is {}: joining it", tag, peer.getId(), ids(group.getPeers()));
                return group;
            }
            LOG.info("{} {} says the group is {}, without this replica: starting as {}, waiting to be added"
                            + " (fedsyncctl peers add {} {})", tag, peer.getId(), ids(group.getPeers()),
                    RaftNode.NOT_MEMBER, self, fileGroup.getPeer(self).getAddress());
            return RaftGroup.valueOf(fileGroup.getGroupId());
        }
        LOG.info("{} no other listed replica answered: forming the group {} of the config file", tag,
                ids(fileGroup.getPeers()));
        return fileGroup;
    }

    private static Optional<RaftGroup> probe(String tag, RaftPeer peer, RaftGroupId groupId, Duration probeTimeout) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, millis(probeTimeout));
        try (RaftClient c = RaftClient.newBuilder().setRaftGroup(RaftGroup.valueOf(groupId, peer))
                .setProperties(props).setParameters(new Parameters())
                .setRetryPolicy(RetryPolicies.noRetry()).build()) {
            GroupInfoReply reply = c.getGroupManagementApi(peer.getId()).info(groupId);
            if (reply == null || !reply.isSuccess()) {
                return Optional.empty();
            }
            return Optional.of(reply.getGroup());
        } catch (IOException | RuntimeException e) {
            LOG.info("{} asked {} ({}) for the group: no answer ({})", tag, peer.getId(), peer.getAddress(),
                    e.getClass().getSimpleName());
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ changes

    /** The current configuration's voting members, by id; empty when this replica has none. */
    List<RaftPeer> members() {
        RaftServer.Division d = division.get();
        if (d == null) {
            return List.of();
        }
        return sorted(d.getRaftConf().getCurrentPeers());
    }

    /** Whether this replica is a voting member of the configuration it has (current or previous). */
    boolean isMember() {
        RaftServer.Division d = division.get();
        if (d == null) {
            return false;
        }
        RaftConfiguration conf = d.getRaftConf();
        return conf.getCurrentPeers().stream().anyMatch(p -> p.getId().equals(selfId))
                || conf.getPreviousPeers().stream().anyMatch(p -> p.getId().equals(selfId));
    }

    /** Adds a replica; returns the new configuration's members once committed. */
    List<RaftPeer> add(String id, String address) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new MembershipException(MembershipException.Kind.INVALID, "'" + id + "' is not a valid replica id:"
                    + " use 1 to 63 of a-z, 0-9 and '-', like node.id");
        }
        RaftPeer peer;
        try {
            RaftNode.port(new RaftSettings.Peer(id, address == null ? "" : address));
            peer = RaftPeer.newBuilder().setId(id).setAddress(address).build();
        } catch (IllegalArgumentException e) {
            throw new MembershipException(MembershipException.Kind.INVALID, "address '" + address
                    + "' of replica " + id + " is not host:port (its Raft address, node.raft in its config)");
        }
        return change("add " + id + " at " + address, current -> {
            for (RaftPeer p : current) {
                if (p.getId().toString().equals(id)) {
                    throw new MembershipException(MembershipException.Kind.ALREADY_MEMBER, "replica " + id
                            + " is already a member of the group " + ids(current) + " (at " + p.getAddress() + ")");
                }
                if (address.equals(p.getAddress())) {
                    throw new MembershipException(MembershipException.Kind.ALREADY_MEMBER, "address " + address
                            + " is already used by replica " + p.getId() + " of the group " + ids(current));
                }
            }
            List<RaftPeer> next = new ArrayList<>(current);
            next.add(peer);
            return next;
        });
    }

    /** Removes a replica that does not lead; returns the new configuration's members once committed. */
    List<RaftPeer> remove(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new MembershipException(MembershipException.Kind.INVALID, "'" + id + "' is not a valid replica id");
        }
        return change("remove " + id, current -> {
            if (current.stream().noneMatch(p -> p.getId().toString().equals(id))) {
                throw new MembershipException(MembershipException.Kind.UNKNOWN_PEER, "no replica " + id
                        + " in the group " + ids(current));
            }
            RaftPeerId leader = leaderId();
            if (leader != null && leader.toString().equals(id)) {
                throw new MembershipException(MembershipException.Kind.REFUSED, "replica " + id + " leads the group "
                        + ids(current) + ": the leader is not removed; stop fedsyncd on " + id
                        + " (another replica takes over within seconds), then remove it");
            }
            if (current.size() == 1) {
                throw new MembershipException(MembershipException.Kind.REFUSED, "replica " + id
                        + " is the group's only member");
            }
            return current.stream().filter(p -> !p.getId().toString().equals(id)).toList();
        });
    }

    private interface NextConf {
        List<RaftPeer> from(List<RaftPeer> current);
    }

    private List<RaftPeer> change(String what, NextConf nextConf) {
        if (!lock.tryLock()) {
            throw new MembershipException(MembershipException.Kind.IN_PROGRESS, "another membership change is under"
                    + " way on this replica; try again when it is done");
        }
        try {
            RaftServer.Division d = division.get();
            if (d == null) {
                throw new MembershipException(MembershipException.Kind.FAILED, "the Raft replica is not running");
            }
            if (!isMember()) {
                throw new MembershipException(MembershipException.Kind.NOT_LEADER, "replica " + selfId
                        + " is not a member of the group: ask a member", null, null);
            }
            RaftConfiguration conf = d.getRaftConf();
            if (!conf.getPreviousPeers().isEmpty()) {
                throw new MembershipException(MembershipException.Kind.IN_PROGRESS, "a membership change is under way"
                        + " (from " + ids(conf.getPreviousPeers()) + " to " + ids(conf.getCurrentPeers())
                        + "); try again when it is done");
            }
            List<RaftPeer> current = sorted(conf.getCurrentPeers());
            List<RaftPeer> next = sorted(nextConf.from(current));
            RaftPeerId leader = leaderId();
            if (leader == null) {
                throw new MembershipException(MembershipException.Kind.NOT_LEADER, "the group " + ids(current)
                        + " has no leader now (a majority of its replicas must be up); nothing changed", null, null);
            }
            LOG.info("{} membership: {} (group {} -> {}), through leader {}", tag, what, ids(current), ids(next), leader);
            CompletableFuture<RaftClientReply> sent = CompletableFuture.supplyAsync(
                    () -> send(current, next, leader), caller);
            RaftClientReply reply;
            try {
                reply = sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                sent.cancel(true);
                throw new MembershipException(MembershipException.Kind.TIMED_OUT, what + ": not done within "
                        + timeout.toSeconds() + " s; the change may still complete: check the group with"
                        + " fedsyncctl peers");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MembershipException(MembershipException.Kind.TIMED_OUT, what + ": interrupted; the change may"
                        + " still complete: check the group with fedsyncctl peers");
            } catch (ExecutionException e) {
                throw failure(what, e.getCause(), next);
            }
            if (!reply.isSuccess()) {
                throw failure(what, reply.getException(), next);
            }
            awaitLocally(next);
            LOG.info("{} membership: {} done; the group is {}", tag, what, ids(next));
            return next;
        } finally {
            lock.unlock();
        }
    }

    private RaftClientReply send(List<RaftPeer> current, List<RaftPeer> next, RaftPeerId leader) {
        RaftProperties props = new RaftProperties();
        // The leader answers once the new configuration is committed (after a new replica caught up).
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, millis(timeout));
        int attempts = (int) Math.max(1, timeout.toMillis() / RETRY_SLEEP.toMillis());
        try (RaftClient c = RaftClient.newBuilder().setRaftGroup(RaftGroup.valueOf(groupId, current))
                .setLeaderId(leader).setProperties(props).setParameters(new Parameters())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts, millis(RETRY_SLEEP)))
                .build()) {
            return c.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
                    .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                    .setServersInCurrentConf(current)
                    .setServersInNewConf(next)
                    .build());
        } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private MembershipException failure(String what, Throwable t, List<RaftPeer> next) {
        Throwable cause = t;
        while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        Throwable root = cause;
        if (root instanceof RaftRetryFailureException && root.getCause() != null) {
            root = root.getCause();
        }
        String message = root == null ? "unknown" : root.getMessage();
        if (root instanceof ReconfigurationTimeoutException) {
            return new MembershipException(MembershipException.Kind.FAILED, what + ": the new replica did not catch"
                    + " up in time: is fedsyncd running there, with this group's peers in its config, and reachable"
                    + " at its address? Nothing changed (" + message + ")");
        }
        if (root instanceof ReconfigurationInProgressException) {
            return new MembershipException(MembershipException.Kind.IN_PROGRESS, what + ": another membership change"
                    + " is under way; try again when it is done");
        }
        if (root instanceof SetConfigurationException) {
            return new MembershipException(MembershipException.Kind.IN_PROGRESS, what + ": the group's configuration"
                    + " changed meanwhile; look at it (fedsyncctl peers) and try again");
        }
        if (root instanceof NotLeaderException || root instanceof LeaderNotReadyException
                || root instanceof LeaderSteppingDownException) {
            return new MembershipException(MembershipException.Kind.NOT_LEADER, what + ": the group has no leader"
                    + " that could take it now; nothing changed (" + message + ")", null, null);
        }
        if (root instanceof AlreadyClosedException || root instanceof InterruptedIOException) {
            return new MembershipException(MembershipException.Kind.FAILED, what + ": this replica is stopping");
        }
        return new MembershipException(MembershipException.Kind.FAILED, what + " failed: " + message
                + "; the change may still complete (the group would then be " + ids(next) + "): check it with"
                + " fedsyncctl peers");
    }

    /** So that this replica's status shows the change it answers for (it may apply it a little later). */
    private void awaitLocally(List<RaftPeer> next) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            RaftServer.Division d = division.get();
            if (d == null) {
                return;
            }
            RaftConfiguration conf = d.getRaftConf();
            if (conf.getPreviousPeers().isEmpty() && ids(conf.getCurrentPeers()).equals(ids(next))) {
                return;
            }
            try {
                Thread.sleep(50); // a short, bounded poll of local state
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private RaftPeerId leaderId() {
        RaftServer.Division d = division.get();
        return d == null ? null : d.getInfo().getLeaderId();
    }

    static List<RaftPeer> sorted(Collection<RaftPeer> peers) {
        return peers.stream().sorted(Comparator.comparing(p -> p.getId().toString())).toList();
    }

    static List<String> ids(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).sorted().toList();
    }

    private static TimeDuration millis(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        caller.shutdownNow();
    }
}
