// OpenTelemetry tracing, on when an OTLP endpoint is configured. The provider is registered
// globally: Fedify (and anything else using @opentelemetry/api) picks it up from there.
// The exporter reads the remaining OTEL_EXPORTER_OTLP_* settings (headers, timeouts) itself.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Config } from "../config.ts";
import { log } from "./logging.ts";

const logger = log("tracing");

export interface Tracing {
  /** Flushes buffered spans and stops exporting. Call before the process exits. */
  shutdown(): Promise<void>;
}

export async function startTracing(config: Pick<Config, "otel">): Promise<Tracing | undefined> {
  const { endpoint, serviceName } = config.otel;
  if (!endpoint) return undefined;
  const provider = new NodeTracerProvider({
    // The semantic-conventions attribute name, spelled out to avoid another dependency.
    resource: resourceFromAttributes({ "service.name": serviceName }),
    // No explicit url: the exporter derives it from OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT,
    // appending /v1/traces to the generic endpoint only, as the spec requires; Config merges
    // the two and could not tell which was meant. Both read the same environment (loadConfig
    // puts .env into process.env), so config.otel.endpoint just decides whether to trace.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // Also installs the AsyncLocalStorage context manager and W3C trace-context propagation.
  provider.register();
  return {
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // The last spans are lost; that must not stop the rest of the shutdown sequence.
        logger.warn("Could not flush traces on shutdown: {error}", { error });
      }
    },
  };
}
