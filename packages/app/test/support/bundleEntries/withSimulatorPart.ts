/** A bundle entry that reaches one part of the simulator (not its service): the bundle step must refuse it too. */
import { hashIfKey } from "../../../../litellm/src/simulator/State.ts"

console.log(hashIfKey("sk-anything"))
