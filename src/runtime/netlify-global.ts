/** Netlify's global `Netlify.env`, over the instance's own process.env. */
export function installNetlifyGlobal(): void {
  const env = {
    get: (name: string): string | undefined => process.env[name],
    set: (name: string, value: string): void => {
      process.env[name] = value;
    },
    has: (name: string): boolean => process.env[name] !== undefined,
    delete: (name: string): void => {
      delete process.env[name];
    },
    toObject: (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
  };
  Object.defineProperty(globalThis, 'Netlify', { value: Object.freeze({ env: Object.freeze(env), context: null }), configurable: true, writable: false });
}
