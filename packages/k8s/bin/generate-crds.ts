/** Writes the CRD manifests generated from the core schemas: `pnpm crds`. */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { crdFileName, renderCrd } from "../src/crd/renderCrd.ts"
import { customResourceDefinitions } from "../src/index.ts"

const outDir = join(import.meta.dirname, "..", "..", "..", "deploy", "chart", "crds")
for (const crd of customResourceDefinitions()) writeFileSync(join(outDir, crdFileName(crd)), renderCrd(crd))
process.stdout.write(`wrote ${customResourceDefinitions().length} CRDs to ${outDir}\n`)
