/**
 * LiteLLM identities are chosen before any create call, so a retry after a
 * crash finds the object it made instead of making a second one.
 */

/** The `team_id`: the spec's, else one derived from the object's uid. */
export const teamIdFor = (spec: { readonly teamID?: string }, uid: string): string => spec.teamID ?? `k8s-${uid}`

/** The `user_id`: the spec's, else one derived from the object's uid. */
export const userIdFor = (spec: { readonly userID?: string }, uid: string): string => spec.userID ?? `k8s-${uid}`
