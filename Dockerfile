# One image for the API and the worker; the command picks which.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# postinstall applies these (a postgres.js fix) to node_modules.
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 8000
CMD ["npx", "tsx", "api/main.ts"]
