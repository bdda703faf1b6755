/** A thread of the CPU pool (piscina loads this file; Node strips its types). */
import { preloadTokenizer } from '../../shared/tokenizer/index.ts';
import { runCpuTask, type CpuTaskOutcome, type CpuTaskRequest } from './cpu-tasks.ts';

// The default family's ranks load while the thread starts, not in its first task (~0.5 s).
preloadTokenizer('openai-cl100k');

export default function run(request: CpuTaskRequest): CpuTaskOutcome {
  return runCpuTask(request);
}
