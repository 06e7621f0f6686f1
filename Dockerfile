# syntax=docker/dockerfile:1
# agentdesk: a static binary on a distroless, non-root base image.
#   docker build -t agentdesk .
#   docker run -p 8080:8080 -v agentdesk-data:/data agentdesk

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/agentdesk . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/agentdesk /agentdesk
# The embedded SQLite database lives in /data unless DATABASE_URL says otherwise.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV LISTEN_ADDR=:8080 \
    DATABASE_URL=sqlite:/data/agentdesk.db \
    APP_ENV=production
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["/agentdesk", "healthcheck"]
ENTRYPOINT ["/agentdesk"]
