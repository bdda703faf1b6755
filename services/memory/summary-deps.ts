import type { Config } from '../../infra/config.ts';
import type { SummaryRequestDeps } from './summary-requests.ts';

/** The summary use cases' dependencies from a process's parts (the API's, or the worker's trigger). */
export function summaryRequestDeps(
  parts: Pick<SummaryRequestDeps, 'db' | 'readSchema' | 'eventStore' | 'cache' | 'queue' | 'providers'>,
  config: Pick<Config, 'MEMORY_SUMMARY_WINDOW_MESSAGES' | 'MEMORY_SUMMARY_SPAN_MESSAGES' | 'MEMORY_SUMMARY_WAIT_MS'>,
): SummaryRequestDeps {
  return {
    ...parts,
    policy: { windowMessages: config.MEMORY_SUMMARY_WINDOW_MESSAGES, spanMessages: config.MEMORY_SUMMARY_SPAN_MESSAGES },
    waitMs: config.MEMORY_SUMMARY_WAIT_MS,
  };
}
