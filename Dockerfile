# The long-video image: the CLI with its compiled code and prebuilt workflow bundle (lib/), ffmpeg for
# stitching and the simulator's media. One image for the worker, receiver and simulator services.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle-workflows.js scripts/
COPY src src
# lib/ and lib/workflow-bundle.js; then only the runtime dependencies are kept.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production OUTPUT_DIR=/data/output
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/lib lib
COPY bin bin
# Named volumes start with this folder's owner, so the non-root user can write the chains' files.
RUN mkdir -p /data/output && chown -R node:node /data
USER node
ENTRYPOINT ["node", "bin/long-video.js"]
CMD ["--help"]
