import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher, buildConnector as UndiciBuildConnector } from 'undici';
import { rewrittenPath, type CompiledPolicy } from './outbound-route.js';

/**
 * The global dispatcher under serve: Node's own `fetch` and every copy of the `undici` package
 * (the project's pinned one too) send through whatever sits at this symbol, so one dispatcher
 * here covers `fetch`, `undici.fetch` and `undici.request`.
 */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

type AgentClass = typeof UndiciAgent;
const require = createRequire(import.meta.url);

/**
 * Node's own Agent class, the one its `fetch` would dispatch through anyway: touching a web global
 * loads Node's bundled undici, which installs its default Agent at the symbol. The `undici`
 * package's Agent costs a cold instance ~100 ms more to load (its whole client): it is the
 * fallback where Node did not install one.
 */
function baseAgent(): AgentClass {
  void globalThis.Headers;
  const installed = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER];
  if (typeof installed === 'object' && installed !== null && typeof (installed as Dispatcher).dispatch === 'function') return installed.constructor as AgentClass;
  return (require('undici') as { Agent: AgentClass }).Agent;
}

/** The package's socket connector alone (a few ms), not its index (the whole client). */
const buildConnector = require('undici/lib/core/connect.js') as typeof UndiciBuildConnector;

/**
 * Rewritten hosts get their origin and path changed before dispatch; a refused host fails in
 * connect (no DNS lookup, no socket), so undici reports the error through its own plumbing:
 * `fetch` rejects with TypeError('fetch failed') whose `cause` is the OutboundRefusedError,
 * `undici.request` rejects with the OutboundRefusedError itself.
 */
function outboundAgent(policy: CompiledPolicy): Dispatcher {
  const Base = baseAgent();
  const connect = buildConnector({});
  class OutboundAgent extends Base {
    constructor() {
      super({
        connect: (opts, callback) => {
          const route = policy.route({ protocol: opts.protocol, hostname: opts.hostname, port: opts.port });
          if (route.kind === 'refuse') callback(route.error, null);
          else connect(opts, callback);
        },
      });
    }

    override dispatch(opts: UndiciAgent.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = typeof opts.origin === 'string' ? new URL(opts.origin) : opts.origin;
      if (origin) {
        const route = policy.route(origin);
        if (route.kind === 'rewrite') {
          return super.dispatch({ ...opts, origin: route.target.origin, path: rewrittenPath(route.target, opts.path) }, handler);
        }
      }
      return super.dispatch(opts, handler);
    }
  }
  return new OutboundAgent();
}

/** Installs the dispatcher where undici's setGlobalDispatcher would (same property attributes). */
export function installOutboundDispatcher(policy: CompiledPolicy): void {
  Object.defineProperty(globalThis, GLOBAL_DISPATCHER, {
    value: outboundAgent(policy),
    writable: true,
    enumerable: false,
    configurable: false,
  });
}
