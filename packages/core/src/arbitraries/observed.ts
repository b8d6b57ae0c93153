/** fast-check arbitraries for LiteLLM objects as the client decodes them, nulls and all. */
import fc from "fast-check"
import type { ObservedKey } from "../litellm/ObservedKey.ts"
import type { ObservedTeam } from "../litellm/ObservedTeam.ts"
import type { ObservedUser } from "../litellm/ObservedUser.ts"
import { budgetDurationArb, limitArb, modelListArb, nameArb, stringListArb, stringMapArb } from "./primitives.ts"

const money = fc.double({ min: 0, max: 100_000, noNaN: true, noDefaultInfinity: true })
const nullOr = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: null })
const timestamp = fc
  .date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString())

export const keyTokenArb: fc.Arbitrary<string> = fc.stringMatching(/^[0-9a-f]{64}$/)

export const observedTeamArb: fc.Arbitrary<ObservedTeam> = fc.record(
  {
    team_id: nameArb,
    team_alias: nullOr(nameArb),
    organization_id: nullOr(nameArb),
    models: modelListArb,
    max_budget: nullOr(money),
    budget_duration: nullOr(budgetDurationArb),
    budget_reset_at: nullOr(timestamp),
    tpm_limit: nullOr(limitArb),
    rpm_limit: nullOr(limitArb),
    blocked: fc.boolean(),
    metadata: fc.oneof(stringMapArb, fc.record({ tags: stringListArb }), fc.constant({ team_member_budget_id: "b-1" })),
    members_with_roles: fc.array(
      fc.record({ user_id: nullOr(nameArb), user_email: nullOr(nameArb), role: fc.constantFrom("admin", "user") }),
      { maxLength: 3 }
    ),
    team_member_permissions: stringListArb,
    litellm_model_table: nullOr(fc.record({ id: fc.nat(), model_aliases: stringMapArb })),
    spend: money,
    created_at: timestamp,
    updated_at: timestamp
  },
  { requiredKeys: ["team_id"] }
)

export const observedUserArb: fc.Arbitrary<ObservedUser> = fc.record(
  {
    user_id: nameArb,
    user_email: nullOr(nameArb.map((n) => `${n}@example.com`)),
    user_alias: nullOr(nameArb),
    user_role: nullOr(fc.constantFrom("proxy_admin", "internal_user")),
    models: modelListArb,
    max_budget: nullOr(money),
    budget_duration: nullOr(budgetDurationArb),
    tpm_limit: nullOr(limitArb),
    rpm_limit: nullOr(limitArb),
    max_parallel_requests: nullOr(limitArb),
    metadata: fc.oneof(stringMapArb, fc.record({ guardrails: stringListArb, tags: stringListArb })),
    teams: stringListArb,
    spend: money,
    created_at: timestamp,
    updated_at: timestamp
  },
  { requiredKeys: ["user_id"] }
)

export const observedKeyArb: fc.Arbitrary<ObservedKey> = fc.record(
  {
    token: keyTokenArb,
    key_name: fc.stringMatching(/^[A-Za-z0-9]{4}$/).map((s) => `sk-...${s}`),
    key_alias: nullOr(nameArb),
    user_id: nullOr(nameArb),
    team_id: nullOr(nameArb),
    models: modelListArb,
    aliases: stringMapArb,
    config: stringMapArb,
    permissions: stringMapArb,
    metadata: stringMapArb,
    max_budget: nullOr(money),
    budget_duration: nullOr(budgetDurationArb),
    expires: nullOr(timestamp),
    tpm_limit: nullOr(limitArb),
    rpm_limit: nullOr(limitArb),
    max_parallel_requests: nullOr(limitArb),
    blocked: nullOr(fc.boolean()),
    litellm_budget_table: nullOr(
      fc.record({ budget_id: nameArb, soft_budget: nullOr(money), max_budget: nullOr(money), created_at: timestamp })
    ),
    spend: money,
    created_at: timestamp,
    updated_at: timestamp
  },
  { requiredKeys: ["token"] }
)
