# Brickyard: Heketi-compatible GlusterFS management server.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/brickyard --create-home brickyard
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY migrations ./migrations
# The CSI driver (brickyard csi) loads the spec's proto at run time.
COPY proto ./proto
ENV BRICKYARD_DATA_DIR=/var/lib/brickyard BRICKYARD_LISTEN_ADDRESS=0.0.0.0
VOLUME ["/var/lib/brickyard"]
USER brickyard
EXPOSE 8080
# With a Heketi config: docker run -v /etc/heketi:/etc/heketi brickyard serve --config /etc/heketi/heketi.json
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
