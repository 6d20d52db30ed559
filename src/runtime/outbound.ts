// STAND-IN until the outbound helper's src/runtime/outbound.ts is merged (it replaces this file).
export interface OutboundPolicy {
  rewrites: Record<string, string>;
  online: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function installOutbound(policy: OutboundPolicy): void {
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const base = policy.rewrites[url.host];
    if (base) {
      const target = `${base.replace(/\/$/, '')}${url.pathname}${url.search}`;
      return realFetch(input instanceof Request ? new Request(target, input) : target, init);
    }
    if (!policy.online && !LOOPBACK.has(url.hostname)) {
      return Promise.reject(new Error(`veloready serve is offline: ${url.host} is not reachable from functions (serve --online lets it through)`));
    }
    return realFetch(input, init);
  }) as typeof fetch;
}
