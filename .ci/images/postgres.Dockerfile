# PostgreSQL 15 from Debian's packages on the local Debian base, started like
# the official postgres image: POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB
# are honoured, and "database system is ready to accept connections" is logged
# twice (a socket-only first start that creates the database, then the real
# one), which is what testcontainers' postgres module waits for by default
# (dbtest waits for a query through the mapped port instead).
ARG BASE=local/bookworm:base
FROM ${BASE}
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o Dpkg::Options::=--force-confold postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
# A cluster initialised once here, for superuser postgres: a container for
# that user copies it instead of running initdb, about 2 of the 2.5 seconds a
# container takes to be ready (each test package starts one). The
# entrypoint then sets the password, pg_hba.conf and the database as initdb
# would have.
RUN initdb --username=postgres --auth-local=trust --auth-host=trust \
      --encoding=UTF8 --locale=C.UTF-8 -D /var/lib/postgresql/initialized >/dev/null
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
