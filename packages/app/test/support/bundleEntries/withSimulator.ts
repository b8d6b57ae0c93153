/** A bundle entry that reaches the simulator through its entry point: the bundle step must refuse it. */
import { Simulator } from "@litellm-operator/litellm/simulator"

console.log(Simulator.key)
