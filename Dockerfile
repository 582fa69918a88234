# One image for the API and the workers; the command picks which. Built in two
# stages: the TypeScript is compiled (and the workflow bundle prebuilt) with
# the dev dependencies, and the image runs plain `node` on dist/ without them.
# Node 24 (an LTS line; package.json `engines` names the lines that are tested).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall applies these (a postgres.js fix) to node_modules.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force \
  && mkdir -p /app/data \
  && chown 1000:1000 /app/data
COPY --from=build /app/dist ./dist
# As the image's `node` user (uid 1000), not root. The code stays root-owned
# (read-only to the process); only data/ is writable.
USER 1000:1000
EXPOSE 8000
# The API as `npm run api` runs it (package.json; see BENCHMARKS.md, P2). The workers' command overrides it.
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=2", "dist/main/api.js"]
