/** A thread of the CPU pool (piscina loads this file; Node strips its types). */
import { workerData } from 'node:worker_threads';
import { preloadTokenizer } from '../../shared/tokenizer/index.ts';
import { configureCpuTaskCaches, runCpuTask, type CpuTaskOutcome, type CpuTaskRequest, type CpuThreadData } from './cpu-tasks.ts';

const data = workerData as CpuThreadData | undefined;
if (data?.cacheBooks) configureCpuTaskCaches({ books: data.cacheBooks });
// The default families load while the thread starts, not in its first task: cl100k (SillyTavern's default for an
// unknown model, ~0.5 s) and llama (nothing connected, process-context's default, ~0.1 s).
preloadTokenizer('cl100k');
preloadTokenizer('llama');

export default function run(request: CpuTaskRequest): CpuTaskOutcome {
  return runCpuTask(request);
}
