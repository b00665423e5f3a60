# syntax=docker/dockerfile:1

# studybot image: a static Go binary on distroless, running as a non-root user.
#
#   docker build -t studybot --build-arg VERSION="$(git describe --always --dirty)" .
#   docker run -d --name studybot -e DISCORD_TOKEN=... -v studybot-data:/data -p 8080:8080 studybot
#
# The build runs deploy/build.sh, the same script CI uses, so the image holds exactly the
# binary CI tests. .git is not sent to the builder (.dockerignore), so the version comes from
# the VERSION build argument, else "dev".

# The build stage runs on the builder's own platform and cross-compiles (pure Go, no
# emulation) to the platform asked for with --platform.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=""
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS="${TARGETOS:-linux}" GOARCH="${TARGETARCH:-}" VERSION="${VERSION}" OUT=/out/studybot \
    bash deploy/build.sh
# The runtime image has no shell to create the data directory, so it is made here, owned by
# distroless's nonroot user (65532): a fresh named volume mounted on /data copies this
# ownership, and studybot can create its bbolt file there.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

# distroless/static: CA certificates (TLS to Discord, Slack, rediss://), /etc/passwd with
# the nonroot user and nothing else: no shell, no package manager. Time zone data is inside
# the binary (time/tzdata), so no zoneinfo package is needed.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/studybot /studybot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV STUDYBOT_DB=/data/studybot.db \
    STUDYBOT_HTTP_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/studybot", "healthcheck"]
ENTRYPOINT ["/studybot"]
CMD ["run"]
