// Summarises what the operator's ServiceAccounts asked the API server for, from an audit log the
// one-node cluster wrote (LITELLM_OPERATOR_NODE_AUDIT_LOG=<file> tools/node/cluster.sh ...):
// one line per verb and resource, with how many requests were allowed and denied.
//   node tools/node/rbac-usage.mjs <audit.log> [username-suffix]   (default suffix litellm-operator)
import { readFileSync } from "node:fs"

const [file, suffix = "litellm-operator"] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write("usage: node tools/node/rbac-usage.mjs <audit.log> [username-suffix]\n")
  process.exit(2)
}

const rows = new Map()
for (const line of readFileSync(file, "utf8").split("\n")) {
  if (line.trim() === "") continue
  const event = JSON.parse(line)
  const user = String(event.user?.username ?? "")
  if (!user.startsWith("system:serviceaccount:") || !user.endsWith(suffix)) continue
  const ref = event.objectRef ?? {}
  const resource = `${ref.apiGroup ? `${ref.apiGroup}/` : ""}${ref.resource ?? event.requestURI}${ref.subresource ? `/${ref.subresource}` : ""}`
  const scope = ref.namespace ? "namespaced" : "cluster-wide"
  const key = `${event.verb} ${resource} (${scope})`
  const row = rows.get(key) ?? { allowed: 0, denied: 0 }
  if (event.annotations?.["authorization.k8s.io/decision"] === "forbid") row.denied++
  else row.allowed++
  rows.set(key, row)
}
for (const [key, row] of [...rows].sort(([a], [b]) => a.localeCompare(b)))
  process.stdout.write(`${key}: ${row.allowed} allowed, ${row.denied} denied\n`)
