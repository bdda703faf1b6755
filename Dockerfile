# One image for the api, projector and worker processes of the distributed mode (docker-compose.yml).
# TypeScript runs directly on Node 24 (type stripping): there is no build step.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the project's own `prepare` (the console build) needs web/ and vite, which this stage has not.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# The web console (web/, Vite + Preact) built once, served by the api at /.
FROM node:24-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY web ./web
RUN node web/build.ts

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/var/lib/character-chat
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json tsconfig.json ./
COPY services ./services
COPY commands ./commands
COPY projections ./projections
COPY queries ./queries
COPY shared ./shared
COPY infra ./infra
COPY --from=console /app/web/dist ./web/dist
RUN mkdir -p /var/lib/character-chat && chown node:node /var/lib/character-chat
USER node
EXPOSE 8080
# The image's own Node 24 (not the npm `node` package) runs the entry points.
CMD ["node", "--max-semi-space-size=4", "services/start.js", "services/api/main.ts"]
