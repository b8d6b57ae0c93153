/** The committed YAML form of a CRD, and its file name. */
import { dumpYaml } from "@kubernetes/client-node"

const header = "# Generated from packages/core's schemas by `pnpm crds`; do not edit.\n"

/**
 * client-node's `dumpYaml` passes built-in kinds through its typed models,
 * which hold `enum` and `x-kubernetes-validations` under other names and so
 * drop them. Under an apiVersion it does not know, it dumps the object as is.
 */
const unregistered = "render.litellm-operator.invalid/v1"

export const renderCrd = (crd: { readonly apiVersion: string; readonly metadata: { readonly name: string } }): string =>
  header +
  dumpYaml({ ...crd, apiVersion: unregistered }).replace(
    `apiVersion: ${unregistered}\n`,
    `apiVersion: ${crd.apiVersion}\n`
  )

export const crdFileName = (crd: { readonly metadata: { readonly name: string } }): string =>
  `${crd.metadata.name}.yaml`
