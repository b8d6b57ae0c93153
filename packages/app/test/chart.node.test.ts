/**
 * The operator as users run it: its image (built from this repository),
 * installed by Helm with the chart's ServiceAccount, RBAC, probes, resources
 * and security context, on a real one-node cluster (kubelet, controller
 * manager, scheduler, containerd). LiteLLM is the simulator on 127.0.0.1
 * (pods use the node's network). The tests run in order and share one
 * release until it is uninstalled.
 */

import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { readyOf } from "@litellm-operator/core"
import {
  KubeClient,
  KubeTransport,
  Secrets,
  TeamMemberAssociations,
  Teams,
  Users,
  VirtualKeys
} from "@litellm-operator/k8s"
import { Simulator } from "@litellm-operator/litellm/simulator"
import { type Duration, Effect, Layer, Redacted, Schema } from "effect"
import { inject } from "vitest"
import {
  CommandError,
  getPod,
  helm,
  installChart,
  isGone,
  isRunningReady,
  leaseHolder,
  operatorPods,
  type Pod,
  repoRoot,
  send
} from "./support/nodeCluster.ts"
import { eventually, isReady, MASTER_KEY, masterKey } from "./support/operatorHarness.ts"
import {
  awaitAllReady,
  createConnectionSecretFor,
  everything,
  integrityProblems,
  isReadyObject,
  keySecretTokens,
  listAll,
  namespaceWithConnection,
  populate,
  total
} from "./support/population.ts"

const RELEASE = "ops"
const OPS_NAMESPACE = "litellm-system"

const testLayer = Layer.mergeAll(
  Layer.suspend(() => KubeClient.layerFromFile(inject("kubeconfig"))),
  Simulator.layer({ masterKey, seed: 12 })
)

/** kubectl apply of example files, as a user would. */
const kubectlApply = (...files: ReadonlyArray<string>) =>
  Effect.callback<string, CommandError>((resume) => {
    execFile(
      inject("nodeCluster").kubectl,
      ["--kubeconfig", inject("kubeconfig"), "apply", ...files.flatMap((f) => ["-f", join(repoRoot, "examples", f)])],
      { encoding: "utf8" },
      (error, stdout, stderr) =>
        resume(error === null ? Effect.succeed(stdout) : Effect.fail(new CommandError({ message: stderr })))
    )
  })

/** Waits for one operator pod of the release to run, be ready and hold the Lease; returns its name. */
const awaitLeader = (
  namespace: string,
  release: string,
  exclude: ReadonlyArray<string> = [],
  timeout: Duration.Input = "120 seconds"
) =>
  Effect.gen(function* () {
    const holder = yield* eventually(
      "a running operator pod holding the Lease",
      Effect.gen(function* () {
        const pods = yield* operatorPods(namespace, release)
        const holder = yield* leaseHolder(namespace).pipe(Effect.orElseSucceed(() => ""))
        return pods.some((p) => p.metadata.name === holder && isRunningReady(p)) ? holder : ""
      }),
      (holder) => holder !== "" && !exclude.includes(holder),
      timeout
    )
    return holder
  })

const examples = ["10-team.yaml", "20-user.yaml", "30-virtualkey.yaml", "40-teammemberassociation.yaml"]

/** The four examples' objects, all Ready for their current generation. */
const examplesReady = Effect.gen(function* () {
  const all = everything(yield* listAll("default"))
  return all.length === 4 && all.every(isReadyObject)
})

/** Problems in LiteLLM's tables given the objects of the namespace (duplicates, orphans, missing). */
const problemsIn = (namespace: string) =>
  Effect.gen(function* () {
    const sim = yield* Simulator
    return integrityProblems(yield* sim.snapshot, yield* listAll(namespace), yield* keySecretTokens(namespace))
  })

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** A pod from the operator's image that mounts `secret` and prints the sha256 of its key (never the key). */
const keyReaderPod = (namespace: string, name: string, secret: string) => {
  const cluster = inject("nodeCluster")
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name },
    spec: {
      restartPolicy: "Never",
      hostNetwork: true,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
      containers: [
        {
          name: "reader",
          image: `${cluster.imageRepository}:${cluster.imageTag}`,
          imagePullPolicy: "Never",
          command: [
            "/nodejs/bin/node",
            "-e",
            "const key = require('fs').readFileSync('/key/key', 'utf8'); console.log('sha256=' + require('crypto').createHash('sha256').update(key).digest('hex'))"
          ],
          volumeMounts: [{ name: "key", mountPath: "/key", readOnly: true }],
          securityContext: {
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] }
          },
          resources: { limits: { memory: "64Mi" }, requests: { cpu: "10m", memory: "32Mi" } }
        }
      ],
      volumes: [{ name: "key", secret: { secretName: secret } }]
    }
  }
}

/** Whether `user` may `verb` `resource` (`kind` or `kind/subresource`, of the operator's API group; or core `secrets`) in `namespace` ("" = cluster-wide). */
const can = (user: string, verb: string, resource: string, namespace: string) =>
  Effect.gen(function* () {
    const body = yield* send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user,
        groups: ["system:serviceaccounts", "system:authenticated"],
        resourceAttributes: {
          verb,
          resource: resource.split("/")[0],
          ...(resource.includes("/") ? { subresource: resource.split("/")[1] } : {}),
          group: resource === "secrets" ? "" : "auth.litellm.ai",
          ...(namespace === "" ? {} : { namespace })
        }
      }
    })
    const review = yield* Schema.decodeUnknownEffect(Schema.fromJsonString(AccessReview))(body)
    return review.status.allowed
  })
const AccessReview = Schema.Struct({ status: Schema.Struct({ allowed: Schema.Boolean }) })

const Rule = Schema.Struct({
  apiGroups: Schema.Array(Schema.String),
  resources: Schema.Array(Schema.String),
  verbs: Schema.Array(Schema.String),
  resourceNames: Schema.optionalKey(Schema.Array(Schema.String))
})
const Role = Schema.Struct({ rules: Schema.Array(Rule) })
const getRole = (path: string) =>
  Effect.gen(function* () {
    const transport = yield* KubeTransport
    return yield* Schema.decodeUnknownEffect(Schema.fromJsonString(Role))(
      yield* transport.request({ method: "GET", path })
    )
  })

/**
 * The operator container's memory: the cgroup's peak usage (what the memory
 * limit is enforced on) and the node process's peak RSS, read on this node
 * (cgroup v1, the kubelet's cgroupfs layout).
 */
const containerMemory = (pod: Pod) =>
  Effect.promise(async () => {
    const id = (pod.status.containerStatuses?.[0]?.containerID ?? "").replace(/^containerd:\/\//, "")
    const qos = (pod.status.qosClass ?? "").toLowerCase()
    const dir = `/sys/fs/cgroup/memory/kubepods/${qos === "guaranteed" ? "" : `${qos}/`}pod${pod.metadata.uid}/${id}`
    const read = (file: string) => readFile(join(dir, file), "utf8").then((t) => t.trim())
    const pid = (await read("cgroup.procs")).split("\n")[0] ?? ""
    const status = await readFile(`/proc/${pid}/status`, "utf8")
    return {
      peakBytes: Number(await read("memory.max_usage_in_bytes")),
      limitBytes: Number(await read("memory.limit_in_bytes")),
      peakRssBytes: Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) * 1024
    }
  })

/** The pod's log (through the kubelet). */
const podLog = (namespace: string, name: string) =>
  Effect.gen(function* () {
    const transport = yield* KubeTransport
    return yield* transport.request({ method: "GET", path: `/api/v1/namespaces/${namespace}/pods/${name}/log` })
  })

layer(testLayer, { timeout: "60 seconds", excludeTestServices: true })("the chart on a real one-node cluster", (it) => {
  let leader = ""

  it.effect(
    "installs with two replicas; one runs and leads, under the chart's ServiceAccount and hardening",
    () =>
      Effect.gen(function* () {
        yield* installChart(RELEASE, OPS_NAMESPACE, ["operator.resyncPeriod=1m"])
        leader = yield* awaitLeader(OPS_NAMESPACE, RELEASE)
        const pods = yield* operatorPods(OPS_NAMESPACE, RELEASE)
        assert.strictEqual(pods.length, 2)
        // One node, the node's network: the other replica waits for the port (the scheduler says why).
        const standby = pods.find((p) => p.metadata.name !== leader)
        assert.strictEqual(standby?.status.phase, "Pending")
        const running = yield* getPod(OPS_NAMESPACE, leader)
        assert.strictEqual(running.status.qosClass, "Burstable")
        assert.strictEqual(running.status.containerStatuses?.[0]?.restartCount, 0)
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "the examples converge, and a workload pod reads the key from the Secret it mounts",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const kube = yield* KubeClient
        yield* createConnectionSecretFor("default", { url: sim.url, masterKey }, "litellm-connection")
        yield* kubectlApply(...examples)
        yield* eventually("the four examples Ready", examplesReady, (ok) => ok, "90 seconds")
        assert.deepStrictEqual(yield* problemsIn("default"), [])

        const vk = yield* kube.get(VirtualKeys, { namespace: "default", name: "search-indexer" })
        const secretName = `${vk.metadata.name}-litellm-key`
        yield* send("POST", "/api/v1/namespaces/default/pods", keyReaderPod("default", "key-reader", secretName))
        yield* eventually(
          "the key reader to finish",
          getPod("default", "key-reader"),
          (p) => p.status.phase === "Succeeded" || p.status.phase === "Failed",
          "90 seconds"
        )
        const log = yield* podLog("default", "key-reader")
        assert.notInclude(log, MASTER_KEY)
        const printed = /sha256=([0-9a-f]{64})/.exec(log)?.[1]
        // The key in the mounted file is the one LiteLLM holds for this VirtualKey.
        assert.strictEqual(printed, vk.status?.token)
        assert.isDefined(
          (yield* sim.snapshot).keys.find((k) => k.token === printed && k.key_alias === "search-indexer")
        )
        const secret = yield* kube.get(Secrets, { namespace: "default", name: secretName })
        const key = secret.data?.key
        assert.strictEqual(key === undefined ? "" : sha256(Redacted.value(key)), printed)
        yield* send("DELETE", "/api/v1/namespaces/default/pods/key-reader")
      }),
    { timeout: 240_000 }
  )

  it.effect(
    "deleting the leader pod hands leadership to the other replica, which reconciles the next change",
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const before = yield* kube.get(VirtualKeys, { namespace: "default", name: "search-indexer" })
        const t0 = Date.now()
        yield* send("DELETE", `/api/v1/namespaces/${OPS_NAMESPACE}/pods/${leader}`)
        const changed = yield* kube.mergePatch(
          VirtualKeys,
          { namespace: "default", name: "search-indexer" },
          { spec: { maxBudget: "21" } }
        )
        assert.isAbove(changed.metadata.generation ?? 0, before.metadata.generation ?? 0)
        const next = yield* awaitLeader(OPS_NAMESPACE, RELEASE, [leader], "180 seconds")
        const tLeader = Date.now()
        yield* eventually(
          "the change reconciled by the new leader",
          kube.get(VirtualKeys, { namespace: "default", name: "search-indexer" }),
          (vk) => {
            const ready = readyOf(vk.status?.conditions ?? [])
            return ready?.status === "True" && ready.observedGeneration === changed.metadata.generation
          },
          "120 seconds"
        )
        const tReconciled = Date.now()
        const key = (yield* sim.snapshot).keys.find((k) => k.key_alias === "search-indexer")
        assert.strictEqual(Number(key?.max_budget), 21)
        assert.notStrictEqual(next, leader)
        process.stderr.write(
          `node: leader ${leader} deleted; ${next} led after ${((tLeader - t0) / 1000).toFixed(1)} s, ` +
            `reconciled the change after ${((tReconciled - t0) / 1000).toFixed(1)} s\n`
        )
        leader = next
        assert.deepStrictEqual(yield* problemsIn("default"), [])
      }),
    { timeout: 300_000 }
  )

  it.effect(
    "helm upgrade with a changed value replaces the pods without losing or duplicating a key",
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const tokensBefore = yield* keySecretTokens("default")
        const keysBefore = (yield* sim.snapshot).keys.length
        const podsBefore = (yield* operatorPods(OPS_NAMESPACE, RELEASE)).map((p) => p.metadata.name)
        yield* helm(
          "upgrade",
          RELEASE,
          join(repoRoot, "deploy", "chart"),
          "--namespace",
          OPS_NAMESPACE,
          "--reuse-values",
          "--set",
          "operator.logLevel=Debug"
        )
        const next = yield* awaitLeader(OPS_NAMESPACE, RELEASE, podsBefore, "180 seconds")
        const pods = yield* operatorPods(OPS_NAMESPACE, RELEASE)
        assert.isFalse(
          pods.some((p) => podsBefore.includes(p.metadata.name)),
          "every pod is new"
        )
        // The new leader has been through every object: a change made now is reconciled after all of them.
        const changed = yield* kube.mergePatch(
          Teams,
          { namespace: "default", name: "search" },
          { spec: { maxBudget: "251" } }
        )
        yield* eventually(
          "the Team change reconciled after the upgrade",
          kube.get(Teams, { namespace: "default", name: "search" }),
          (t) => readyOf(t.status?.conditions ?? [])?.observedGeneration === changed.metadata.generation,
          "120 seconds"
        )
        yield* eventually("the examples Ready", examplesReady, (ok) => ok, "60 seconds")
        assert.deepStrictEqual(yield* keySecretTokens("default"), tokensBefore)
        assert.strictEqual((yield* sim.snapshot).keys.length, keysBefore)
        assert.deepStrictEqual(yield* problemsIn("default"), [])
        leader = next
      }),
    { timeout: 300_000 }
  )

  it.effect(
    "a key revoked in LiteLLM is replaced and the workload's Secret updated in place",
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const sim = yield* Simulator
        const key = { namespace: "default", name: "search-indexer" }
        const before = yield* kube.get(VirtualKeys, key)
        const revoked = yield* Effect.promise(() =>
          fetch(`${sim.url}/key/delete`, {
            method: "POST",
            headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ keys: [before.status?.token] })
          }).then((r) => r.status)
        )
        assert.strictEqual(revoked, 200)
        const changed = yield* kube.mergePatch(VirtualKeys, key, { spec: { maxBudget: "22" } })
        const after = yield* eventually(
          "a new key, Ready",
          kube.get(VirtualKeys, key),
          (vk) =>
            readyOf(vk.status?.conditions ?? [])?.observedGeneration === changed.metadata.generation &&
            isReady(vk.status) &&
            vk.status?.token !== before.status?.token,
          "90 seconds"
        )
        const tokens = yield* keySecretTokens("default")
        assert.strictEqual(tokens.get("search-indexer-litellm-key"), after.status?.token)
        assert.deepStrictEqual(yield* problemsIn("default"), [])
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "key Secrets carry an owner reference to their object and are collected with it",
    () =>
      Effect.gen(function* () {
        const kube = yield* KubeClient
        yield* kube.create(VirtualKeys, {
          metadata: { namespace: "default", name: "short-lived" },
          spec: { connectionRef: { secretRef: { name: "litellm-connection" } }, keyAlias: "short-lived" }
        })
        const vk = yield* eventually(
          "short-lived Ready",
          kube.get(VirtualKeys, { namespace: "default", name: "short-lived" }),
          (o) => isReady(o.status),
          "60 seconds"
        )
        const secret = yield* kube.get(Secrets, { namespace: "default", name: "short-lived-litellm-key" })
        const owner = secret.metadata.ownerReferences?.[0]
        assert.strictEqual(owner?.uid, vk.metadata.uid)
        assert.strictEqual(owner?.controller, true)
        yield* kube.delete(VirtualKeys, { namespace: "default", name: "short-lived" })
        yield* eventually(
          "the key Secret gone",
          isGone("/api/v1/namespaces/default/secrets/short-lived-litellm-key"),
          (gone) => gone,
          "60 seconds"
        )
        const sim = yield* Simulator
        assert.isUndefined((yield* sim.snapshot).keys.find((k) => k.key_alias === "short-lived"))
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "deleting a namespace removes its LiteLLM objects, and the namespace finishes deleting",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const namespace = yield* namespaceWithConnection("doomed", { url: sim.url, masterKey })
        yield* populate(namespace, { teams: 1, users: 1, keys: 1, associations: 1 }, "doomed")
        const population = yield* awaitAllReady(namespace, 4, "90 seconds")
        const teamId = population.teams[0]?.status?.teamID
        const userId = population.users[0]?.status?.userID
        assert.isDefined(teamId)
        assert.isDefined(userId)
        yield* send("DELETE", `/api/v1/namespaces/${namespace}`)
        yield* eventually(
          "the namespace gone",
          isGone(`/api/v1/namespaces/${namespace}`),
          (gone) => gone,
          "150 seconds"
        )
        const snapshot = yield* sim.snapshot
        assert.isUndefined(snapshot.teams.find((t) => t.team_id === teamId))
        assert.isUndefined(snapshot.users.find((u) => u.user_id === userId))
        assert.isUndefined(snapshot.keys.find((k) => String(k.key_alias ?? "").startsWith("doomed-")))
      }),
    { timeout: 240_000 }
  )

  it.effect(
    "helm uninstall removes the operator and leaves the CRDs, the objects, their key Secrets and LiteLLM's objects",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const before = yield* sim.snapshot
        const tokens = yield* keySecretTokens("default")
        yield* helm("uninstall", RELEASE, "--namespace", OPS_NAMESPACE, "--wait")
        yield* eventually(
          "no operator pod",
          operatorPods(OPS_NAMESPACE, RELEASE),
          (pods) => pods.length === 0,
          "90 seconds"
        )
        for (const crd of ["teams", "users", "virtualkeys", "teammemberassociations"])
          assert.isFalse(
            yield* isGone(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}.auth.litellm.ai`)
          )
        const population = yield* listAll("default")
        assert.strictEqual(
          population.teams.length + population.users.length + population.keys.length + population.associations.length,
          4
        )
        // Finalizers stay: deleting an object now waits for an operator to come back.
        assert.include(population.keys[0]?.metadata.finalizers ?? [], "auth.litellm.ai/finalizer")
        assert.deepStrictEqual(yield* keySecretTokens("default"), tokens)
        const after = yield* sim.snapshot
        assert.strictEqual(after.keys.length, before.keys.length)
        assert.strictEqual(after.teams.length, before.teams.length)
        assert.strictEqual(after.users.length, before.users.length)
        const kube = yield* KubeClient
        assert.isTrue(
          (yield* kube.list(TeamMemberAssociations, { namespace: "default" })).items.length === 1 &&
            (yield* kube.list(Users, { namespace: "default" })).items.length === 1
        )
      }),
    { timeout: 180_000 }
  )

  it.effect(
    "namespace-scoped: only a Role in the watched namespace; another namespace is out of reach; a missing rule is a clear condition, not a crash loop",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const kube = yield* KubeClient
        const connection = { url: sim.url, masterKey }
        yield* namespaceWithConnection("scoped-a", connection)
        yield* namespaceWithConnection("scoped-b", connection)
        yield* installChart("scoped", "scoped-ops", ["watchNamespace=scoped-a", "replicas=1"])
        yield* awaitLeader("scoped-ops", "scoped")
        const serviceAccount = "system:serviceaccount:scoped-ops:scoped-litellm-operator"
        assert.isTrue(yield* can(serviceAccount, "list", "teams", "scoped-a"))
        assert.isFalse(yield* can(serviceAccount, "list", "teams", "scoped-b"))
        assert.isFalse(yield* can(serviceAccount, "get", "secrets", "scoped-b"))
        assert.isFalse(yield* can(serviceAccount, "list", "teams", ""))

        const team = (namespace: string) =>
          kube.create(Teams, {
            metadata: { namespace, name: "scoped" },
            spec: { connectionRef: { secretRef: { name: "litellm" } }, teamAlias: `scoped-${namespace}` }
          })
        yield* team("scoped-a")
        yield* team("scoped-b")
        yield* eventually(
          "the Team in the watched namespace Ready",
          kube.get(Teams, { namespace: "scoped-a", name: "scoped" }),
          (t) => isReady(t.status),
          "60 seconds"
        )
        // The other namespace's Team is not touched: no status, no finalizer, nothing in LiteLLM.
        const other = yield* kube.get(Teams, { namespace: "scoped-b", name: "scoped" })
        assert.isUndefined(other.status)
        assert.deepStrictEqual(other.metadata.finalizers ?? [], [])
        assert.isUndefined((yield* sim.snapshot).teams.find((t) => t.team_alias === "scoped-scoped-b"))

        // Take away the right to create Secrets: a VirtualKey cannot get its key Secret.
        const rolePath = "/apis/rbac.authorization.k8s.io/v1/namespaces/scoped-a/roles/scoped-litellm-operator"
        const role = yield* getRole(rolePath)
        const without = role.rules.map((r) =>
          r.resources.includes("secrets") ? { ...r, verbs: r.verbs.filter((v) => v !== "create") } : r
        )
        yield* send("PATCH", rolePath, { rules: without })
        yield* eventually(
          "RBAC to take the rule away",
          can(serviceAccount, "create", "secrets", "scoped-a"),
          (allowed) => !allowed,
          "30 seconds"
        )
        yield* kube.create(VirtualKeys, {
          metadata: { namespace: "scoped-a", name: "no-secret" },
          spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "scoped-no-secret" }
        })
        const refused = yield* eventually(
          "the VirtualKey Ready=False",
          kube.get(VirtualKeys, { namespace: "scoped-a", name: "no-secret" }),
          (vk) => readyOf(vk.status?.conditions ?? [])?.status === "False",
          "60 seconds"
        )
        const message = readyOf(refused.status?.conditions ?? [])?.message ?? ""
        assert.include(message, "Forbidden")
        assert.include(message, "secrets")
        assert.notInclude(message, MASTER_KEY)
        // The operator keeps running (and ready) while it waits for the rule.
        yield* Effect.sleep("5 seconds")
        const pods = yield* operatorPods("scoped-ops", "scoped")
        const running = pods.find(isRunningReady)
        assert.isDefined(running)
        assert.strictEqual(running?.status.containerStatuses?.[0]?.restartCount, 0)

        // Give the rule back: the VirtualKey converges without anyone touching it.
        yield* send("PATCH", rolePath, { rules: role.rules })
        yield* eventually(
          "the VirtualKey Ready once the rule is back",
          kube.get(VirtualKeys, { namespace: "scoped-a", name: "no-secret" }),
          (vk) => isReady(vk.status),
          "120 seconds"
        )

        // Without the finalizers rule the owner reference of a key Secret (blockOwnerDeletion) is refused
        // by OwnerReferencesPermissionEnforcement: the same clear condition.
        yield* send("PATCH", rolePath, {
          rules: role.rules.filter((r) => !r.resources.some((resource) => resource.endsWith("/finalizers")))
        })
        yield* eventually(
          "RBAC to take the finalizers rule away",
          can(serviceAccount, "update", "virtualkeys/finalizers", "scoped-a"),
          (allowed) => !allowed,
          "30 seconds"
        )
        yield* kube.create(VirtualKeys, {
          metadata: { namespace: "scoped-a", name: "no-owner" },
          spec: { connectionRef: { secretRef: { name: "litellm" } }, keyAlias: "scoped-no-owner" }
        })
        const noOwner = yield* eventually(
          "the second VirtualKey Ready=False",
          kube.get(VirtualKeys, { namespace: "scoped-a", name: "no-owner" }),
          (vk) => readyOf(vk.status?.conditions ?? [])?.status === "False",
          "60 seconds"
        )
        assert.include(readyOf(noOwner.status?.conditions ?? [])?.message ?? "", "Forbidden")
        yield* send("PATCH", rolePath, { rules: role.rules })
        yield* eventually(
          "the second VirtualKey Ready once the rule is back",
          kube.get(VirtualKeys, { namespace: "scoped-a", name: "no-owner" }),
          (vk) => isReady(vk.status),
          "120 seconds"
        )
        yield* helm("uninstall", "scoped", "--namespace", "scoped-ops", "--wait")
      }),
    { timeout: 300_000 }
  )

  it.effect(
    "a pod with the chart's defaults reconciles 2,000 objects within its memory limit",
    () =>
      Effect.gen(function* () {
        const sim = yield* Simulator
        const namespace = yield* namespaceWithConnection("load", { url: sim.url, masterKey })
        const counts = { teams: 200, users: 400, keys: 1000, associations: 400 }
        yield* installChart("load", "load-ops", [])
        const leaderPod = yield* awaitLeader("load-ops", "load")
        const t0 = Date.now()
        yield* populate(namespace, counts, "load")
        yield* awaitAllReady(namespace, total(counts), "10 minutes", "2 seconds")
        const converged = (Date.now() - t0) / 1000
        const pod = yield* getPod("load-ops", leaderPod)
        const status = pod.status.containerStatuses?.[0]
        assert.strictEqual(status?.restartCount, 0, "not restarted (no OOM kill)")
        const memory = yield* containerMemory(pod)
        process.stderr.write(
          `node: ${total(counts)} objects Ready in ${converged.toFixed(1)} s (populated and reconciled); ` +
            `operator container peak ${(memory.peakBytes / 2 ** 20).toFixed(0)} MiB (cgroup), ` +
            `node process peak RSS ${(memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB, limit ${(memory.limitBytes / 2 ** 20).toFixed(0)} MiB\n`
        )
        assert.isBelow(memory.peakBytes, memory.limitBytes)
        yield* helm("uninstall", "load", "--namespace", "load-ops", "--wait")
      }),
    { timeout: 900_000 }
  )
})
