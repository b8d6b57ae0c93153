/** Simulated health endpoints (litellm-api.md §8): no auth; readiness follows the profile. */
import { ok, type SimResponse } from "./Envelopes.ts"
import { type Ctx, iso } from "./State.ts"

export const liveliness = (): SimResponse => ok("I'm alive!")

export const readiness = (ctx: Ctx): SimResponse => {
  switch (ctx.profile.readiness) {
    case "connected":
      return ok({
        status: "connected",
        db: "connected",
        cache: null,
        litellm_version: ctx.profile.version,
        success_callbacks: [],
        last_updated: iso(ctx.now())
      })
    case "shutting_down":
      return { status: 503, body: { status: "shutting_down" } }
    case "unhealthy":
      return { status: 503, body: { detail: "Service Unhealthy (database not connected)" } }
  }
}
