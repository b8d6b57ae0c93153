/**
 * Plan throughput per kind: how many plans per second the core computes for a
 * new object (a create plan) and for an object that already exists in LiteLLM
 * (a diff, what every resync does). Run: `pnpm bench` (prints a table).
 */
import { createHash } from "node:crypto"
import { Redacted } from "effect"
import fc from "fast-check"
import { teamMemberAssociationSpecArb, teamSpecArb, userSpecArb, virtualKeySpecArb } from "../src/arbitraries/index.ts"
import type { LastApplied, ObservedKey, ObservedTeam, ObservedUser, Plan } from "../src/index.ts"
import { planKey, planMembership, planTeam, planUser } from "../src/index.ts"

const SAMPLES = 2_000
const MIN_MS = 1_000
const seed = 42

const sha = (s: string) => createHash("sha256").update(s).digest("hex")

/** Runs `plan` over the cases repeatedly for at least MIN_MS and returns plans per second. */
const measure = <A>(cases: ReadonlyArray<A>, plan: (a: A) => Plan): number => {
  let count = 0
  let sink = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < MIN_MS) {
    for (const c of cases) sink += plan(c).actions.length
    count += cases.length
    elapsed = performance.now() - start
  }
  if (sink < 0) throw new Error("unreachable")
  return Math.round((count / elapsed) * 1000)
}

/** An observed object that matches the spec: the result of applying the create plan's fields. */
const teamFrom = (teamId: string, fields: Record<string, unknown>): ObservedTeam => ({
  team_id: teamId,
  team_alias: typeof fields.team_alias === "string" ? fields.team_alias : null,
  models: Array.isArray(fields.models) ? fields.models : [],
  max_budget: typeof fields.max_budget === "number" ? fields.max_budget : null,
  budget_duration: typeof fields.budget_duration === "string" ? fields.budget_duration : null,
  blocked: fields.blocked === true,
  metadata: {},
  spend: 0
})

const teams = fc.sample(teamSpecArb, { numRuns: SAMPLES, seed })
const users = fc.sample(userSpecArb, { numRuns: SAMPLES, seed })
const keys = fc.sample(virtualKeySpecArb, { numRuns: SAMPLES, seed })
const members = fc.sample(teamMemberAssociationSpecArb, { numRuns: SAMPLES, seed })
const none: LastApplied = { fields: [] }
const lifecycle = { deleting: false, deletionPolicy: "Delete" as const }

const rows: Array<readonly [string, string, number]> = []

const teamCases = teams.map((spec, i) => {
  const create = planTeam({ ...lifecycle, teamId: `t${i}`, spec }, { team: undefined, lastApplied: none })
  const action = create.actions[0]
  const fields = action?._tag === "TeamCreate" ? action.fields : {}
  return { spec, teamId: `t${i}`, team: teamFrom(`t${i}`, fields), lastApplied: create.applied }
})
rows.push([
  "Team",
  "create",
  measure(teamCases, (c) =>
    planTeam({ ...lifecycle, teamId: c.teamId, spec: c.spec }, { team: undefined, lastApplied: none })
  )
])
rows.push([
  "Team",
  "existing object",
  measure(teamCases, (c) =>
    planTeam({ ...lifecycle, teamId: c.teamId, spec: c.spec }, { team: c.team, lastApplied: c.lastApplied })
  )
])

const keyCases = keys.map(({ connectionRef: _c, key: _k, ...intent }, i) => {
  const raw = `sk-bench-${i}-aaaaaaaaaaaaaaaa`
  const token = sha(raw)
  const observed: ObservedKey = {
    token,
    key_alias: intent.keyAlias,
    models: intent.models ?? [],
    metadata: {},
    spend: 0
  }
  return { intent, key: Redacted.make(raw), token, observed }
})
rows.push([
  "VirtualKey",
  "create",
  measure(keyCases, (c) =>
    planKey(
      { ...lifecycle, key: c.key, token: c.token, intent: c.intent },
      { current: undefined, previous: undefined, lastApplied: none }
    )
  )
])
rows.push([
  "VirtualKey",
  "existing object",
  measure(keyCases, (c) =>
    planKey(
      { ...lifecycle, key: c.key, token: c.token, intent: c.intent },
      { current: c.observed, previous: undefined, lastApplied: none }
    )
  )
])

const userCases = users.map((spec, i) => {
  const raw = `sk-bench-user-${i}-aaaaaaaaaaaa`
  const observed: ObservedUser = {
    user_id: `u${i}`,
    user_email: spec.userEmail,
    models: spec.models ?? [],
    metadata: {},
    spend: 0,
    teams: spec.teams ?? []
  }
  return { spec, userId: `u${i}`, key: { key: Redacted.make(raw), token: sha(raw) }, observed }
})
rows.push([
  "User",
  "create",
  measure(userCases, (c) =>
    planUser(
      { ...lifecycle, userId: c.userId, spec: c.spec, key: c.key },
      { user: undefined, key: undefined, previousKey: undefined, lastApplied: none }
    )
  )
])
rows.push([
  "User",
  "existing object",
  measure(userCases, (c) =>
    planUser(
      { ...lifecycle, userId: c.userId, spec: c.spec, key: c.key },
      { user: c.observed, key: undefined, previousKey: undefined, lastApplied: none }
    )
  )
])

const memberCases = members.map((spec, i) => ({ spec, teamId: `t${i}`, userId: `u${i}` }))
rows.push([
  "TeamMemberAssociation",
  "create",
  measure(memberCases, (c) => planMembership({ ...lifecycle, ...c }, { membership: undefined, lastApplied: none }))
])
rows.push([
  "TeamMemberAssociation",
  "existing object",
  measure(memberCases, (c) =>
    planMembership(
      { ...lifecycle, ...c },
      {
        membership: {
          teamId: c.teamId,
          userId: c.userId,
          role: c.spec.role,
          maxBudgetInTeam: c.spec.maxBudgetInTeam === undefined ? undefined : Number(c.spec.maxBudgetInTeam)
        },
        lastApplied: { fields: ["role", "maxBudgetInTeam"] }
      }
    )
  )
])

process.stdout.write(`plan throughput (node ${process.version}, ${SAMPLES} generated specs per kind, seed ${seed})\n`)
process.stdout.write("| kind | case | plans/s |\n| --- | --- | ---: |\n")
for (const [kind, kase, rate] of rows) process.stdout.write(`| ${kind} | ${kase} | ${rate.toLocaleString("en-US")} |\n`)
