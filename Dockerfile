# The app compiled to JavaScript, run by node itself (PID 1), so SIGTERM from the container
# runtime reaches the app and it shuts down gracefully. Not built or run in this repository's
# CI (there is no Docker engine there); see docs/scaling.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# A maintained ffmpeg decodes uploads instead of npm's 2018 build (docs/decisions.md,
# "Transcoding"); util-linux, which confines it, is in every Debian image.
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# A small young generation: RSS after load 157 MiB instead of 184, at the same request rate
# (docs/benchmarks.md); the bench measures the app with the same setting.
ENV NODE_OPTIONS=--max-semi-space-size=1
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Where emails are written without SMTP_URL (docker-compose mounts a volume here); owned by the
# app's user so a fresh volume, which copies this folder's owner, is writable.
RUN mkdir -p /mail && chown node:node /mail
USER node
EXPOSE 3000
# Web by default; a worker is the same image with: node dist/src/main.js --worker [...]
CMD ["node", "dist/src/main.js", "--web"]
