/** The plan as people read it: per object, the LiteLLM calls with field-level before → after. */
import type { ObjectPlan, PlannedChange, PlanReport } from "./plan.ts"

const value = (v: unknown): string => JSON.stringify(v)

const change = (c: PlannedChange): string => {
  if (c.before === undefined) return `      + ${c.field}: ${value(c.after)}`
  if (c.after === undefined) return `      - ${c.field}: ${value(c.before)} → (cleared)`
  return `      ~ ${c.field}: ${value(c.before)} → ${value(c.after)}`
}

const marks: Record<ObjectPlan["result"], string> = {
  create: "+ create",
  update: "~ update",
  adopt: "= adopt",
  unchanged: "  no change",
  refused: "! refused",
  error: "! error"
}

const object = (o: ObjectPlan): Array<string> => [
  `${marks[o.result]}  ${o.kind} ${o.namespace}/${o.name}${o.litellm === "" ? "" : ` → ${o.litellm}`}`,
  ...(o.match === "" ? [] : [`    matched: ${o.match}`]),
  ...(o.message === undefined ? [] : [`    ${o.message}`]),
  ...o.calls.flatMap((c) => [`    ${c.call}  ${c.target}`, ...c.changes.map(change)]),
  ...o.warnings.map((w) => `    warning: ${w}`)
]

export const renderPlan = (report: PlanReport): string => {
  const s = report.summary
  const lines = [
    `Plan against ${report.connection} (installation ${JSON.stringify(report.installationId)}); nothing was written.`,
    "",
    ...report.objects.flatMap((o) => [...object(o), ""]),
    ...(report.prune === undefined
      ? []
      : report.prune.length === 0
        ? ["--prune: no LiteLLM object of this installation and these namespaces lacks a manifest.", ""]
        : [
            "--prune: owned by this installation, declared by no manifest (deleting the object named would remove or orphan it, per its deletion policy):",
            ...report.prune.map((p) => `- ${p.litellm}  owner ${p.owner}`),
            ""
          ]),
    ...report.errors.map((e) => `error: ${e}`),
    ...report.skipped.map((k) => `skipped (not a kind plan handles): ${k}`),
    ...report.notes.map((n) => `note: ${n}`),
    ...(report.errors.length + report.skipped.length + report.notes.length > 0 ? [""] : []),
    `Plan: ${s.create} to create, ${s.update} to change, ${s.adopt} to adopt (the owner marker only), ${s.unchanged} unchanged, ${s.refused} refused, ${s.errors} errors${report.prune === undefined ? "" : `, ${s.prune} to prune`}.`
  ]
  return `${lines.join("\n")}\n`
}
