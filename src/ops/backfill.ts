import { VeloError } from '../errors.js';
import { credentialError } from './credentials.js';
import { errorDetail, type SiteClient } from './site-client.js';

export const BACKFILL_FUNCTION = 'backfill-background';

export interface BackfillRequest {
  athleteId: number;
  since?: string;
  until?: string;
}

/** Invokes backfill-background (202 at once) and returns the job id to follow. */
export async function startBackfill(client: SiteClient, req: BackfillRequest): Promise<string> {
  const res = await client.send<Record<string, any>>({
    method: 'POST',
    path: `/.netlify/functions/${BACKFILL_FUNCTION}`,
    body: { athlete_id: req.athleteId, ...(req.since ? { since: req.since } : {}), ...(req.until ? { until: req.until } : {}) },
  });
  if (res.status === 0) return 'dry-run';
  const rejected = credentialError(client.baseUrl, res.status, res.body);
  if (rejected) throw rejected;
  if (res.status === 404) {
    throw new VeloError('NO_BACKFILL_FUNCTION', `${client.baseUrl} has no ${BACKFILL_FUNCTION} function`, 'check --url / VELOREADY_API_URL');
  }
  if (res.status !== 202) {
    throw new VeloError('BACKFILL_NOT_STARTED', `${BACKFILL_FUNCTION} answered ${res.status}${errorDetail(res.body)}`);
  }
  const id = (res.body?.jobId as string | undefined) ?? (res.headers['x-job-id'] as string | undefined);
  if (!id) throw new VeloError('BACKFILL_NO_JOB', `${BACKFILL_FUNCTION} answered 202 without a job id`, 'is this a VeloReady site?');
  return id;
}
