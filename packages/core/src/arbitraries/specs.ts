/** fast-check arbitraries for valid specs of the four kinds, for property tests here and in other projects. */
import fc from "fast-check"
import type { TeamSpec } from "../api/Team.ts"
import type { MemberRole, TeamMemberAssociationSpec } from "../api/TeamMemberAssociation.ts"
import type { UserRole, UserSpec } from "../api/User.ts"
import { userRoles } from "../api/User.ts"
import type { VirtualKeySpec } from "../api/VirtualKey.ts"
import {
  budgetArb,
  budgetDurationArb,
  connectionRefArb,
  durationArb,
  keyValueArb,
  limitArb,
  modelListArb,
  nameArb,
  stringListArb,
  stringMapArb
} from "./primitives.ts"

const wholeNumberMapArb = fc.dictionary(
  fc.constantFrom("gpt-4o", "claude-sonnet", "llama-3"),
  fc.integer({ min: 1, max: 10_000 }).map(String),
  { maxKeys: 2 }
)
const intMapArb = fc.dictionary(
  fc.constantFrom("gpt-4o", "claude-sonnet", "llama-3"),
  fc.integer({ min: 1, max: 10_000 }),
  { maxKeys: 2 }
)
const budgetMapArb = fc.dictionary(fc.constantFrom("gpt-4o", "claude-sonnet"), budgetArb, { maxKeys: 2 })

export const teamSpecArb: fc.Arbitrary<TeamSpec> = fc.record(
  {
    connectionRef: connectionRefArb,
    teamAlias: nameArb,
    teamID: nameArb,
    blocked: fc.boolean(),
    budgetDuration: budgetDurationArb,
    guardrails: stringListArb,
    maxBudget: budgetArb,
    metadata: stringMapArb,
    modelAliases: stringMapArb,
    models: modelListArb,
    organizationID: nameArb,
    rpmLimit: limitArb,
    tags: stringListArb,
    teamMemberPermissions: fc.uniqueArray(fc.constantFrom("/key/generate", "/key/update", "/key/delete", "/key/info"), {
      maxLength: 3
    }),
    tpmLimit: limitArb
  },
  { requiredKeys: ["connectionRef", "teamAlias"] }
)

export const userRoleArb: fc.Arbitrary<UserRole> = fc.constantFrom(...userRoles)

export const userSpecArb: fc.Arbitrary<UserSpec> = fc.record(
  {
    connectionRef: connectionRefArb,
    userEmail: nameArb.map((n) => `${n}@example.com`),
    userID: nameArb,
    userAlias: nameArb,
    userRole: userRoleArb,
    aliases: stringMapArb,
    allowedCacheControls: fc.uniqueArray(fc.constantFrom("no-cache", "no-store"), { maxLength: 2 }),
    autoCreateKey: fc.boolean(),
    blocked: fc.boolean(),
    budgetDuration: budgetDurationArb,
    duration: durationArb,
    guardrails: stringListArb,
    keyAlias: nameArb,
    maxBudget: budgetArb,
    maxParallelRequests: limitArb,
    metadata: stringMapArb,
    modelMaxBudget: budgetMapArb,
    modelRPMLimit: wholeNumberMapArb,
    modelTPMLimit: wholeNumberMapArb,
    models: modelListArb,
    permissions: stringMapArb,
    rpmLimit: limitArb,
    sendInviteEmail: fc.boolean(),
    softBudget: budgetArb,
    spend: budgetArb,
    ssoUserID: nameArb,
    teams: stringListArb,
    tpmLimit: limitArb
  },
  { requiredKeys: ["connectionRef", "userEmail"] }
)

export const virtualKeySpecArb: fc.Arbitrary<VirtualKeySpec> = fc.record(
  {
    connectionRef: connectionRefArb,
    keyAlias: nameArb,
    aliases: stringMapArb,
    allowedCacheControls: fc.uniqueArray(fc.constantFrom("no-cache", "no-store"), { maxLength: 2 }),
    allowedRoutes: fc.uniqueArray(fc.constantFrom("/chat/completions", "/embeddings", "llm_api_routes"), {
      maxLength: 2
    }),
    blocked: fc.boolean(),
    budgetDuration: budgetDurationArb,
    budgetID: nameArb,
    config: stringMapArb,
    duration: durationArb,
    enforcedParams: fc.uniqueArray(fc.constantFrom("user", "metadata.project"), { maxLength: 2 }),
    guardrails: stringListArb,
    key: keyValueArb,
    maxBudget: budgetArb,
    maxParallelRequests: limitArb,
    metadata: stringMapArb,
    modelMaxBudget: budgetMapArb,
    modelRPMLimit: intMapArb,
    modelTPMLimit: intMapArb,
    models: modelListArb,
    permissions: stringMapArb,
    rpmLimit: limitArb,
    sendInviteEmail: fc.boolean(),
    softBudget: budgetArb,
    spend: budgetArb,
    tags: stringListArb,
    teamID: nameArb,
    tpmLimit: limitArb,
    userID: nameArb
  },
  { requiredKeys: ["connectionRef", "keyAlias"] }
)

export const memberRoleArb: fc.Arbitrary<MemberRole> = fc.constantFrom("admin", "user")

export const teamMemberAssociationSpecArb: fc.Arbitrary<TeamMemberAssociationSpec> = fc.record(
  {
    connectionRef: connectionRefArb,
    teamAlias: nameArb,
    userEmail: nameArb.map((n) => `${n}@example.com`),
    role: memberRoleArb,
    maxBudgetInTeam: budgetArb
  },
  { requiredKeys: ["connectionRef", "teamAlias", "userEmail", "role"] }
)
