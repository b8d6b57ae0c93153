/** The pause before an informer lists again after an error (kube-rs's stream backoff): exponential, capped, jittered. */
import { Duration, Schedule } from "effect"

export interface BackoffOptions {
  readonly initial: Duration.Input
  readonly max: Duration.Input
}

export const defaultInformerBackoff: BackoffOptions = { initial: Duration.seconds(1), max: Duration.seconds(30) }

export const informerBackoff = (options: BackoffOptions = defaultInformerBackoff) =>
  Schedule.min([
    Schedule.exponential(Duration.fromInputUnsafe(options.initial)),
    Schedule.spaced(Duration.fromInputUnsafe(options.max))
  ]).pipe(Schedule.jittered)
