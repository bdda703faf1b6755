/**
 * Input caps of the CPU-heavy routes: no legitimate use reaches them, and they bound the worst case a request can
 * make the pool's threads do (the pool's time limit is the last resort, not the plan). Checked before any work.
 */
import type { Config } from '../../../infra/config.ts';
import { dictionaryCost, worldInfoScanCost } from '../../../infra/cpu/cpu-task-costs.ts';
import { AppError, unprocessable } from '../../../shared/errors.ts';
import type { WorldInfoEntry } from '../../../shared/worldinfo/entry.ts';

type Limits = Pick<Config, 'WORLD_INFO_MAX_SCAN_CHARS' | 'WORLD_INFO_MAX_SCAN_WORK' | 'DICTIONARY_MAX_PROCESS_WORK'>;

/** 413 `scan_too_large` when the texts to scan are longer than WORLD_INFO_MAX_SCAN_CHARS. */
export function assertScanTextWithinLimit(config: Limits, texts: readonly string[]): void {
  const chars = texts.reduce((n, t) => n + t.length, 0);
  if (chars > config.WORLD_INFO_MAX_SCAN_CHARS) {
    throw new AppError(
      413,
      'scan_too_large',
      `${chars} characters to scan; at most ${config.WORLD_INFO_MAX_SCAN_CHARS} (WORLD_INFO_MAX_SCAN_CHARS)`,
      { chars, limit: config.WORLD_INFO_MAX_SCAN_CHARS },
    );
  }
}

/** 422 `scan_too_costly` when regex keys × scanned characters exceeds WORLD_INFO_MAX_SCAN_WORK. */
export function assertScanWorkWithinLimit(
  config: Limits,
  books: readonly { entries: readonly WorldInfoEntry[] }[],
  texts: readonly string[],
): void {
  const cost = worldInfoScanCost(books, texts);
  if (cost.work > config.WORLD_INFO_MAX_SCAN_WORK) {
    throw unprocessable(
      'scan_too_costly',
      `${cost.regexKeys} regex keys over ${cost.chars} characters (${cost.work} key-characters) exceed WORLD_INFO_MAX_SCAN_WORK (${config.WORLD_INFO_MAX_SCAN_WORK}): scan fewer messages or use plain keys`,
      { regex_keys: cost.regexKeys, chars: cost.chars, work: cost.work, limit: config.WORLD_INFO_MAX_SCAN_WORK },
    );
  }
}

/** 422 `processing_too_costly` when entries × passes × characters exceeds DICTIONARY_MAX_PROCESS_WORK. */
export function assertDictionaryWorkWithinLimit(config: Limits, input: Parameters<typeof dictionaryCost>[0]): void {
  const cost = dictionaryCost(input);
  if (cost.work > config.DICTIONARY_MAX_PROCESS_WORK) {
    throw unprocessable(
      'processing_too_costly',
      `${cost.entries} entries × ${cost.passes} passes over ${cost.chars} characters exceed DICTIONARY_MAX_PROCESS_WORK (${config.DICTIONARY_MAX_PROCESS_WORK}): send a shorter text, fewer passes or fewer dictionaries`,
      { entries: cost.entries, passes: cost.passes, chars: cost.chars, work: cost.work, limit: config.DICTIONARY_MAX_PROCESS_WORK },
    );
  }
}
