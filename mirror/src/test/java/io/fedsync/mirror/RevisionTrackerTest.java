package io.fedsync.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RevisionTrackerTest {

    @Test
    void cursorStaysBelowTheLowestRevisionInFlight() {
        RevisionTracker t = new RevisionTracker(10);
        t.seen(11, 0);
        t.seen(12, 0);
        t.seen(13, 0);
        assertThat(t.cursor()).isEqualTo(10);
        t.done(13);
        t.done(12);
        assertThat(t.cursor()).as("11 still in flight").isEqualTo(10);
        t.done(11);
        assertThat(t.cursor()).isEqualTo(13);
    }

    @Test
    void aRevisionSeenForSeveralKeysIsDoneWhenAllAre() {
        RevisionTracker t = new RevisionTracker(0);
        t.seen(5, 0);
        t.seen(5, 0);
        t.done(5);
        assertThat(t.cursor()).isEqualTo(4);
        assertThat(t.pending()).isEqualTo(1);
        t.done(5);
        assertThat(t.cursor()).isEqualTo(5);
        assertThat(t.pending()).isZero();
    }

    @Test
    void progressMovesAnIdleCursorButNeverPastWorkInFlight() {
        RevisionTracker t = new RevisionTracker(3);
        t.progress(9);
        assertThat(t.cursor()).isEqualTo(9);
        t.seen(10, 0);
        t.progress(20);
        assertThat(t.cursor()).isEqualTo(9);
        assertThat(t.highestSeen()).isEqualTo(20);
        t.progress(15);
        assertThat(t.highestSeen()).as("never goes back").isEqualTo(20);
    }

    @Test
    void lagIsTheAgeOfTheOldestChangeNotYetApplied() {
        RevisionTracker t = new RevisionTracker(0);
        assertThat(t.lagMillis(1_000)).isZero();
        t.seen(1, 100);
        t.seen(2, 400);
        assertThat(t.lagMillis(1_000)).isEqualTo(900);
        t.done(1);
        assertThat(t.lagMillis(1_000)).isEqualTo(600);
        t.done(2);
        assertThat(t.lagMillis(1_000)).isZero();
    }

    @Test
    void doneForAnUnknownRevisionIsIgnored() {
        RevisionTracker t = new RevisionTracker(7);
        t.done(99);
        assertThat(t.cursor()).isEqualTo(7);
    }
}
