import { getBackfillJob, type BackfillJob } from '../../functions/lib/backfill-job.js';
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
        const jobs = [
          ...s.emulator.jobs.list().map((j) => ({ ...j, kind: 'background' as const })),
          ...runs.list().map((j) => ({ ...j, kind: 'scheduled' as const })),
        ].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        const { rows } = await s.sql.query<{ id: string }>(`select id::text as id from public.backfill_jobs order by created_at desc limit $1`, [BACKFILLS_SHOWN]);
        const backfills: BackfillJob[] = [];
        for (const { id } of rows) {
          const job = await getBackfillJob(s.sql, id);
          if (job) backfills.push(job);
        }
        return { jobs, backfills };
      },
    },
    {
      method: 'GET',
      path: '/jobs/:id',
      handler: async ({ params }) => {
        const job = s.emulator.jobs.get(params.id!) ?? runs.get(params.id!);
        if (job) return { job };
        const backfill = UUID_RE.test(params.id!) ? await getBackfillJob(s.sql, params.id!) : null;
        if (backfill) return { backfill };
        throw new ApiError(404, 'JOB_NOT_FOUND', `no job ${params.id}`);
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
