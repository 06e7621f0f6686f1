#!/usr/bin/env bash
# Builds, from Debian packages only (no container registry needed), the local
# images CI uses in place of the official ones:
#   local/bookworm:base   debootstrap --variant=minbase of the machine's Debian mirror
#   local/postgres:15     PostgreSQL 15 from Debian on that base, with an entrypoint
#                         that honours POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB the
#                         way the official postgres image does (TEST_POSTGRES_IMAGE)
#   local/golang:VERSION  that base plus the Go toolchain of this machine (Debian's
#                         golang package is older than go.mod asks for) and the
#                         certificate authorities it trusts: the build stage of
#                         the product image
# Idempotent: an image that exists is kept (FORCE=1 rebuilds all three).
# Prints nothing else on stdout than the progress lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

. /etc/os-release
suite=${VERSION_CODENAME:-bookworm}
base=local/bookworm:base
postgres=local/postgres:15
golang=local/golang:$(go env GOVERSION | sed 's/^go//')

have() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }

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
  mirror=$(debian_mirror | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "images: $base from $mirror ($suite, debootstrap minbase)"
  root=$(mktemp -d /tmp/agentdesk-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >/tmp/agentdesk-debootstrap.log 2>&1 \
    || { tail -20 /tmp/agentdesk-debootstrap.log; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
  rm -rf "$root"
  trap - EXIT
fi

if have "$postgres"; then
  echo "images: $postgres exists"
else
  echo "images: $postgres (postgresql-15 from Debian)"
  docker build -q --build-arg BASE="$base" -t "$postgres" -f "$here/images/postgres.Dockerfile" "$here/images" >/dev/null
fi

if have "$golang"; then
  echo "images: $golang exists"
else
  echo "images: $golang (this machine's Go toolchain, $(go env GOROOT))"
  # The build context, streamed as one tar: the Dockerfile, GOROOT, and the
  # certificate authorities this machine adds to Debian's (a TLS-inspecting
  # egress proxy's, say), which `go mod download` in the build must trust too.
  goroot=$(go env GOROOT)
  ctx=$(mktemp -d /tmp/agentdesk-golang.XXXXXX)
  mkdir "$ctx/ca" && touch "$ctx/ca/.keep"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  tar -c -C "$here/images" golang.Dockerfile -C "$ctx" ca -C "$(dirname "$goroot")" "$(basename "$goroot")" \
    | docker build -q --build-arg BASE="$base" --build-arg GOROOT_DIR="$(basename "$goroot")" \
        -t "$golang" -f golang.Dockerfile - >/dev/null
  rm -rf "$ctx"
fi
