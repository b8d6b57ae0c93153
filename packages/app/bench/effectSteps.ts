/**
 * Counts the Effect runtime's steps (the iterations of a fiber's run loop, one
 * per effect evaluated) in an operator bundle: writes a copy of a readable
 * bundle (`bin/bundle.ts <out.mjs> --readable`) whose fibers count their steps
 * and resumptions, by what the fiber was doing: a reconcile (its `kind` log
 * annotation), a fiber labelled with a `fiber` log annotation, or anything
 * else. The counts are written as JSON on exit to
 * `$EFFECT_STEPS_DIR/steps-<pid>.json` (default the working directory).
 *
 *   node packages/app/bench/effectSteps.ts <readable.mjs> <counting.mjs>
 *   EFFECT_STEPS_DIR=<dir> pnpm bench --only live --entry <counting.mjs>
 *   node packages/app/bench/effectSteps.ts --show <dir>/steps-<pid>.json
 *
 * Steps are what the runtime costs beyond the work each does; unlike CPU time
 * on a shared machine, their count is the same from run to run of the same code.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { Schema } from "effect"

const runLoop = `      runLoop(effect2) {
        const prevFiber = globalThis[currentFiberTypeId];`

const counting = `      runLoop(effect2) {
        try {
          return this.countedRunLoop(effect2);
        } finally {
          const annotations = this.getRef(CurrentLogAnnotations);
          const label = annotations?.kind !== undefined ? "reconcile:" + annotations.kind : annotations?.fiber ?? "other";
          const steps = (globalThis.effectSteps ??= new Map());
          const entry = steps.get(label) ?? { steps: 0, resumptions: 0 };
          entry.steps += this.currentOpCount;
          entry.resumptions += 1;
          steps.set(label, entry);
          if (globalThis.effectStepsHook === undefined) {
            globalThis.effectStepsHook = true;
            process.on("exit", () => require("node:fs").writeFileSync(
              (process.env.EFFECT_STEPS_DIR ?? ".") + "/steps-" + process.pid + ".json",
              JSON.stringify(Object.fromEntries(globalThis.effectSteps))));
          }
        }
      }
      countedRunLoop(effect2) {
        const prevFiber = globalThis[currentFiberTypeId];`

const print = (line: string) => process.stdout.write(`${line}\n`)

const Counts = Schema.Record(Schema.String, Schema.Struct({ steps: Schema.Number, resumptions: Schema.Number }))

const [first, second] = process.argv.slice(2)
if (first === "--show" && second !== undefined) {
  const counts = Schema.decodeUnknownSync(Schema.fromJsonString(Counts))(readFileSync(second, "utf8"))
  const total = Object.values(counts).reduce((sum, c) => sum + c.steps, 0)
  const resumptions = Object.values(counts).reduce((sum, c) => sum + c.resumptions, 0)
  print(`| fibers | steps | share | resumptions |\n| --- | ---: | ---: | ---: |`)
  for (const [label, c] of Object.entries(counts).sort((a, b) => b[1].steps - a[1].steps)) {
    print(
      `| ${label} | ${c.steps.toLocaleString("en")} | ${((100 * c.steps) / total).toFixed(1)} % | ${c.resumptions.toLocaleString("en")} |`
    )
  }
  print(`| all | ${total.toLocaleString("en")} | | ${resumptions.toLocaleString("en")} |`)
} else if (first !== undefined && second !== undefined) {
  const text = readFileSync(first, "utf8")
  if (text.split(runLoop).length !== 2 || !text.includes("CurrentLogAnnotations = ")) {
    throw new Error(`${first}: not a readable bundle of this Effect version (its fiber run loop was not found once)`)
  }
  writeFileSync(second, text.replace(runLoop, counting))
} else {
  throw new Error("usage: effectSteps.ts <readable.mjs> <counting.mjs> | --show <steps.json>")
}
