import { installOutboundDispatcher } from './outbound-fetch.js';
import { installOutboundHttp } from './outbound-http.js';
import { compilePolicy, type CompiledPolicy } from './outbound-route.js';

export { OutboundRefusedError, OUTBOUND_OFFLINE } from './outbound-route.js';

/** Where a project function's outbound requests go under serve. */
export interface OutboundPolicy {
  /**
   * Lower-case host, optionally with its port (`www.strava.com`, `api.example.com:8443`) → the
   * base URL its requests go to instead, path appended (`http://127.0.0.1:8888/strava`). Mapping
   * a host to its own origin (`https://www.strava.com`) lets just that host through offline.
   */
  rewrites: Record<string, string>;
  /** Let requests to hosts without a rewrite through (serve --online). */
  online: boolean;
}

/**
 * Intercepts a worker's outbound HTTP: `fetch` and `undici` (through the global dispatcher they
 * share) and node:http(s) `request`/`get`. Rewritten hosts go to their local base URL, loopback
 * and the rewrite targets pass, any other host fails at once naming it unless `online`. Call it
 * inside the worker thread before the project's code loads; it changes that thread only. The
 * returned function replaces the policy (an instance started before serve knew its own URL).
 */
export function installOutbound(policy: OutboundPolicy): (next: OutboundPolicy) => void {
  let compiled = compilePolicy(policy);
  const current: CompiledPolicy = { route: (dest) => compiled.route(dest) };
  installOutboundDispatcher(current);
  installOutboundHttp(current);
  return (next) => {
    compiled = compilePolicy(next);
  };
}
