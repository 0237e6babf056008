# Brickyard: Heketi-compatible GlusterFS management server and its CSI driver (`brickyard csi`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

# kubectl for the kubernetes executor (`kubectl get pods` / `kubectl exec` into the GlusterFS
# pods), checked against its published sha256. Debian's kubernetes-client (1.20) is too old for
# current clusters' version skew.
FROM debian:bookworm-slim AS kubectl
ARG KUBECTL_VERSION=v1.34.1
ARG TARGETARCH=amd64
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && base="https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}" \
 && curl -fsSLo /kubectl "$base/kubectl" && curl -fsSLo /kubectl.sha256 "$base/kubectl.sha256" \
 && echo "$(cat /kubectl.sha256)  /kubectl" | sha256sum -c - && chmod 0755 /kubectl

FROM node:20-bookworm-slim
# openssh-client: the ssh executor; glusterfs-client: mount.glusterfs for `brickyard csi --mode node`.
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client ca-certificates glusterfs-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/brickyard --create-home brickyard
COPY --from=kubectl /kubectl /usr/local/bin/kubectl
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.yaml ./
COPY migrations ./migrations
# The CSI spec's wire format, loaded at run time by @grpc/proto-loader.
COPY proto ./proto
ENV BRICKYARD_DATA_DIR=/var/lib/brickyard BRICKYARD_LISTEN_ADDRESS=0.0.0.0
VOLUME ["/var/lib/brickyard"]
USER brickyard
EXPOSE 8080
# With a Heketi config: docker run -v /etc/heketi:/etc/heketi brickyard serve --config /etc/heketi/heketi.json
# Kubernetes: deploy/kubernetes (kubectl apply -k), which runs it as server, CSI controller and CSI node.
# --max-semi-space-size=1 (MiB): V8's young generation grows to 2 x 16 MiB under load, a third of
# the server's resident memory while its live heap is ~20 MiB; with 1 MiB the scavenges are more
# frequent and smaller, at no measurable cost in throughput (docs/benchmarks.md, issue 12).
# --heap-growing-percent=20: V8 lets the old generation grow by 20 % (instead of up to 100 %+)
# before its next full collection; without it the requests' promoted garbage let the heap, and
# RSS, climb 15-40 MiB under sustained reads before one. (--optimize-for-size does this too but
# doubled the CPU of the bulk reads, /volumes/details and /topology.)
# MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs (libuv's pool, V8's workers) its own
# arena, ~7 MiB of resident memory between them for a server whose work runs on one thread.
# The bench starts its servers with the flags of this line and this MALLOC_ARENA_MAX.
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "--max-semi-space-size=1", "--heap-growing-percent=20", "dist/src/cli/main.js"]
CMD ["serve"]
