# One image for the API and the worker; the command picks which. Built in two
# stages: the TypeScript is compiled (and the workflow bundle prebuilt) with
# the dev dependencies, and the image runs plain `node` on dist/ without them.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall applies these (a postgres.js fix) to node_modules.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
EXPOSE 8000
# The API as `npm run api` runs it (package.json; see BENCHMARKS.md, P2). The worker image command overrides it.
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=2", "dist/main/api.js"]
