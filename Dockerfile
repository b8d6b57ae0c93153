# The operator's image: the bundle of packages/app/src/main.ts (one ES module, no node_modules) on a
# Node 24 base with no shell, as the non-root user 65532, fit for a read-only root file system.
#
# The bundle comes from the build context (`pnpm run build` writes dist/operator.mjs), so the image
# users build is the image CI builds and tests:
#   pnpm run build && docker build -t litellm-operator:0.1.0 .
# or, with no registry at all (a Debian base made from Debian packages and the npm Node package):
#   tools/image/build.sh        (buildah; writes an OCI archive, cached by its inputs)
#
# BASE: any image with Node 24 at /nodejs/bin/node (the layout of the distroless Node images) and
# the user 65532. The default is the public distroless image; tools/image/base.sh makes one locally.
ARG BASE=gcr.io/distroless/nodejs24-debian12:nonroot
FROM ${BASE}
WORKDIR /app
COPY dist/operator.mjs dist/operator.mjs.LEGAL.txt /app/
USER 65532:65532
# The heap settings the chart uses too (values.yaml operator.nodeOptions); the chart's value wins.
ENV NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size-percentage=50 --expose-gc"
# Fewer glibc malloc arenas keep the resident size down (values.yaml operator.mallocArenaMax).
ENV MALLOC_ARENA_MAX=2
# Blocks of 32 KiB and more (V8's compiler zones) get pages of their own, given back when freed
# (values.yaml operator.mallocMmapThreshold).
ENV MALLOC_MMAP_THRESHOLD_=32768
EXPOSE 8080
# Node itself is the entrypoint (no shell); flags and environment variables as in `operator.mjs --help`.
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["/app/operator.mjs"]
