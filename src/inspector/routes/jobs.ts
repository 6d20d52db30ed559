import { getBackfillJob, recentBackfillJobs, type BackfillJob } from '../../functions/lib/backfill-job.js';
import type { JobRecord } from '../../emulator/jobs.js';
import { UUID_RE } from '../../auth/user-id.js';
import { ApiError, type ApiRoute } from '../api-router.js';
import type { InspectorSources } from '../context.js';
import type { ScheduledRunBook } from '../scheduled-runs.js';
import { startBackground } from './functions.js';

/** Backfill rows shown (newest first). */
const BACKFILLS_SHOWN = 100;
const BACKFILL_FUNCTION = 'backfill-background';

export interface JobsView {
  /** Background jobs and scheduled runs of this serve, newest first. */
  jobs: Array<JobRecord & { kind: 'background' | 'scheduled' }>;
  /** `backfill_jobs` rows in the database (they outlive a restart and can be resumed). */
  backfills: BackfillJob[];
}

export function jobRoutes(s: InspectorSources, runs: ScheduledRunBook): ApiRoute[] {
  return [
    {
      method: 'GET',
      path: '/jobs',
      handler: async (): Promise<JobsView> => {
        const backfills = await recentBackfillJobs(s.sql, BACKFILLS_SHOWN);
        // Read after the query, so the answer is as fresh as the live events sent meanwhile.
        const jobs = [
          ...s.emulator.jobs.list().map((j) => ({ ...j, kind: 'background' as const })),
          ...runs.list().map((j) => ({ ...j, kind: 'scheduled' as const })),
        ].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        return { jobs, backfills };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:id',
      handler: async ({ params }) => {
        // A resumed backfill runs under its row's id: the runner's record and the row are one job.
        const job = s.emulator.jobs.get(params.id!) ?? runs.get(params.id!);
        const backfill = UUID_RE.test(params.id!) ? await getBackfillJob(s.sql, params.id!) : null;
        if (!job && !backfill) throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${params.id}`);
        return { ...(job ? { job } : {}), ...(backfill ? { backfill } : {}) };
      },
    },
    {
      method: 'POST',
      path: '/backfills/:id/resume',
      handler: async ({ params }) => {
        if (!UUID_RE.test(params.id!)) throw new ApiError(400, 'INVALID_JOB_ID', 'a backfill job id is a uuid');
        const backfill = await getBackfillJob(s.sql, params.id!);
        if (!backfill) throw new ApiError(404, 'JOB_NOT_FOUND', `no backfill job ${params.id}`);
        if (backfill.status !== 'failed') throw new ApiError(409, 'NOT_RESUMABLE', `backfill job ${backfill.id} is ${backfill.status}; only a failed job resumes`);
        return { job: await startBackground(s, BACKFILL_FUNCTION, { job_id: backfill.id }) };
      },
    },
  ];
}
