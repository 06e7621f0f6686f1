# agentdesk: a static binary on a distroless, non-root base image.
#   docker build -t agentdesk .
#   docker run -p 8080:8080 -v agentdesk-data:/data -e SMTP_URL=log: agentdesk
# The base images are build arguments, so a machine that cannot pull them can
# build from its own (CI does, from Debian packages: .ci/images.sh, .ci/docker.sh):
#   docker build --build-arg GO_IMAGE=local/golang:1.26.8 --build-arg RUNTIME_IMAGE=local/bookworm:base .
# (No "# syntax=" line: it would make BuildKit pull a frontend image.)

ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/agentdesk . \
 && mkdir -p /out/data

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/agentdesk /agentdesk
# The embedded SQLite database lives in /data unless DATABASE_URL says otherwise.
# Numeric ids (distroless's "nonroot", 65532) so any base works and a runtime
# can check non-root without looking the name up.
COPY --from=build --chown=65532:65532 /out/data /data
ENV LISTEN_ADDR=:8080 \
    DATABASE_URL=sqlite:/data/agentdesk.db \
    APP_ENV=production
USER 65532:65532
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["/agentdesk", "healthcheck"]
ENTRYPOINT ["/agentdesk"]
