# shellcheck shell=bash
# Sourced by .ci/run and by the background Docker preparation (.ci/docker.sh):
# sections with their wall time, and apt-get for two processes at once.
#
# CI_RUN_DIR (made by .ci/run, exported) holds this run's files: the section
# timings, the background job's log, the snapshots the product image is built from.

# ci_section NAME prints the "== NAME" header and starts timing NAME; the
# section runs until the next ci_section (or ci_section_end). Its wall time
# goes to $CI_RUN_DIR/timings, tagged with CI_TIMING_TAG (the background job
# tags its steps "docker prep").
ci_section() {
  ci_section_end
  echo "== $*"
  ci_section_name=$*
  ci_section_start=$(date +%s)
}

ci_section_end() {
  if [ -n "${ci_section_name:-}" ]; then
    printf '%s\t%s\t%s\t%s\n' "${CI_TIMING_TAG:-}" "$ci_section_start" "$(date +%s)" "$ci_section_name" \
      >>"$CI_RUN_DIR/timings"
  fi
  ci_section_name=
}

# ci_timing_summary prints the wall seconds of each section; background
# steps are shown with the interval they ran in, counted from the start of
# the run, so a log shows what overlapped what.
ci_timing_summary() {
  [ -s "$CI_RUN_DIR/timings" ] || return 0
  echo "== time per section (wall seconds; background steps with the seconds from the start they ran in)"
  awk -F'\t' -v t0="$CI_RUN_START" -v now="$(date +%s)" '
    $1 == "" { printf "  %5d  %s\n", $3 - $2, $4 }
    $1 != "" { bg[++n] = sprintf("  %5d  %s: %s (%d-%d)", $3 - $2, $1, $4, $2 - t0, $3 - t0) }
    END {
      for (i = 1; i <= n; i++) print bg[i]
      printf "  %5d  total\n", now - t0
    }' "$CI_RUN_DIR/timings"
}

# ci_apt_install PACKAGE... installs Debian packages. The background Docker
# preparation and the foreground steps may install at the same time and dpkg
# takes one at a time, so both go through one lock; the package lists are
# updated once per run.
# The lock is the machine's, not the run's: two runs at once wait for each
# other too (and so does the clean-up before it stops the background job:
# killing dpkg mid-install breaks every later apt-get on the machine).
ci_apt_lock=/var/lock/agentdesk-ci-apt.lock
ci_apt_install() {
  (
    flock 9
    if ! [ -e "$CI_RUN_DIR/apt-updated" ]; then
      apt-get update -qq || exit 1
      touch "$CI_RUN_DIR/apt-updated"
    fi
    # Lock::Timeout: apt-get of something else than .ci/run (the machine's
    # own updates) waits its turn rather than failing at once.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null || exit 1
  ) 9>"$ci_apt_lock"
}

# ci_import_on_top IMAGE TAG [CHANGE...] -- TAR_ARGUMENT... imports TAG: the
# files of IMAGE and the members `tar -c TAR_ARGUMENT...` archives (owned by
# root), with IMAGE's environment, working directory and command, then the
# Dockerfile CHANGEs. An import writes the new files once, where a Dockerfile
# that COPYs them writes them three times (build context, copy, layer commit),
# and on this kind of machine writing is what costs (about 20 s of CPU per GB
# in dockerd). The image has one layer of its own (IMAGE's are not shared).
ci_import_on_top() {
  local from=$1 tag=$2 cid status=0 line
  shift 2
  local changes=()
  while IFS= read -r line; do
    [ -n "$line" ] && changes+=(-c "$line")
  done < <(docker image inspect -f '{{range .Config.Env}}ENV {{json .}}
{{end}}{{with .Config.WorkingDir}}WORKDIR {{.}}{{end}}
{{with .Config.Cmd}}CMD {{json .}}{{end}}' "$from" | sed -E 's/^ENV "([^=]*)=(.*)"$/ENV \1="\2"/')
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    changes+=(-c "$1")
    shift
  done
  shift
  # Labelled as the run's (when a run sourced docker.sh), so its clean-up
  # removes the container if the job is stopped before the end of this.
  cid=$(docker create ${ci_docker_label:+--label "$ci_docker_label"} "$from") || return 1
  # docker export ends its archive with the two zero blocks that mark the
  # end; without them the members of the second archive follow the first's.
  # docker import refuses a zero block followed by more members and a path
  # given twice, so if this ever stops holding the import fails loudly. (It
  # ignores whatever follows the second archive: one tar for all the members.)
  {
    docker export "$cid" | head -c -1024 || exit 1
    tar -c --owner=0 --group=0 --numeric-owner "$@"
  } | docker import "${changes[@]}" - "$tag" >/dev/null || status=$?
  docker rm "$cid" >/dev/null
  # An import of a stream cut short can still tag an image; a later run
  # would take it for a good one.
  [ "$status" = 0 ] || docker rmi -f "$tag" >/dev/null 2>&1
  return "$status"
}
