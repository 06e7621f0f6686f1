#!/bin/bash
# The official postgres image's contract, in short: initialise $PGDATA on the
# first start with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, then
# run the server listening on all addresses with the given arguments.
set -euo pipefail
[ "${1:-}" = postgres ] && shift

user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}

# The cluster the image initialised at build time (superuser postgres, see
# postgres.Dockerfile), when it serves: copying it is faster than initdb.
initialized=/var/lib/postgresql/initialized

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth=trust
  [ -n "${POSTGRES_PASSWORD:-}" ] && auth=scram-sha-256
  if [ "$user" = postgres ] && [ -s "$initialized/PG_VERSION" ]; then
    cp -a "$initialized/." "$PGDATA/"
    # initdb writes the time zone it runs in; the copy has the build's.
    if [ -n "${TZ:-}" ]; then
      printf "timezone = '%s'\nlog_timezone = '%s'\n" "$TZ" "$TZ" >>"$PGDATA/postgresql.conf"
    fi
    password_sql=
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
      q="'"
      # The first line only, as initdb --pwfile reads it.
      password=${POSTGRES_PASSWORD%%$'\n'*}
      password_sql="ALTER ROLE postgres PASSWORD $q${password//$q/$q$q}$q"
    fi
  else
    pwfile=()
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
      printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
      pwfile=(--pwfile=/tmp/pwfile)
    fi
    initdb --username="$user" "${pwfile[@]}" --auth-local=trust --auth-host="$auth" \
      --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
    rm -f /tmp/pwfile
    password_sql=
  fi
  # What initdb --auth-local=trust --auth-host=$auth writes, and every
  # address on top (the official image's rule for a container).
  cat >"$PGDATA/pg_hba.conf" <<HBA
local all all trust
local replication all trust
host all all 127.0.0.1/32 $auth
host all all ::1/128 $auth
host replication all 127.0.0.1/32 $auth
host replication all ::1/128 $auth
host all all all $auth
HBA
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
  if [ -n "$password_sql" ]; then
    # On standard input, not in the arguments any process list shows.
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres >/dev/null <<<"$password_sql"
  fi
  if [ "$database" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
      -c "CREATE DATABASE \"${database//\"/\"\"}\"" >/dev/null
  fi
  pg_ctl -D "$PGDATA" -w -m fast stop
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
