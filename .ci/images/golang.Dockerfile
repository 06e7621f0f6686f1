# The Go toolchain of the machine that builds it, on the local Debian base:
# the build stage of the product image where golang:* cannot be pulled.
ARG BASE=local/bookworm:base
FROM ${BASE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/*
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ARG GOROOT_DIR=go
COPY ${GOROOT_DIR} /usr/local/go
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH GOTOOLCHAIN=local
WORKDIR /src
