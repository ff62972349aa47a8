# syntax=docker/dockerfile:1
# One image for every role: `rewind up | collect | archive | serve` (the command picks the role).
#
#   docker build -t rewind .
#   docker run --rm rewind --help
#
# Two stages: the first compiles the TypeScript into dist/ with the dev dependencies;
# the second holds only what `rewind` runs (dist/, bin/, production dependencies) and
# runs as the unprivileged `node` user. Node 20 to match `engines` and the tests.

ARG NODE_IMAGE=node:20.19-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs the sources, copied below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/build ./deploy/build
COPY contracts ./contracts
COPY services ./services
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    REWIND_ARCHIVE_DIR=/var/lib/rewind/archive \
    REWIND_LISTEN=0.0.0.0:8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY bin ./bin
# Healthcheck and one-shot helpers of the compose file.
COPY deploy/docker ./deploy/docker
COPY --from=build /src/dist ./dist
# The archive (and the collector's state file) live in volumes owned by the runtime user.
RUN mkdir -p /var/lib/rewind/archive /var/lib/rewind/state && chown -R node:node /var/lib/rewind
USER node
VOLUME ["/var/lib/rewind"]
EXPOSE 8080
# `rewind serve` answers /health; the other roles have no HTTP port, and the compose file
# gives them a healthcheck of their own (`rewind status`).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/rewind.mjs"]
CMD ["--help"]
