import { defineConfig } from "vitest/config"

/**
 * The real-cluster tier: tests named `*.node.test.ts` run against the one-node
 * cluster of tools/node (kubelet, controller manager, scheduler, containerd)
 * with the operator's image built by tools/image and installed by Helm. Not
 * part of `vitest run` (it needs root and a few minutes):
 *   pnpm run test:node
 */
export default defineConfig({
  test: {
    name: "node",
    include: ["packages/*/test/**/*.node.test.ts"],
    globalSetup: ["packages/app/test/support/nodeGlobalSetup.ts"],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false
  }
})
