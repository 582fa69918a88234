// The worker's Prometheus endpoint: the Temporal SDK's own exporter (Core
// telemetry), installed on the process's Runtime. It serves the SDK's worker
// metrics (task slots, polls, schedule-to-start and execution latencies,
// workflow and activity outcomes, sticky cache) at http://<address>/metrics,
// and the counters workflows emit through their metric meter
// (worker/workflow-outcome-interceptor.ts).
import { IllegalStateError } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

export interface WorkerTelemetry {
  /** Where the worker's metrics are scraped, or undefined when off (or another Runtime was installed first). */
  metricsUrl?: string;
}

/** The address this process installed, once: Runtime.install may be called once per process. */
let installed: string | undefined;

/**
 * Installs the Temporal Runtime with a Prometheus exporter on `address`
 * (host:port; "" = off). Must run before the process opens its first
 * NativeConnection or Worker: the Runtime is a singleton made by the first of
 * them. Calling it again with the same address is a no-op; when a Runtime
 * exists already (a test that started a worker or a dev server first) the SDK
 * refuses, and the process runs on without the endpoint (metricsUrl
 * undefined) instead of failing.
 */
export function installWorkerTelemetry(address: string): WorkerTelemetry {
  if (address === '') return {};
  if (installed !== undefined) return installed === address ? { metricsUrl: metricsUrlOf(address) } : {};
  try {
    Runtime.install({
      telemetryOptions: {
        metrics: {
          // Durations in seconds, as Prometheus names them; counter names as the SDK metrics reference spells them.
          prometheus: { bindAddress: address, useSecondsForDurations: true },
        },
      },
    });
  } catch (error) {
    if (error instanceof IllegalStateError) return {};
    // Most often the port is taken (a second worker on this host): say which key to change.
    throw new Error(`worker_metrics_address ${address}: ${(error as Error).message}`, { cause: error });
  }
  installed = address;
  return { metricsUrl: metricsUrlOf(address) };
}

function metricsUrlOf(address: string): string {
  return `http://${address}/metrics`;
}
