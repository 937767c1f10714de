# syntax=docker/dockerfile:1
# TradeNova: one image for every role (router, executor, or all in one process).
#   docker build -t tradenova .
#   docker run --rm tradenova --help
# deploy/compose.yaml and deploy/k8s/ run it with a config mounted at /etc/tradenova/config.yaml.

# --- build: install everything, compile the workspaces, then drop the dev dependencies ---
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages ./packages
COPY tsconfig.base.json tsconfig.json ./
RUN npm ci --no-audit --no-fund \
 && npm run build --silent \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src packages/*/test packages/*/bench

# --- runtime: the built packages and their production dependencies, run as a non-root user ---
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
# The embedded journal and the Node cache go to a directory the user owns; the code stays read-only.
RUN mkdir -p /var/lib/tradenova && chown node:node /var/lib/tradenova
WORKDIR /var/lib/tradenova
USER node
# Prometheus metrics (--metrics :9464).
EXPOSE 9464
ENTRYPOINT ["node", "/app/packages/cli/dist/bin.js"]
CMD ["run", "/etc/tradenova/config.yaml", "--json", "--metrics", ":9464"]
