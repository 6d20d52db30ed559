import { Agent, buildConnector, type Dispatcher } from 'undici';
import { rewrittenPath, type CompiledPolicy } from './outbound-route.js';

/**
 * The global dispatcher under serve: Node's own `fetch` and every copy of the `undici` package
 * (the project's pinned one too) send through whatever sits at this symbol, so one dispatcher
 * here covers `fetch`, `undici.fetch` and `undici.request`.
 */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * Rewritten hosts get their origin and path changed before dispatch; a refused host fails in
 * connect (no DNS lookup, no socket), so undici reports the error through its own plumbing:
 * `fetch` rejects with TypeError('fetch failed') whose `cause` is the OutboundRefusedError,
 * `undici.request` rejects with the OutboundRefusedError itself.
 */
class OutboundAgent extends Agent {
  constructor(private readonly policy: CompiledPolicy) {
    const connect = buildConnector({});
    super({
      connect: (opts, callback) => {
        const route = policy.route({ protocol: opts.protocol, hostname: opts.hostname, port: opts.port });
        if (route.kind === 'refuse') callback(route.error, null);
        else connect(opts, callback);
      },
    });
  }

  override dispatch(opts: Agent.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = typeof opts.origin === 'string' ? new URL(opts.origin) : opts.origin;
    if (origin) {
      const route = this.policy.route(origin);
      if (route.kind === 'rewrite') {
        return super.dispatch({ ...opts, origin: route.target.origin, path: rewrittenPath(route.target, opts.path) }, handler);
      }
    }
    return super.dispatch(opts, handler);
  }
}

/** Installs the dispatcher where undici's setGlobalDispatcher would (same property attributes). */
export function installOutboundDispatcher(policy: CompiledPolicy): void {
  Object.defineProperty(globalThis, GLOBAL_DISPATCHER, {
    value: new OutboundAgent(policy),
    writable: true,
    enumerable: false,
    configurable: false,
  });
}
