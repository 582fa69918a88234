// OpenTelemetry tracing of a process: on when OTEL_EXPORTER_OTLP_ENDPOINT is
// set (spans exported by OTLP over HTTP, the exporter reading the standard
// OTEL_EXPORTER_OTLP_* variables), off otherwise, and then nothing of the SDK
// is even loaded. Tests hand in a span processor of their own (an in-memory
// exporter). Who reads `activeTracing()`: the API (a span per request, the
// Temporal client's interceptor, api/observability/requests.ts,
// main/services.ts) and the worker (activity interceptors and the sink that
// exports the workflows' spans, worker/worker.ts). The workflow interceptors
// are always in the workflow bundle (worker/workflow-bundle.ts).
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Tracing {
  serviceName: string;
  /** Where every span of this process ends, the workflows' too (through the worker's sink). */
  processor: SpanProcessor;
  resource: Resource;
  /** Flushes what is buffered and stops; tracing is off afterwards. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** The tracing this process started, if any. */
export function activeTracing(): Tracing | undefined {
  return active;
}

/**
 * Starts tracing for this process, once: a tracer provider registered as the
 * global one, the W3C trace-context propagator, and an AsyncLocalStorage
 * context manager (a span stays current across awaits). Without
 * `spanProcessor` it is on only when OTEL_EXPORTER_OTLP_ENDPOINT is set
 * (a batching OTLP/HTTP exporter); returns undefined when off.
 */
export async function startTracing(options: {
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  spanProcessor?: SpanProcessor;
}): Promise<Tracing | undefined> {
  if (active) return active;
  const env = options.env ?? process.env;
  if (!options.spanProcessor && !env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;

  const [api, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { Resource }, sdk] =
    await Promise.all([
      import('@opentelemetry/api'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-trace-base'),
    ]);
  let processor = options.spanProcessor;
  if (!processor) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processor = new sdk.BatchSpanProcessor(new OTLPTraceExporter());
  }
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME || options.serviceName });
  const provider = new sdk.BasicTracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);

  const tracing: Tracing = {
    serviceName: options.serviceName,
    processor,
    resource,
    async shutdown() {
      if (active !== tracing) return;
      active = undefined;
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
  active = tracing;
  return tracing;
}
