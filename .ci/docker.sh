# shellcheck shell=bash
# Sourced by .ci/run (after .ci/lib.sh): the Docker half of CI (issue 15).
# It defines functions only. What they prove:
#   the Docker engine answers (installed and started when missing, stopped
#     again by the last run of .ci/run to leave it, if a run started it);
#   .ci/images.sh builds the local base, PostgreSQL and Go images;
#   the Dockerfile builds from the local bases, the image runs as non-root
#     against a PostgreSQL container on a user-defined network, answers
#     /readyz and a GraphQL mutation and query; docker-compose.yml is valid;
#   ci_tests_on_containers CMD... runs CMD (the README's test command) with
#     testcontainers as the only PostgreSQL source, and fails if none was
#     started or one of the run's is left behind.
#
# All but the tests run in the background from the start of .ci/run
# (ci_docker_prepare_start), in a job with its own log, while the steps that
# need no Docker run; .ci/run waits for it (ci_docker_prepare_wait, which
# prints the log and fails with it) before the tests. Most of that job waits
# on the network and the disk, which the early steps leave idle.
#
# The product image is built from a Go image that already holds what its
# build needs (ci_docker_warm_image): .ci/run builds the binary on this
# machine first with the Dockerfile's flags (CGO_ENABLED=0, -trimpath), from
# a copy of the tree in $CI_RUN_DIR/src, and the compiled packages and
# modules of that build go into the image, so `go mod download` and
# `go build` in the Dockerfile find everything cached instead of downloading
# the modules and compiling the module a second time (about 4 minutes of CPU).
# The Dockerfile itself stays the one users build with the official images.
#
# On exit (success or failure; ci_docker_cleanup) the background job is
# stopped and what this run made is removed: the containers, networks and
# images labelled agentdesk.ci.run=<run> (the test containers too).

ci_docker_base=${IMAGE_BASE:-local/bookworm:base}
ci_docker_postgres_image=${IMAGE_POSTGRES:-local/postgres:15}
ci_docker_golang=${IMAGE_GOLANG:-local/golang:$(go env GOVERSION | sed 's/^go//')}
# This run's name (its directory's, unique on the machine): it tags the
# images this run makes for itself and labels every container and network it
# starts, the test containers too (dbtest adds TEST_CONTAINER_LABEL), so that
# its clean-up and its checks touch only its own, and two runs on one engine
# (two checkouts, or a developer's go test beside CI) leave each other alone.
ci_docker_run=$(basename "${CI_RUN_DIR:-agentdesk-ci.$$}" | tr -c 'a-zA-Z0-9_.\n-' _)
ci_docker_warm=${IMAGE_GOLANG_WARM:-local/golang-warm:$ci_docker_run}
ci_docker_product_image=${IMAGE_PRODUCT:-agentdesk:$ci_docker_run}
ci_docker_label=agentdesk.ci.run=$ci_docker_run

# ---- the foreground side (.ci/run) ----

# ci_docker_prepare_start runs ci_docker_prepare in the background, in a
# session of its own (so the clean-up can stop all of it: apt-get,
# debootstrap, docker builds), with its output in $CI_RUN_DIR/docker-prep.log.
ci_docker_prepare_start() {
  ci_docker_use_engine
  setsid -w bash -c 'set -euo pipefail; . .ci/lib.sh; . .ci/docker.sh; ci_docker_prepare' \
    >"$CI_RUN_DIR/docker-prep.log" 2>&1 &
  ci_docker_prep_pid=$!
  echo "Docker preparation started in the background (engine, images, product image; log: $CI_RUN_DIR/docker-prep.log)"
}

# ci_docker_release_product_build lets the background job go on to the
# product image: the tree in $CI_RUN_DIR/src is built on this machine with
# the Dockerfile's flags (the Go caches hold what its build needs), and the
# steps that keep both cores busy (the compile, vet, generate) are past, so
# the image's import and build take the cores the next steps leave idle
# (npm, node and Chromium are mostly one process or the network).
ci_docker_release_product_build() { touch "$CI_RUN_DIR/host-build-done"; }

# ci_docker_prepare_wait waits for the background job, prints its log and
# fails if it failed.
ci_docker_prepare_wait() {
  local status=0
  wait "$ci_docker_prep_pid" || status=$?
  ci_docker_prep_pid=
  echo "---- the background Docker preparation's log ($CI_RUN_DIR/docker-prep.log) ----"
  cat "$CI_RUN_DIR/docker-prep.log"
  echo "---- end of the background Docker preparation's log ----"
  if [ "$status" != 0 ]; then
    echo "the background Docker preparation failed (exit status $status)"
    return 1
  fi
}

# ci_docker_cleanup runs from .ci/run's EXIT trap, with set -e off: each
# step is tried whatever the one before did.
ci_docker_cleanup() {
  local ids
  touch "$CI_RUN_DIR/stop" # the background job's waits end on it
  if [ -n "${ci_docker_prep_pid:-}" ] && kill -0 "$ci_docker_prep_pid" 2>/dev/null; then
    echo "== stopping the background Docker preparation (its log: $CI_RUN_DIR/docker-prep.log)"
    # Not in the middle of a dpkg run if it can be helped (that would leave
    # the machine's dpkg "interrupted" for every later apt-get): wait for the
    # apt lock first, but stop it in the end either way.
    (flock -w 300 9 || echo "the apt lock is still held after 5 minutes: stopping the job anyway"
      kill -TERM -- "-$ci_docker_prep_pid" 2>/dev/null) 9>"$ci_apt_lock"
    wait "$ci_docker_prep_pid" 2>/dev/null
    sed 's/^/  | /' "$CI_RUN_DIR/docker-prep.log"
  fi
  [ -n "${ci_docker_events_pid:-}" ] && kill "$ci_docker_events_pid" 2>/dev/null
  if timeout 20 docker info >/dev/null 2>&1; then
    ids=$(docker ps -aq --filter "label=$ci_docker_label" 2>/dev/null)
    # -v: the anonymous volume of the image's VOLUME /data goes too.
    [ -n "$ids" ] && docker rm -fv $ids >/dev/null 2>&1
    docker network ls -q --filter "label=$ci_docker_label" 2>/dev/null | xargs -r docker network rm >/dev/null 2>&1
    # The images this run made for itself, labelled as its own (the Go image
    # with its caches, over a GB, and the build stages made from it, which
    # inherit the label, and the product image); the shared ones of
    # .ci/images.sh stay for the next run. An image with children is only
    # untagged by rmi: the children go first, so a few rounds.
    for _ in 1 2 3 4 5; do
      ids=$(docker images -aq --filter "label=$ci_docker_label" 2>/dev/null | sort -u)
      [ -n "$ids" ] || break
      docker rmi -f $ids >/dev/null 2>&1
    done
  fi
  ci_docker_leave_engine
  return 0
}

# The machine's Docker engine is shared by the runs of .ci/run on it: each
# run that uses it has a file named by its pid in $ci_docker_users, and a run
# that starts the engine records its pid there (engine.pid). The last run to
# leave stops an engine a run started (never one that was running before
# CI). Joining, starting and leaving take $ci_docker_users/lock, so a run
# does not stop the engine while another is joining it.
ci_docker_users=/tmp/agentdesk-ci-docker-users
ci_docker_use_engine() {
  mkdir -p "$ci_docker_users"
  (flock 9 && : >"$ci_docker_users/$CI_RUN_ID") 9>"$ci_docker_users/lock"
}
ci_docker_leave_engine() {
  (
    flock -w 120 9 || true
    rm -f "$ci_docker_users/$CI_RUN_ID"
    pid=$(cat "$ci_docker_users/engine.pid" 2>/dev/null)
    [ -n "$pid" ] || exit 0
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
      rm -f "$ci_docker_users/engine.pid"; exit 0
    fi
    others=$(ci_docker_other_users)
    if [ -n "$others" ]; then
      echo "== leaving the Docker engine (pid $pid) running: .ci/run ${others% } uses it"
      exit 0
    fi
    echo "== stopping the Docker engine a run started (pid $pid)"
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    rm -f "$ci_docker_users/engine.pid"
  ) 9>"$ci_docker_users/lock"
}
ci_docker_other_users() {
  local f pid
  for f in "$ci_docker_users"/[0-9]*; do
    [ -e "$f" ] || continue
    pid=${f##*/}
    [ "$pid" = "$CI_RUN_ID" ] && continue
    if kill -0 "$pid" 2>/dev/null; then printf '%s ' "$pid"; else rm -f "$f"; fi
  done
}

# ci_tests_on_containers CMD... runs CMD with testcontainers as the only
# PostgreSQL source, its containers labelled as this run's; it prints which
# packages started one, and fails if none was started or one is left behind.
ci_tests_on_containers() {
  local events started left status=0 since
  events=$(mktemp "$CI_RUN_DIR/events.XXXXXX")
  # The engine keeps only its last 256 events for `docker events --since`:
  # the starts are recorded as they happen instead (--since: and from
  # before the watcher subscribed). The clean-up stops it if the run ends here.
  since=$(date +%s)
  docker events --since "$since" --filter type=container --filter event=start --filter "label=$ci_docker_label" \
    --format '{{index .Actor.Attributes "agentdesk.dbtest.package"}}' >"$events" &
  ci_docker_events_pid=$!
  # No reaper (its image cannot be pulled here): dbtest.Run terminates each
  # package's container. A local engine is reached at localhost; without this
  # testcontainers on a machine with /.dockerenv dials the default route.
  env -u TEST_DATABASE_URL CI=true TEST_POSTGRES_IMAGE="$ci_docker_postgres_image" \
    TEST_CONTAINER_LABEL="$ci_docker_label" \
    TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}" \
    TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-localhost}" \
    "$@" || status=$? # the container checks below run after failing tests too
  sleep 1 # the last start event on its way to the watcher
  kill "$ci_docker_events_pid" 2>/dev/null || true
  wait "$ci_docker_events_pid" 2>/dev/null || true # (killed: 143, which set -e would take for a failure)
  ci_docker_events_pid=
  started=$(sort "$events")
  echo "PostgreSQL test containers started: $(echo "$started" | grep -c .) ($(echo "$started" | xargs -rn1 basename | uniq -c | xargs))"
  [ -n "$started" ] || { echo "no PostgreSQL test container was started"; return 1; }
  left=$(docker ps -aq --filter "label=$ci_docker_label")
  if [ -n "$left" ]; then
    echo "test containers left behind:"; docker ps -a --filter "label=$ci_docker_label"; return 1
  fi
  echo "no test container left behind"
  return "$status"
}

# ---- the background job ----

ci_docker_prepare() {
  CI_TIMING_TAG="docker prep"
  ci_section "Docker engine"
  ci_docker_engine
  ci_section "images from Debian packages (.ci/images.sh)"
  IMAGE_BASE=$ci_docker_base IMAGE_POSTGRES=$ci_docker_postgres_image IMAGE_GOLANG=$ci_docker_golang .ci/images.sh
  ci_section "waiting for .ci/run to release the product build (ci_docker_release_product_build)"
  ci_docker_wait_for_release
  ci_section "Go image with this machine's build caches: snapshot of the caches"
  (cd "$CI_RUN_DIR/src" && ci_go_cache_snapshot "$CI_RUN_DIR/go-caches")
  ci_section "Go image with this machine's build caches: docker import, check"
  ci_docker_warm_image "$CI_RUN_DIR/go-caches"
  ci_section "product image: docker build"
  ci_docker_product_build
  ci_section "product image: run against PostgreSQL, /readyz, GraphQL, non-root; compose file"
  ci_docker_product_check
  ci_section_end
}

ci_docker_engine() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
  # The compose file's check: the engine's `docker compose` plugin, else
  # Debian's docker-compose.
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || need+=(docker-compose)
  # Not Docker's, but installed in the same dpkg run, here in the background
  # rather than on the way of the foreground's browser checks (it downloads
  # 100 MB); .ci/run installs it itself if this has not.
  [ -x /usr/bin/chromium ] || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    ci_apt_install "${need[@]}"
  fi
  # Under the users' lock (ci_docker_use_engine): two runs do not both
  # start one, and none stops it meanwhile.
  (
    flock 9
    if docker info >/dev/null 2>&1; then
      echo "engine already running: $(docker version --format '{{.Server.Version}}')"
      exit 0
    fi
    # .ci/run first tests the fallback to TEST_DATABASE_URL where no engine
    # answers (testcontainers finds one at the default socket whatever
    # DOCKER_HOST says).
    ci_docker_wait_for no-engine-tested
    # A session of its own: stopping the background job must not stop the
    # engine before the clean-up has removed the containers. (Its log stays
    # outside the run's directory: the engine may outlive the run.)
    # Recorded at once: if this job is stopped while the engine starts, the
    # clean-up still knows to stop it.
    setsid dockerd >"/tmp/agentdesk-dockerd.$CI_RUN_ID.log" 2>&1 9>&- &
    echo $! >"$ci_docker_users/engine.pid"
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not answer:"; tail -20 "/tmp/agentdesk-dockerd.$CI_RUN_ID.log"; exit 1; }
    echo "engine started: $(docker version --format '{{.Server.Version}}')"
  ) 9>"$ci_docker_users/lock"
}

ci_docker_wait_for_release() { ci_docker_wait_for host-build-done; }

# ci_docker_wait_for NAME waits until .ci/run creates $CI_RUN_DIR/NAME.
ci_docker_wait_for() {
  # .ci/run stops this job when it fails first; the check of its process is
  # for a run that was killed.
  until [ -e "$CI_RUN_DIR/$1" ]; do
    kill -0 "$CI_RUN_ID" 2>/dev/null || { echo ".ci/run (pid $CI_RUN_ID) is gone"; return 1; }
    [ -e "$CI_RUN_DIR/stop" ] && { echo ".ci/run is ending"; return 1; }
    sleep 1
  done
}

# ci_docker_warm_image SNAPSHOT builds $ci_docker_warm: the Go image plus the
# parts of this machine's build and module caches that the product build
# reads (ci_go_cache_snapshot), with GOPROXY=off so the build cannot reach
# for a module it lacks. It then checks in the image, on the copy of the tree
# the host built, that no package of the build would be compiled again; if
# that fails the product is built from the plain Go image (slower, still
# correct, and the log says why).
ci_docker_warm_image() {
  local snap=$1 stale
  du -sh "$snap/root/.cache/go-build" "$snap/root/go/pkg/mod" | awk '{ printf "%s %s\n", $2, $1 }' | sed "s#^$snap##"
  # The label: the clean-up removes this image and the build stages made
  # from it (they inherit it).
  ci_import_on_top "$ci_docker_golang" "$ci_docker_warm" 'ENV GOPROXY=off' "LABEL $ci_docker_label" -- -C "$snap" root/.cache root/go
  if stale=$(docker run --rm --label "$ci_docker_label" -v "$CI_RUN_DIR/src:/src:ro" -e CGO_ENABLED=0 "$ci_docker_warm" \
      go list -trimpath -deps -f '{{if and .Stale (ne .Name "main")}}{{.ImportPath}}: {{.StaleReason}}{{end}}' . 2>&1) \
      && [ -z "$stale" ]; then
    echo "$ci_docker_warm: every package of the build is in its cache"
    ci_docker_build_image=$ci_docker_warm
  else
    echo "WARNING: $ci_docker_warm lacks part of the build (the product image compiles from scratch):"
    echo "$stale" | head -20
    ci_docker_build_image=$ci_docker_golang
  fi
}

# ci_go_cache_snapshot DIR hard-links, under DIR/root at the paths the Go
# image uses (/root/.cache/go-build, /root/go/pkg/mod), the parts of this
# machine's Go caches that the Dockerfile's `go mod download` and `go build`
# of the current directory read; hard links, because those caches keep
# changing while later steps run. Run after the build itself.
#   build cache: the compiled archive of each package of the binary
#     (`go list -export`) and the index entries that name them (an entry
#     "v1 <action> <output> <size> <time>" maps the hash of a compile's
#     inputs to its output);
#   module cache: for each module `go mod download` lists, what it checks
#     (the .info, .mod, .zip and .ziphash files and the extracted directory),
#     the .mod files of the rest of the module graph, and of the extracted
#     trees only what the build reads: go.mod and, for
#     each package of the binary, the files of its directory and its embedded
#     files. The full trees are 630 MB, of which the build reads 140 MB, and
#     every MB written into an image costs time.
ci_go_cache_snapshot() {
  local dir=$1 gocache gomodcache work
  gocache=$(go env GOCACHE)
  gomodcache=$(go env GOMODCACHE)
  work=$(mktemp -d "$CI_RUN_DIR/snapshot.XXXXXX")
  mkdir -p "$dir/root/.cache/go-build" "$dir/root/go/pkg/mod"

  go list -deps -export -f '{{.Export}}' . >"$work/archives"
  sed 's#.*/##; s#-d$##; s#.*# & #' "$work/archives" >"$work/outputs"
  { sed "s#^$gocache/##" "$work/archives"
    (cd "$gocache" && grep -rlF --include='*-a' -f "$work/outputs" .)
  } | (cd "$gocache" && xargs cp -l --parents -t "$dir/root/.cache/go-build")

  go mod download -json >"$work/modules"
  {
    sed -nE 's/^\t"(Info|GoMod|Zip)": "(.*)",?$/\2/p' "$work/modules"
    sed -nE 's/^\t"Zip": "(.*)",?$/\1hash/p' "$work/modules"
    # Loading the module graph reads the go.mod of modules beyond those
    # (the requirements of dependencies whose go.mod predates graph pruning).
    # Paths in the cache spell an upper-case letter as "!" and the lower-case one.
    go mod graph | tr ' ' '\n' | grep @ | sort -u \
      | sed -E 's/([A-Z])/!\L\1/g; s#^(.*)@(.*)$#'"$gomodcache"'/cache/download/\1/@v/\2.mod#'
    go list -deps -f '{{with .Module}}{{if not .Main}}{{.Dir}}/go.mod{{end}}{{end}}
{{if and .Module (not .Module.Main)}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}' . | sed '/^$/d'
    go list -deps -f '{{if and .Module (not .Module.Main)}}{{.Dir}}{{end}}' . | sed '/^$/d' \
      | xargs -r -I{} find {} -maxdepth 1 -type f
  } | sort -u | while IFS= read -r f; do
    case $f in "$gomodcache"/*) if [ -e "$f" ]; then printf '%s\n' "${f#"$gomodcache"/}"; fi ;; esac
  done | (cd "$gomodcache" && xargs cp -l --parents -t "$dir/root/go/pkg/mod")
  # `go mod download` checks that each module's directory exists.
  sed -nE 's/^\t"Dir": "(.*)",?$/\1/p' "$work/modules" | while IFS= read -r d; do
    case $d in "$gomodcache"/*) mkdir -p "$dir/root/go/pkg/mod/${d#"$gomodcache"/}" ;; esac
  done
  rm -rf "$work"
}

# ci_free_port prints a free TCP port on the loopback interface.
ci_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ci_docker_product_build() {
  echo "docker build --build-arg GO_IMAGE=$ci_docker_build_image --build-arg RUNTIME_IMAGE=$ci_docker_base (the tree the host built)"
  # --force-rm: a failed step's container goes too (not labelled as the run's).
  docker build -q --force-rm --label "$ci_docker_label" \
    --build-arg GO_IMAGE="$ci_docker_build_image" --build-arg RUNTIME_IMAGE="$ci_docker_base" \
    -t "$ci_docker_product_image" "$CI_RUN_DIR/src" >/dev/null
}

ci_docker_product_check() {
  local image=$ci_docker_product_image net=agentdesk-ci-$CI_RUN_ID port token answer pid uid
  docker network create --label "$ci_docker_label" "$net" >/dev/null
  docker run -d --label "$ci_docker_label" --network "$net" --name "$net-postgres" \
    -e POSTGRES_USER=agentdesk -e POSTGRES_PASSWORD=agentdesk -e POSTGRES_DB=agentdesk \
    "$ci_docker_postgres_image" >/dev/null
  # agentdesk exits when its first connection fails: wait for the server
  # proper (TCP; the socket-only start that creates the database does not count).
  for _ in $(seq 1 60); do
    docker exec "$net-postgres" pg_isready -q -h 127.0.0.1 -U agentdesk 2>/dev/null && break; sleep 1
  done
  port=$(ci_free_port)
  docker run -d --label "$ci_docker_label" --network "$net" --name "$net-agentdesk" \
    -p "127.0.0.1:$port:8080" -e SMTP_URL=log: -e PUBLIC_URL="http://127.0.0.1:$port" \
    -e DATABASE_URL="postgres://agentdesk:agentdesk@$net-postgres:5432/agentdesk?sslmode=disable" \
    "$image" >/dev/null
  for _ in $(seq 1 60); do curl -fs --max-time 10 "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
  if ! curl -fsS --max-time 10 "http://127.0.0.1:$port/readyz"; then
    echo "agentdesk in the image is not ready:"; docker logs "$net-agentdesk" 2>&1 | tail -30; return 1
  fi
  echo
  answer=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' "http://127.0.0.1:$port/query" --data \
    '{"query":"mutation { createWorkspace(input: {workspaceName: \"CI\", ownerName: \"Cleo CI\", ownerEmail: \"cleo@ci.agentdesk.test\", password: \"a long ci password\"}) { token } }"}')
  token=$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createWorkspace"]["token"])') \
    || { echo "createWorkspace answered: $answer"; return 1; }
  answer=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/query" --data '{"query":"{ viewer { name status } }"}')
  [ "$answer" = '{"data":{"viewer":{"name":"Cleo CI","status":"ACTIVE"}}}' ] \
    || { echo "viewer answered: $answer"; return 1; }
  echo "GraphQL through the image on PostgreSQL: $answer"
  # The user the process really runs as, read from the kernel, not the image's metadata.
  pid=$(docker inspect -f '{{.State.Pid}}' "$net-agentdesk")
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
  [ -n "$uid" ] && [ "$uid" != 0 ] || { echo "agentdesk runs as uid '$uid' (want non-root)"; return 1; }
  echo "runs as uid $uid"
  docker rm -fv "$net-agentdesk" "$net-postgres" >/dev/null
  docker network rm "$net" >/dev/null
  if docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
  else
    docker-compose -f docker-compose.yml config -q
  fi
  echo "docker-compose.yml is valid"
}
