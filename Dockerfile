# syntax=docker/dockerfile:1
# Static build (CGO_ENABLED=0, no libc) on a distroless, non-root base.
# The compile of the AWS EC2 and Azure network SDKs needs ≥ 4 GB of RAM.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV GOTOOLCHAIN=local
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/doorbot ./cmd/doorbot

# distroless/static has CA certificates and tzdata, runs as uid 65532 and
# has no shell (so Azure CLI credentials cannot work: use workload or
# managed identity, AZURE_TOKEN_CREDENTIALS=prod).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/doorbot /doorbot
# Numeric, so that Kubernetes runAsNonRoot can check it without reading
# /etc/passwd (65532 is distroless's nonroot).
USER 65532:65532
EXPOSE 8080
# The config is mounted at /etc/doorbot/doorbot.yaml; secrets come from
# the environment (SLACK_BOT_TOKEN, SLACK_APP_TOKEN or SLACK_SIGNING_SECRET).
ENV DOORBOT_CONFIG=/etc/doorbot/doorbot.yaml
ENTRYPOINT ["/doorbot"]
CMD ["serve", "--log-level", "info"]
