package io.fedsync.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fedsync.daemon.FakeMirrorService;
import io.fedsync.daemon.config.ListenAddress;
import io.fedsync.daemon.http.ApiServer;
import io.fedsync.daemon.http.PeerChanges;
import io.fedsync.raft.MembershipException;
import io.fedsync.raft.RaftStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code fedsyncctl peers add|remove} and {@code /api/v1/peers} against real HTTP servers over a
 * fake group: output, errors as JSON with their statuses, a replica that is not a member answering
 * 503 so that the next is asked, exit codes.
 */
class FedsyncctlPeersTest {

    private static final FakeMirrorService MIRROR = new FakeMirrorService();

    /** A member (b) of the group a,b,c led by a; it refuses the way RaftNode does. */
    static final class FakeGroup implements PeerChanges {
        final List<String> members = new CopyOnWriteArrayList<>(List.of("a", "b", "c"));
        final List<String> calls = new CopyOnWriteArrayList<>();

        RaftStatus status() {
            List<RaftStatus.PeerStatus> peers = new ArrayList<>();
            for (String id : members) {
                peers.add(new RaftStatus.PeerStatus(id, "127.0.0.1:71" + (id.charAt(0) - 'a'),
                        id.equals("a") ? "leader" : "follower", 0));
            }
            return new RaftStatus("b", "follower", "a", 3, 7, peers);
        }

        @Override
        public RaftStatus add(String id, String address) {
            calls.add("add " + id + " " + address);
            if (members.contains(id)) {
                throw new MembershipException(MembershipException.Kind.ALREADY_MEMBER, "replica " + id
                        + " is already a member of the group");
            }
            if (id.equals("slow")) {
                throw new MembershipException(MembershipException.Kind.TIMED_OUT, "add slow: not done within 60 s;"
                        + " the change may still complete: check the group with fedsyncctl peers");
            }
            members.add(id);
            return status();
        }

        @Override
        public RaftStatus remove(String id) {
            calls.add("remove " + id);
            if (!members.contains(id)) {
                throw new MembershipException(MembershipException.Kind.UNKNOWN_PEER, "no replica " + id
                        + " in the group " + members);
            }
            if (id.equals("a")) {
                throw new MembershipException(MembershipException.Kind.REFUSED, "replica a leads the group: the leader"
                        + " is not removed; stop fedsyncd on a (another replica takes over within seconds), then"
                        + " remove it");
            }
            members.remove(id);
            return status();
        }
    }

    /** A replica (d) not yet added: every change is refused with 503. */
    static final class NotMember implements PeerChanges {
        @Override
        public RaftStatus add(String id, String address) {
            throw new MembershipException(MembershipException.Kind.NOT_LEADER, "replica d is not a member of the"
                    + " group: ask a member", "a", null);
        }

        @Override
        public RaftStatus remove(String id) {
            return add(id, null);
        }
    }

    private static final FakeGroup GROUP = new FakeGroup();
    private static final RaftStatus NOT_MEMBER = new RaftStatus("d", "not-member", null, 3, 7, List.of());
    private static ApiServer member;
    private static ApiServer notMember;
    private static ApiServer single;
    private static String memberUrl;
    private static String notMemberUrl;
    private static String singleUrl;

    @BeforeAll
    static void start() {
        member = ApiServer.start(MIRROR, new ListenAddress("127.0.0.1", 0), GROUP::status, GROUP);
        notMember = ApiServer.start(MIRROR, new ListenAddress("127.0.0.1", 0), () -> NOT_MEMBER, new NotMember());
        single = ApiServer.start(MIRROR, new ListenAddress("127.0.0.1", 0), () -> null);
        memberUrl = "http://127.0.0.1:" + member.port();
        notMemberUrl = "http://127.0.0.1:" + notMember.port();
        singleUrl = "http://127.0.0.1:" + single.port();
    }

    @AfterAll
    static void stop() {
        member.close();
        notMember.close();
        single.close();
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Fedsyncctl.run(args, new PrintWriter(out), new PrintWriter(err), Map.of());
        return new Run(code, out.toString(), err.toString());
    }

    private static String deadUrl() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private static HttpResponse<String> http(String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("content-type", "application/json");
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void removeThenAddThroughANotMemberFirst() throws Exception {
        // The first URL is a replica not yet added (503): the next one, a member, carries it out.
        Run removed = run("--server", notMemberUrl + "," + memberUrl, "peers", "remove", "c");
        assertThat(removed.code()).as(removed.err()).isZero();
        assertThat(removed.out()).isEqualTo("peer c removed; group is now a,b\n");
        Run added = run("peers", "add", "d", "127.0.0.1:7104", "--server", deadUrl() + "," + memberUrl);
        assertThat(added.code()).as(added.err()).isZero();
        assertThat(added.out()).isEqualTo("peer d added; group is now a,b,d\n");
        assertThat(GROUP.calls).contains("remove c", "add d 127.0.0.1:7104");
        Run list = run("--server", memberUrl, "peers");
        assertThat(list.out()).contains("a   127.0.0.1:710  leader", "d   127.0.0.1:713  follower");
        HttpResponse<String> get = http("GET", memberUrl + "/api/v1/peers", null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).contains("\"leader\":\"a\"", "\"id\":\"d\"");
        GROUP.members.remove("d");
        GROUP.members.add("c");
    }

    @Test
    void refusalsExitOneWithTheDaemonsMessage() throws Exception {
        Run unknown = run("--server", memberUrl, "peers", "remove", "zz");
        assertThat(unknown.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(unknown.err()).contains("answered 404: no replica zz in the group");
        Run present = run("--server", memberUrl, "peers", "add", "b", "127.0.0.1:7199");
        assertThat(present.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(present.err()).contains("answered 409: replica b is already a member");
        Run leader = run("--server", memberUrl, "peers", "remove", "a");
        assertThat(leader.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(leader.err()).contains("answered 409: replica a leads the group", "stop fedsyncd on a");
        Run slow = run("--server", memberUrl, "peers", "add", "slow", "127.0.0.1:7198");
        assertThat(slow.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(slow.err()).contains("answered 504", "may still complete", "fedsyncctl peers");
        Run onlyNotMember = run("--server", notMemberUrl, "peers", "remove", "c");
        assertThat(onlyNotMember.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(onlyNotMember.err()).contains("answered 503: replica d is not a member", "(leader: a)");
        Run noGroup = run("--server", singleUrl, "peers", "remove", "c");
        assertThat(noGroup.code()).isEqualTo(Fedsyncctl.REFUSED);
        assertThat(noGroup.err()).contains("answered 409: this fedsyncd runs without peers");
        Run nobody = run("--server", deadUrl(), "peers", "add", "d", "127.0.0.1:7104");
        assertThat(nobody.code()).isEqualTo(Fedsyncctl.NO_ANSWER);
        assertThat(nobody.err()).contains("no fedsyncd answered");
        Run usage = run("--server", memberUrl, "peers", "add", "d");
        assertThat(usage.code()).isEqualTo(Fedsyncctl.USAGE);
        assertThat(GROUP.members).containsExactly("a", "b", "c");
    }

    @Test
    void aBadBodyIsA400InJson() throws Exception {
        HttpResponse<String> notJson = http("POST", memberUrl + "/api/v1/peers", "id=d");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("\"error\":\"the body is not JSON");
        HttpResponse<String> noAddress = http("POST", memberUrl + "/api/v1/peers", "{\"id\":\"d\"}");
        assertThat(noAddress.statusCode()).isEqualTo(400);
        assertThat(noAddress.body()).contains("Raft address");
        HttpResponse<String> tooLarge = http("POST", memberUrl + "/api/v1/peers", "{\"id\":\"" + "d".repeat(10_000)
                + "\"}");
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(tooLarge.body()).startsWith("{\"error\":");
    }
}
