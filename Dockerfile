# syntax=docker/dockerfile:1
#
# The plumber operator image:
#
#   docker build -t ghcr.io/plumber/plumber:0.1.0 .
#
# Build stage: Debian-based Deno (it has a shell) caches the dependencies and type-checks.
# Run stage: distroless Deno (no shell, no package manager), the same Deno version, with the
# dependency cache and the sources copied in read-only, running as the distroless "nonroot" user.
# Pin both bases by digest in release builds (denoland/deno:<variant>-2.9.6@sha256:...).

ARG DENO_VERSION=2.9.6

FROM denoland/deno:debian-${DENO_VERSION} AS build
ENV DENO_DIR=/deno-dir \
    DENO_NO_UPDATE_CHECK=1
WORKDIR /app
COPY deno.json deno.lock ./
COPY main.ts ./
COPY lib/ lib/
COPY controllers/ controllers/
COPY tools/image_lock.ts /build/image_lock.ts
# Only what the operator imports (tests, tools and the CLI stay out of the image, and so do their npm
# packages: @kubernetes/client-node, @sinonjs/fake-timers, smol-toml). Deno caches every package of the
# lockfile's npm snapshot whatever the entrypoint imports, so deno.json and deno.lock are first narrowed
# to main.ts's module graph (same versions and integrity hashes; read through a throwaway cache), then
# installed by entrypoint only and type-checked. `--help` loads every module once, so the transpiled
# code is cached in DENO_DIR/gen. The V8 code cache is a SQLite database that Deno cannot open
# read-only at run time: dropped.
RUN DENO_DIR=/tmp/deno-graph deno run --frozen --allow-read=. --allow-write=deno.json,deno.lock \
      --allow-run=deno /build/image_lock.ts main.ts \
 && rm -rf /tmp/deno-graph /build
RUN deno install --frozen --entrypoint main.ts \
 && deno check --frozen main.ts \
 && deno run --cached-only --frozen main.ts --help >/dev/null \
 && rm -f /deno-dir/v8_code_cache_v2*

FROM denoland/deno:distroless-${DENO_VERSION}
ENV DENO_DIR=/deno-dir \
    DENO_NO_UPDATE_CHECK=1
# Root-owned and not writable by the runtime user; the pod also mounts the root filesystem read-only.
COPY --from=build /deno-dir /deno-dir
COPY --from=build /app /app
WORKDIR /app
# distroless "nonroot"; deploy/deployment.yaml sets the same runAsUser/runAsGroup.
USER 65532:65532
EXPOSE 8080 8081
# The permissions are exactly tests/operator.ts's OPERATOR_PERMISSIONS, which every end-to-end test
# runs main.ts with (plus reading the test's kubeconfig file), and tests/deploy_test.ts checks that
# this line and that list agree:
# - net: the primary's API server, the secondaries' API servers (any address, from the kubeconfig
#   Secret), and listening on :8080 (metrics) and :8081 (probes);
# - env: the in-cluster API server address, and LOG_TOKENS, LOG_STREAM, which the CommonJS yaml package
#   read while parsing; the operator now parses with js-yaml, which reads none: both can go together with
#   tests/operator.ts's OPERATOR_PERMISSIONS;
# - read: the ServiceAccount token (re-read as it rotates) and CA; modules load without read access;
# - sys: the hostname, part of the leader election identity.
# --v8-flags: the heap limits the benchmarks ran with (docs/benchmarks.md); deploy/deployment.yaml's
#   memory limit is at least idle RSS + old space + 3 x semi-space, so V8 hits its heap limit before
#   the cgroup kills the container (tests/deploy_test.ts checks this).
# --cached-only: never download at run time; --frozen: fail instead of changing deno.lock.
# In ENTRYPOINT, not CMD, so that the Deployment's args (--leader-elect, ...) are appended to it.
# No init process: main.ts handles SIGTERM itself and starts no child processes.
ENTRYPOINT ["deno", "run", "--cached-only", "--frozen", "--v8-flags=--max-semi-space-size=1,--max-old-space-size=48", "--allow-net", "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,LOG_TOKENS,LOG_STREAM", "--allow-read=/var/run/secrets/kubernetes.io/serviceaccount", "--allow-sys=hostname", "/app/main.ts"]
CMD []
