/**
 * What the informers keep of the four kinds: of the metadata a tenant
 * controls, only the operator's own annotations, each value cut short; the
 * rest of the object as it came. So a tenant's labels and annotations, however
 * large, cost the operator's caches nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { virtualKeySpecArb } from "@litellm-operator/core/arbitraries"
import type { VirtualKeyResource } from "@litellm-operator/k8s"
import fc from "fast-check"
import {
  annotationValueLimit,
  cachedForm,
  finalizersKept,
  leftOutFinalizers,
  operatorAnnotations
} from "../src/reconcile/cachedForm.ts"
import { finalizer } from "../src/reconcile/finalizer.ts"

const keyArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `auth.litellm.ai/${s}`),
  fc.constantFrom(
    "auth.litellm.ai/deletion-policy",
    "auth.litellm.ai/adopt",
    "kubectl.kubernetes.io/last-applied-configuration"
  )
)
const mapArb = fc.dictionary(
  keyArb,
  fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 1000, maxLength: 3000 })),
  {
    maxKeys: 8
  }
)

const vkArb = fc.record({ spec: virtualKeySpecArb, labels: mapArb, annotations: mapArb }).map(
  ({ spec, labels, annotations }): VirtualKeyResource => ({
    apiVersion: "auth.litellm.ai/v1alpha1",
    kind: "VirtualKey",
    metadata: { name: "vk", namespace: "tenant", uid: "u-1", resourceVersion: "7", generation: 2, labels, annotations },
    spec
  })
)

describe("cachedForm", () => {
  it("keeps of the metadata a tenant controls only the operator's annotations, each cut short, and the rest as it came", () =>
    fc.assert(
      fc.property(vkArb, (vk) => {
        const cached = cachedForm(vk)
        const { labels: _l, annotations: _a, ...metadata } = vk.metadata
        const { annotations: keptAnnotations, ...cachedMetadata } = cached.metadata
        assert.deepStrictEqual(cachedMetadata, metadata)
        assert.deepStrictEqual(cached.spec, JSON.parse(JSON.stringify(vk.spec)))
        assert.isUndefined(cached.metadata.labels)
        const expected = Object.fromEntries(
          Object.entries(vk.metadata.annotations ?? {})
            .filter(([k]) => k.startsWith("auth.litellm.ai/"))
            .map(([k, v]) => [k, v.slice(0, annotationValueLimit)])
        )
        assert.deepStrictEqual(keptAnnotations ?? {}, expected)
        assert.deepStrictEqual(operatorAnnotations(cached), expected)
        for (const value of Object.values(keptAnnotations ?? {})) assert.isAtMost(value.length, annotationValueLimit)
      })
    ))

  it("keeps up to 16 finalizers as they are; of more, only the operator's and a mark that they were cut", () =>
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("tenant.example/a", "tenant.example/b", "kubernetes.io/x"), { maxLength: 40 }),
        fc.option(fc.nat(40), { nil: undefined }),
        (others, at) => {
          const finalizers = at === undefined ? others : [...others.slice(0, at), finalizer, ...others.slice(at)]
          const vk: VirtualKeyResource = {
            apiVersion: "auth.litellm.ai/v1alpha1",
            kind: "VirtualKey",
            metadata: { name: "vk", namespace: "tenant", uid: "u-1", resourceVersion: "7", generation: 1, finalizers },
            spec: { connectionRef: { secretRef: { name: "conn" } }, keyAlias: "a" }
          }
          const cached = cachedForm(vk).metadata.finalizers ?? []
          // Whether the operator's finalizer is there is always kept.
          assert.strictEqual(cached.includes(finalizer), finalizers.includes(finalizer))
          if (finalizers.length <= finalizersKept) {
            assert.deepStrictEqual(cached, finalizers)
            assert.isFalse(leftOutFinalizers(cachedForm(vk)))
          } else {
            assert.isAtMost(cached.length, 2)
            assert.isTrue(leftOutFinalizers(cachedForm(vk)))
            // The mark is no finalizer name the API server takes (a qualified name has no spaces or parentheses).
            assert.match(cached.at(-1) ?? "", /^\(\d+ finalizers left out of the cache\)$/)
          }
        }
      )
    ))

  it("costs nothing for a tenant's large labels and annotations", () => {
    const heavy = "x".repeat(200 * 1024)
    const base: VirtualKeyResource = {
      apiVersion: "auth.litellm.ai/v1alpha1",
      kind: "VirtualKey",
      metadata: { name: "vk", namespace: "tenant", uid: "u-1", resourceVersion: "7", generation: 1 },
      spec: { connectionRef: { secretRef: { name: "conn" } }, keyAlias: "a" }
    }
    const bloated: VirtualKeyResource = {
      ...base,
      metadata: {
        ...base.metadata,
        labels: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`tenant.example/label-${i}`, "value"])),
        annotations: { "tenant.example/blob": heavy, "auth.litellm.ai/deletion-policy": `Orphan${heavy}` }
      }
    }
    const size = (vk: VirtualKeyResource) => JSON.stringify(cachedForm(vk)).length
    assert.isAtMost(size(bloated) - size(base), annotationValueLimit + 100)
    assert.strictEqual(
      cachedForm(bloated).metadata.annotations?.["auth.litellm.ai/deletion-policy"]?.startsWith("Orphan"),
      true
    )
  })
})
