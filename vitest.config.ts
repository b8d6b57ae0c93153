import { defineConfig } from "vitest/config"

/**
 * Two projects. `unit`: everything that needs no API server. `cluster`: tests
 * named `*.cluster.test.ts`, which run against one real kube-apiserver (built
 * and started by the global setup, CRDs installed; see
 * packages/k8s/test/support/globalSetup.ts). The control plane starts only
 * when a run includes cluster tests.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/test/**/*.test.ts"],
          exclude: [
            "**/node_modules/**",
            "packages/*/test/**/*.cluster.test.ts",
            // The real-cluster tier (vitest.node.config.ts, `pnpm run test:node`).
            "packages/*/test/**/*.node.test.ts"
          ]
        }
      },
      {
        extends: true,
        test: {
          name: "cluster",
          include: ["packages/*/test/**/*.cluster.test.ts"],
          globalSetup: ["packages/k8s/test/support/globalSetup.ts"],
          hookTimeout: 60_000
        }
      }
    ]
  }
})
