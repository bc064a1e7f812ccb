package io.fedsync.conflict;

/** How one version vector relates to another. */
public enum Causality {
    /** Same vector. */
    EQUAL,
    /** The other vector includes every change of this one, and more. */
    BEFORE,
    /** This vector includes every change of the other one, and more. */
    AFTER,
    /** Each has a change the other lacks: the versions conflict. */
    CONCURRENT
}
