# Sourced by .ci/run: the Docker half of CI (issue 15). It defines functions
# only; .ci/run calls them. What they prove:
#   ci_docker_engine     a Docker engine answers (installed and started when
#                        missing; stopped again on exit if this run started it)
#   ci_docker_images     the local base, PostgreSQL and Go images (.ci/images.sh)
#   ci_docker_product    the Dockerfile builds from the local bases, the image
#                        runs as non-root against a PostgreSQL container on a
#                        user-defined network, answers /readyz and a GraphQL
#                        mutation and query; docker-compose.yml is valid
#   ci_tests_on_containers CMD...
#                        runs CMD (the README's test command) with testcontainers
#                        as the only PostgreSQL source, and fails if any test
#                        container is left behind
# On exit (success or failure) containers labelled by testcontainers or by this
# script are removed.

ci_docker_postgres_image=local/postgres:15
ci_docker_label=agentdesk.ci=$$
ci_docker_started_engine=

ci_docker_cleanup() {
  local ids
  ids=$( { docker ps -aq --filter label=org.testcontainers=true; docker ps -aq --filter "label=$ci_docker_label"; } 2>/dev/null | sort -u)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
  docker network ls -q --filter "label=$ci_docker_label" 2>/dev/null | xargs -r docker network rm >/dev/null 2>&1
  if [ -n "$ci_docker_started_engine" ]; then
    echo "== stopping the Docker engine this run started (pid $ci_docker_started_engine)"
    kill "$ci_docker_started_engine" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$ci_docker_started_engine" 2>/dev/null || break; sleep 1; done
  fi
  return 0
}

# ci_docker_on_exit adds the clean-up to the EXIT trap, keeping what is there.
ci_docker_on_exit() {
  local previous
  eval "set -- $(trap -p EXIT)"
  previous=${3:-}
  trap "ci_docker_cleanup; $previous" EXIT
  trap 'exit 130' INT TERM
}

ci_docker_engine() {
  echo "== Docker engine"
  ci_docker_on_exit
  if docker info >/dev/null 2>&1; then
    echo "engine already running: $(docker version --format '{{.Server.Version}}')"
    return
  fi
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    echo "installing docker.io"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  dockerd >/tmp/agentdesk-ci-dockerd.log 2>&1 &
  ci_docker_started_engine=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not answer:"; tail -20 /tmp/agentdesk-ci-dockerd.log; return 1; }
  echo "engine started: $(docker version --format '{{.Server.Version}}')"
}

ci_docker_images() {
  echo "== images from Debian packages (.ci/images.sh)"
  command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  .ci/images.sh
}

# ci_free_port prints a free TCP port on the loopback interface.
ci_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ci_docker_product() {
  echo "== product image: build from the local bases, run against PostgreSQL, /readyz, GraphQL, non-root"
  local golang image=agentdesk:ci net=agentdesk-ci-$$ port token answer pid uid
  golang=local/golang:$(go env GOVERSION | sed 's/^go//')
  docker build -q --build-arg GO_IMAGE="$golang" --build-arg RUNTIME_IMAGE=local/bookworm:base \
    -t "$image" . >/dev/null
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
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
  if ! curl -fsS "http://127.0.0.1:$port/readyz"; then
    echo "agentdesk in the image is not ready:"; docker logs "$net-agentdesk" 2>&1 | tail -30; return 1
  fi
  echo
  answer=$(curl -fsS -H 'Content-Type: application/json' "http://127.0.0.1:$port/query" --data \
    '{"query":"mutation { createWorkspace(input: {workspaceName: \"CI\", ownerName: \"Cleo CI\", ownerEmail: \"cleo@ci.agentdesk.test\", password: \"a long ci password\"}) { token } }"}')
  token=$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createWorkspace"]["token"])') \
    || { echo "createWorkspace answered: $answer"; return 1; }
  answer=$(curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/query" --data '{"query":"{ viewer { name status } }"}')
  [ "$answer" = '{"data":{"viewer":{"name":"Cleo CI","status":"ACTIVE"}}}' ] \
    || { echo "viewer answered: $answer"; return 1; }
  echo "GraphQL through the image on PostgreSQL: $answer"
  # The user the process really runs as, read from the kernel, not the image's metadata.
  pid=$(docker inspect -f '{{.State.Pid}}' "$net-agentdesk")
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
  [ -n "$uid" ] && [ "$uid" != 0 ] || { echo "agentdesk runs as uid '$uid' (want non-root)"; return 1; }
  echo "runs as uid $uid"
  docker rm -f "$net-agentdesk" "$net-postgres" >/dev/null
  docker network rm "$net" >/dev/null
  if docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
  else
    docker-compose -f docker-compose.yml config -q
  fi
  echo "docker-compose.yml is valid"
}

ci_tests_on_containers() {
  local since left started status=0
  since=$(date +%s)
  # No reaper (its image cannot be pulled here): dbtest.Run terminates each
  # package's container. A local engine is reached at localhost; without this
  # testcontainers on a machine with /.dockerenv dials the default route.
  env -u TEST_DATABASE_URL CI=true TEST_POSTGRES_IMAGE="$ci_docker_postgres_image" \
    TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}" \
    TESTCONTAINERS_HOST_OVERRIDE="${TESTCONTAINERS_HOST_OVERRIDE:-localhost}" \
    "$@" || status=$? # the container checks below run after failing tests too
  started=$(docker events --since "$since" --until "$(date +%s)" --filter type=container --filter event=start \
    --filter label=org.testcontainers=true --format '{{index .Actor.Attributes "agentdesk.dbtest.package"}}' | sort)
  echo "PostgreSQL test containers started: $(echo "$started" | grep -c .) ($(echo "$started" | xargs -rn1 basename | uniq -c | xargs))"
  [ -n "$started" ] || { echo "no PostgreSQL test container was started"; return 1; }
  left=$(docker ps -aq --filter label=org.testcontainers=true)
  if [ -n "$left" ]; then
    echo "test containers left behind:"; docker ps -a --filter label=org.testcontainers=true; return 1
  fi
  echo "no test container left behind"
  return "$status"
}
