/**
 * The value a JSON text holds, or none when the text is not JSON: the first
 * step of decoding what comes over the wire, a schema being the second.
 * `Schema.fromJsonString` does the same as an effect of its own, a dozen
 * runtime steps for every API answer and watch line; this is one call.
 */
import { Option } from "effect"

export const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}
