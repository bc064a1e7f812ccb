# Sourced by bin/fedsync-sandbox and bin/fedsync-bench: builds fedsync and runs a main class
# from the itest module's test classes (fixtures included) with the full test classpath.
#   itest_main <repo> <logback file> <main class> [args...]
# FEDSYNC_SKIP_BUILD=1 reuses the last build; FEDSYNC_JAVA_OPTS adds JVM options (split on spaces).

itest_main() {
  local repo="$1" logback="$2" main="$3"
  shift 3
  local classpath_file="$repo/itest/target/test-classpath.txt"
  cd "$repo"
  if [ "${FEDSYNC_SKIP_BUILD:-0}" != "1" ] || [ ! -f "$classpath_file" ] || [ ! -f daemon/target/fedsyncd.jar ]; then
    echo "building fedsync (mvn -DskipTests install) ..." >&2
    mvn -B -q -ntp -Dstyle.color=never -DskipTests install >&2
    mvn -B -q -ntp -Dstyle.color=never -pl itest test-compile dependency:build-classpath \
      -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >&2
  fi
  # shellcheck disable=SC2086
  exec java ${FEDSYNC_JAVA_OPTS:-} -Dlogback.configurationFile="$logback" \
    -cp "itest/target/test-classes:itest/target/classes:$(cat "$classpath_file")" "$main" "$@"
}

# The repository root, also when the script is reached through a symlink.
itest_repo_of() {
  local self="$1" target
  while [ -L "$self" ]; do
    target="$(readlink "$self")"
    case "$target" in
      /*) self="$target" ;;
      *) self="$(dirname "$self")/$target" ;;
    esac
  done
  (cd "$(dirname "$self")/.." && pwd)
}
