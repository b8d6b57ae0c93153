/** How an object names the LiteLLM instance it is reconciled against. */
import { Schema } from "effect"
import { described, KubeName } from "./Primitives.ts"

export const SecretKeys = Schema.Struct({
  masterKey: Schema.optionalKey(
    KubeName.pipe(described("MasterKey is the key in the secret containing the master key"))
  ),
  url: Schema.optionalKey(KubeName.pipe(described("URL is the key in the secret containing the LiteLLM URL")))
}).annotate({ description: "SecretKeys defines the keys in a secret for connection details" })
export type SecretKeys = typeof SecretKeys.Type

export const SecretRef = Schema.Struct({
  name: KubeName.pipe(described("Name is the name of the secret")),
  keys: Schema.optionalKey(
    SecretKeys.pipe(described("Keys defines the keys in the secret that contain connection details"))
  )
}).annotate({ description: "SecretRef references a secret containing connection details" })
export type SecretRef = typeof SecretRef.Type

export const InstanceRef = Schema.Struct({
  name: KubeName.pipe(described("Name is the name of the LiteLLM instance")),
  namespace: Schema.optionalKey(
    KubeName.pipe(
      described("Namespace is the namespace of the LiteLLM instance (defaults to the same namespace as the Team)")
    )
  )
}).annotate({ description: "InstanceRef references a LiteLLM instance" })
export type InstanceRef = typeof InstanceRef.Type

const exactlyOne = "exactly one of secretRef and instanceRef must be set"

/** Exactly one of `secretRef` and `instanceRef` must be set. */
export const ConnectionRef = Schema.Struct({
  secretRef: Schema.optionalKey(
    SecretRef.pipe(described("SecretRef references a secret containing connection details"))
  ),
  instanceRef: Schema.optionalKey(InstanceRef.pipe(described("InstanceRef references a LiteLLM instance")))
}).check(
  Schema.makeFilter(
    (ref: { readonly secretRef?: unknown; readonly instanceRef?: unknown }) =>
      (ref.secretRef === undefined) === (ref.instanceRef === undefined) ? exactlyOne : undefined,
    {
      description: "ConnectionRef defines how to connect to a LiteLLM instance",
      // The same rule at admission.
      toJsonSchema: () => ({
        "x-kubernetes-validations": [{ rule: "has(self.secretRef) != has(self.instanceRef)", message: exactlyOne }]
      })
    }
  )
)
export type ConnectionRef = typeof ConnectionRef.Type

/** The secret keys used when `secretRef.keys` leaves them out. */
export const defaultSecretKeys = { masterKey: "masterkey", url: "url" } as const

const connectionRefMissing =
  "connectionRef is required: set connectionRef.secretRef.name to a Secret in this namespace that holds the LiteLLM url and master key (keys url and masterkey), or connectionRef.instanceRef; see docs/migrating-from-the-go-operator.md"

/**
 * Every spec names its connection. The decoder already requires the field; at
 * admission a missing field is only "Required value", so this rule adds what
 * to put there (the Go operator's sample manifests leave it out).
 */
export const requiresConnectionRef = Schema.makeFilter(
  (spec: { readonly connectionRef?: unknown }) => (spec.connectionRef === undefined ? connectionRefMissing : undefined),
  {
    toJsonSchema: () => ({
      "x-kubernetes-validations": [
        {
          rule: "has(self.connectionRef)",
          message: connectionRefMissing,
          fieldPath: ".connectionRef",
          reason: "FieldValueRequired"
        }
      ]
    })
  }
)
