/** Builds each kind's CustomResourceDefinition from the core schemas: one source of truth. */
import { Schema } from "effect"
import { describeBounds } from "./describeBounds.ts"
import type { KindDefinition } from "./kinds.ts"
import { group, kinds, version } from "./kinds.ts"
import type { JsonSchema } from "./structural.ts"
import { toStructural } from "./structural.ts"

const structuralOf = (schema: Schema.Top): JsonSchema => {
  const document = Schema.toJsonSchemaDocument(schema)
  return toStructural(document.schema, document.definitions)
}

const withRules = (schema: JsonSchema, rules: KindDefinition["specTransitionRules"]): JsonSchema => {
  if (rules.length === 0) return schema
  const existing = Array.isArray(schema["x-kubernetes-validations"]) ? schema["x-kubernetes-validations"] : []
  return { ...schema, "x-kubernetes-validations": [...existing, ...rules] }
}

export const customResourceDefinition = (def: KindDefinition) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: `${def.plural}.${group}`,
    labels: { "app.kubernetes.io/part-of": "litellm-operator" }
  },
  spec: {
    group,
    names: {
      kind: def.kind,
      listKind: `${def.kind}List`,
      plural: def.plural,
      singular: def.singular,
      shortNames: [...def.shortNames],
      categories: ["litellm"]
    },
    scope: "Namespaced",
    versions: [
      {
        name: version,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: def.columns.map((c) => ({ ...c })),
        schema: {
          openAPIV3Schema: {
            type: "object",
            description: def.description,
            required: ["spec"],
            properties: {
              apiVersion: {
                type: "string",
                description: "APIVersion defines the versioned schema of this representation of an object."
              },
              kind: {
                type: "string",
                description: "Kind is a string value representing the REST resource this object represents."
              },
              metadata: { type: "object" },
              spec: withRules(describeBounds(structuralOf(def.spec)), def.specTransitionRules),
              status: structuralOf(def.status)
            }
          }
        }
      }
    ]
  }
})

/** All four CRDs, in a stable order. */
export const customResourceDefinitions = () => kinds.map(customResourceDefinition)
