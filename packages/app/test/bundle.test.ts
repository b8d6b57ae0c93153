/**
 * The bundle the image ships holds no simulator code: the bundle step checks
 * it and refuses a bundle that does (writing nothing).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { Effect } from "effect"
import { bundleOperator } from "../bin/bundle.ts"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "operator-bundle-check-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const entry = (name: string) => join(import.meta.dirname, "support", "bundleEntries", name)

describe("bundle", () => {
  it.effect(
    "the operator bundle holds no simulator code",
    () =>
      Effect.gen(function* () {
        const outfile = join(yield* tempDir, "operator.mjs")
        const bytes = yield* Effect.promise(() => bundleOperator(outfile))
        assert.isAbove(bytes, 0)
        const text = readFileSync(outfile, "utf8")
        assert.isFalse(text.includes(Simulator.key))
        assert.isFalse(text.includes("/__sim/"), "the simulator's admin routes")
      }).pipe(Effect.scoped),
    60_000
  )

  it.effect(
    "a readable bundle names each module above its code (what cpuProfile.ts --bundle reads), and holds no simulator code either",
    () =>
      Effect.gen(function* () {
        const outfile = join(yield* tempDir, "operator.mjs")
        yield* Effect.promise(() => bundleOperator(outfile, undefined, { readable: true }))
        const text = readFileSync(outfile, "utf8")
        const modules = text.split("\n").filter((line) => /^\/\/ (node_modules|packages)\//.test(line))
        assert.include(modules, "// packages/app/src/main.ts")
        assert.isTrue(modules.some((line) => line.includes("/node_modules/effect/")))
        assert.isFalse(text.includes(Simulator.key))
      }).pipe(Effect.scoped),
    60_000
  )

  it.effect(
    "holds of client-node what the operator uses (KubeConfig), not the generated API classes and models it re-exports",
    () =>
      Effect.gen(function* () {
        const outfile = join(yield* tempDir, "operator.mjs")
        yield* Effect.promise(() => bundleOperator(outfile, undefined, { readable: true }))
        const clientNode = readFileSync(outfile, "utf8")
          .split("\n")
          .filter((line) => line.startsWith("// node_modules/") && line.includes("/@kubernetes/client-node/"))
        assert.isTrue(clientNode.some((line) => line.endsWith("/dist/config.js")))
        assert.deepStrictEqual(
          clientNode.filter((line) => /\/dist\/(gen\/models|gen\/apis|object\.js|serializer\.js)/.test(line)),
          []
        )
      }).pipe(Effect.scoped),
    60_000
  )

  for (const [name, what] of [
    ["withSimulator.ts", "the Simulator service"],
    ["withSimulatorPart.ts", "a part of the simulator"]
  ] as const) {
    it.effect(
      `refuses a bundle that holds ${what}, and writes nothing`,
      () =>
        Effect.gen(function* () {
          const outfile = join(yield* tempDir, "operator.mjs")
          const error = yield* Effect.flip(
            Effect.tryPromise({ try: () => bundleOperator(outfile, entry(name)), catch: (e) => e })
          )
          assert.instanceOf(error, Error)
          assert.include(error.message, "must not hold simulator code")
          assert.include(error.message, "litellm/src/simulator/")
          assert.isFalse(existsSync(outfile))
        }).pipe(Effect.scoped),
      60_000
    )
  }
})
