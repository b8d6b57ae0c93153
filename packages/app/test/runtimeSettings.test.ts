/**
 * The image runs Node as the chart does: the Dockerfile's NODE_OPTIONS,
 * MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ are the chart's defaults
 * (values.yaml `operator.nodeOptions`, `operator.mallocArenaMax`,
 * `operator.mallocMmapThreshold`; the benchmark reads the same values), and they
 * expose the collector the operator compacts its heap with after a burst
 * (runtime/HeapCompaction.ts).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const root = join(import.meta.dirname, "..", "..", "..")
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8")
const values = readFileSync(join(root, "deploy", "chart", "values.yaml"), "utf8")

const envOfImage = (name: string) => new RegExp(`^ENV ${name}="?([^"\\n]*)"?$`, "m").exec(dockerfile)?.[1]
const chartValue = (name: string) => new RegExp(`^\\s+${name}:\\s*"([^"]*)"`, "m").exec(values)?.[1]

describe("the image's Node settings", () => {
  it("are the chart's", () => {
    assert.isDefined(chartValue("nodeOptions"))
    assert.strictEqual(envOfImage("NODE_OPTIONS"), chartValue("nodeOptions"))
    assert.isDefined(chartValue("mallocArenaMax"))
    assert.strictEqual(envOfImage("MALLOC_ARENA_MAX"), chartValue("mallocArenaMax"))
    assert.isDefined(chartValue("mallocMmapThreshold"))
    assert.strictEqual(envOfImage("MALLOC_MMAP_THRESHOLD_"), chartValue("mallocMmapThreshold"))
  })

  it("expose the collector the heap compaction needs", () => {
    assert.include((chartValue("nodeOptions") ?? "").split(/\s+/), "--expose-gc")
  })
})
