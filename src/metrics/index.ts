// Prometheus metrics: the series the gateway keeps (registry.ts) and those read at scrape time (scrape.ts).
export { createMetrics, type DecisionChannel, type Metrics, type UpstreamErrorKind } from "./registry.ts";
export { PENDING_QUERY_TIMEOUT_MS, type ScrapeSources } from "./scrape.ts";
