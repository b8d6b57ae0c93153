/** The committed YAML form of a CRD, and its file name. */
import { dump } from "js-yaml"

const header = "# Generated from packages/core's schemas by `pnpm crds`; do not edit.\n"

export const renderCrd = (crd: { readonly apiVersion: string; readonly metadata: { readonly name: string } }): string =>
  header + dump(crd)

export const crdFileName = (crd: { readonly metadata: { readonly name: string } }): string =>
  `${crd.metadata.name}.yaml`
