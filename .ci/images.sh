#!/usr/bin/env bash
# Builds, from Debian packages only (no container registry needed), the local
# images CI uses in place of the official ones:
#   local/bookworm:base   mmdebstrap (or debootstrap) --variant=minbase of the
#                         machine's Debian mirror
#   local/postgres:15     PostgreSQL 15 from Debian on that base, with an entrypoint
#                         that honours POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB the
#                         way the official postgres image does (TEST_POSTGRES_IMAGE)
#   local/golang:VERSION  that base plus the Go toolchain of this machine (Debian's
#                         golang package is older than go.mod asks for) and the
#                         certificate authorities it trusts: the build stage of
#                         the product image
# Idempotent: an image that exists is kept (FORCE=1 rebuilds all three).
# IMAGE_BASE, IMAGE_POSTGRES and IMAGE_GOLANG name them otherwise (to rebuild
# next to the ones in use, say).
# Prints nothing else on stdout than the progress lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

. /etc/os-release
suite=${VERSION_CODENAME:-bookworm}
base=${IMAGE_BASE:-local/bookworm:base}
postgres=${IMAGE_POSTGRES:-local/postgres:15}
golang=${IMAGE_GOLANG:-local/golang:$(go env GOVERSION | sed 's/^go//')}

have() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

# The PostgreSQL image carries the hash of the files it is built from (label
# agentdesk.inputs): an edit to them rebuilds it on a machine that has an
# older one, instead of CI testing against what the files no longer say.
postgres_inputs=$(cat "$here/images/postgres.Dockerfile" "$here/images/postgres-entrypoint.sh" | sha256sum | cut -c1-16)
have_postgres() {
  have "$postgres" && [ "$(docker image inspect -f '{{index .Config.Labels "agentdesk.inputs"}}' "$postgres")" = "$postgres_inputs" ]
}

# debian_mirror prints the first mirror of the machine's apt sources that
# serves $suite, from one-line (sources.list) or deb822 (.sources) files.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '$1 == "deb" { gsub(/\[[^]]*\]/, ""); $0 = $0; if ($3 == s) { print $2; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Stanzas are separated by blank lines; take URIs of one whose Suites name $suite.
    awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split(substr($i, 6), u, " "); uri = u[1] }
          if ($i ~ /^Suites:/) { n = split(substr($i, 8), t, " "); for (j = 1; j <= n; j++) if (t[j] == s) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' "$f"
  done
}

if have "$base"; then
  echo "images: $base exists"
else
  # (|| true: with several source files naming the suite, head's early exit
  # makes the next writer's SIGPIPE the pipeline's status.)
  mirror=$(debian_mirror | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  if command -v mmdebstrap >/dev/null; then
    # mmdebstrap: apt fetches the packages in parallel and the root file
    # system goes to the import as a tar stream, never to the disk (on this
    # kind of machine 37 s and 28 s of CPU, where debootstrap takes 56 and 48).
    echo "images: $base from $mirror ($suite, mmdebstrap minbase)"
    mmdebstrap --quiet --variant=minbase "$suite" - "$mirror" 2>/tmp/agentdesk-mmdebstrap.log \
      | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null \
      || { tail -20 /tmp/agentdesk-mmdebstrap.log; docker rmi -f "$base" >/dev/null 2>&1; exit 1; }
  else
    echo "images: $base from $mirror ($suite, debootstrap minbase)"
    root=$(mktemp -d /tmp/agentdesk-rootfs.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >/tmp/agentdesk-debootstrap.log 2>&1 \
      || { tail -20 /tmp/agentdesk-debootstrap.log; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null \
      || { docker rmi -f "$base" >/dev/null 2>&1; exit 1; }
    rm -rf "$root"
    trap - EXIT
  fi
  echo "images: $base built in $SECONDS s"
fi

# The PostgreSQL and Go images both start from the base and nothing else:
# they are built at the same time (one waits on the Debian mirror, the other
# on the disk).
build_postgres() {
  local start=$SECONDS
  echo "images: $postgres (postgresql-15 from Debian)"
  docker build -q --force-rm --build-arg BASE="$base" --label "agentdesk.inputs=$postgres_inputs" -t "$postgres" -f "$here/images/postgres.Dockerfile" "$here/images" >/dev/null
  echo "images: $postgres built in $((SECONDS - start)) s"
}

# build_golang: the base's files, then this machine's GOROOT as /usr/local/go
# and its certificate bundle (Debian's authorities plus any this machine
# adds, a TLS-inspecting egress proxy's, say, which `go mod download` in the
# build must trust too), imported as one layer (ci_import_on_top).
build_golang() {
  local goroot ca=() start=$SECONDS
  goroot=$(go env GOROOT)
  echo "images: $golang (this machine's Go toolchain, $goroot)"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && ca=(-C / etc/ssl/certs/ca-certificates.crt)
  ci_import_on_top "$base" "$golang" \
    'ENV PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV GOTOOLCHAIN=local' 'WORKDIR /src' -- \
    -C "$goroot" --transform 's,^\.,usr/local/go,S' . "${ca[@]}"
  echo "images: $golang built in $((SECONDS - start)) s"
}

pids=()
if have_postgres; then
  echo "images: $postgres exists"
else
  build_postgres &
  pids+=($!)
fi
if have "$golang"; then
  echo "images: $golang exists"
else
  build_golang &
  pids+=($!)
fi
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit "$status"
