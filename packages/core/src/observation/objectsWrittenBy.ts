/**
 * The LiteLLM objects a plan action writes, by kind, for list-based
 * observation to read them by id until the next list. `cascades`: the action
 * also changes objects no id names (deleting a team deletes its keys and takes
 * it off its members; deleting a user deletes its keys and takes it off its
 * teams), so every snapshot must be dropped.
 */
import type { LiteLLMAction } from "../plan/Action.ts"

export interface WrittenObjects {
  readonly teams: ReadonlyArray<string>
  readonly users: ReadonlyArray<string>
  readonly keys: ReadonlyArray<string>
  readonly cascades: boolean
}

export const objectsWrittenBy = (action: LiteLLMAction): WrittenObjects => {
  switch (action._tag) {
    case "TeamCreate":
    case "TeamUpdate":
    case "TeamSetMemberPermissions":
    case "TeamBlock":
    case "TeamUnblock":
      return { teams: [action.teamId], users: [], keys: [], cascades: false }
    case "TeamDelete":
      return { teams: [action.teamId], users: [], keys: [], cascades: true }
    case "UserCreate":
    case "UserUpdate":
      return { teams: [], users: [action.userId], keys: [], cascades: false }
    case "UserDelete":
      return { teams: [], users: [action.userId], keys: [], cascades: true }
    case "MemberAdd":
    case "MemberUpdate":
    case "MemberRemove":
      return { teams: [action.teamId], users: [action.userId], keys: [], cascades: false }
    case "KeyGenerate":
    case "KeyUpdate":
    case "KeyBlock":
    case "KeyUnblock":
    case "KeyDelete":
      return { teams: [], users: [], keys: [action.token], cascades: false }
  }
}
