/** Kubernetes for the operator: the CRDs generated from the core schemas. */
export * from "./crd/customResourceDefinition.ts"
export * from "./crd/kinds.ts"
export * from "./crd/structural.ts"
