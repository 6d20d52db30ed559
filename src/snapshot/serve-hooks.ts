import { loadSnapshot } from './snapshot.js';
import { restingState, writeLocalSecret } from './states.js';

/**
 * `serve --import NAME`: loads the snapshot into the data dir before serve opens it; returns the
 * JWT secret serve must use (the snapshot's, so its tokens stay valid).
 */
export async function importBeforeServe(dataDir: string, file: string, jwtSecret: string): Promise<string> {
  let secret = jwtSecret;
  await loadSnapshot(
    {
      ...restingState(dataDir, jwtSecret),
      setJwtSecret: (s) => {
        writeLocalSecret(dataDir, s);
        secret = s;
      },
    },
    file,
  );
  return secret;
}
