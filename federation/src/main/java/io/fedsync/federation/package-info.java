/**
 * Federation of users, roles and workspaces from host clusters to member clusters. Not built
 * yet: nothing in this package is wired into fedsyncd.
 */
package io.fedsync.federation;
