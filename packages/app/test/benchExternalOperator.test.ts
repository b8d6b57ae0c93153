import { assert, describe, it } from "@effect/vitest"
import {
  controllerRuntimeWork,
  OperatorCommandError,
  parseOperatorCommand,
  servesMetrics,
  withPorts
} from "../bench/externalOperator.ts"

describe("the benchmark's --operator-command", () => {
  it("splits on whitespace and fills in the ports", () => {
    const parsed = parseOperatorCommand(
      "  /opt/manager --health-probe-bind-address=127.0.0.1:{port}\t--metrics-bind-address=127.0.0.1:{metricsPort} "
    )
    if (parsed instanceof OperatorCommandError) return assert.fail(parsed.message)
    assert.strictEqual(parsed.command, "/opt/manager")
    assert.isTrue(servesMetrics(parsed))
    assert.deepStrictEqual(withPorts(parsed, { port: 4001, metricsPort: 4002 }), [
      "--health-probe-bind-address=127.0.0.1:4001",
      "--metrics-bind-address=127.0.0.1:4002"
    ])
  })

  it("refuses an empty command and one without {port} (the bench could not tell when it is ready)", () => {
    assert.instanceOf(parseOperatorCommand("   "), OperatorCommandError)
    const noPort = parseOperatorCommand("/opt/manager --metrics-bind-address=0")
    assert.instanceOf(noPort, OperatorCommandError)
    assert.include(noPort instanceof OperatorCommandError ? noPort.message : "", "{port}")
    const parsed = parseOperatorCommand("/opt/manager --probe=:{port}")
    assert.isFalse(parsed instanceof OperatorCommandError || servesMetrics(parsed))
  })

  it("reads controller-runtime's reconcile counters by controller, errors apart", () => {
    const text = [
      "# HELP controller_runtime_reconcile_total Total number of reconciliations per controller",
      'controller_runtime_reconcile_total{controller="litellm-team",result="success"} 10',
      'controller_runtime_reconcile_total{controller="litellm-team",result="error"} 3',
      'controller_runtime_reconcile_total{controller="litellm-team",result="requeue_after"} 2',
      'controller_runtime_reconcile_total{controller="litellm-user",result="success"} 1e+00',
      'controller_runtime_reconcile_time_seconds_sum{controller="litellm-team"} 0.5',
      'controller_runtime_reconcile_time_seconds_count{controller="litellm-team"} 15',
      'controller_runtime_reconcile_errors_total{controller="litellm-team"} 3',
      'workqueue_depth{name="litellm-team"} 0'
    ].join("\n")
    assert.deepStrictEqual(controllerRuntimeWork(text), {
      "litellm-team": { reconciles: 15, errors: 3, seconds: 0.5 },
      "litellm-user": { reconciles: 1, errors: 0, seconds: 0 }
    })
  })
})
