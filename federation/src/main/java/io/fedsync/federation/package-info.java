/**
 * Federation of users, roles and workspaces from host clusters to member clusters: profiles,
 * placement, member copies and jwtSecret fingerprints. Pure logic so far; not wired into fedsyncd
 * (see this module's README).
 */
package io.fedsync.federation;
