/** The committed YAML form of a CRD, and its file name. */
import { dumpYaml } from "@kubernetes/client-node"

const header = "# Generated from packages/core's schemas by `pnpm crds`; do not edit.\n"

export const renderCrd = (crd: { readonly metadata: { readonly name: string } }): string => header + dumpYaml(crd)

export const crdFileName = (crd: { readonly metadata: { readonly name: string } }): string =>
  `${crd.metadata.name}.yaml`
