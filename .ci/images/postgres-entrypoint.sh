#!/bin/bash
# The official postgres image's contract, in short: initialise $PGDATA on the
# first start with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, then
# run the server listening on all addresses with the given arguments.
set -euo pipefail
[ "${1:-}" = postgres ] && shift

user=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$user}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth=trust
  pwfile=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    auth=scram-sha-256
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
    pwfile=(--pwfile=/tmp/pwfile)
  fi
  initdb --username="$user" "${pwfile[@]}" --auth-local=trust --auth-host="$auth" \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start
  if [ "$database" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
      -c "CREATE DATABASE \"${database//\"/\"\"}\"" >/dev/null
  fi
  pg_ctl -D "$PGDATA" -w -m fast stop
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
