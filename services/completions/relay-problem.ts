import type { RelayProblem } from '../../shared/completions/completion-job.ts';
import { problemExtras, toProblem } from '../problem-details.ts';

/**
 * A completion's failure as the problem the client gets (through the relay, in its wire shape): the service's one
 * mapping, with an unknown failure answered as `completion_failed`.
 */
export function toRelayProblem(err: unknown): RelayProblem {
  const p = toProblem(err, { code: 'completion_failed', detail: 'the completion failed unexpectedly; it has been logged' });
  return { status: p.status, code: p.code, detail: p.detail, extra: problemExtras(p) };
}
