import { InvalidJobIdError } from './errors.ts';

const MAX_JOB_ID_LENGTH = 256;

/**
 * Job ids become part of BullMQ's keys: `:` is its separator (BullMQ still lets `a:b:c` through for old
 * repeatable jobs), and an all-digit id could collide with the ids it generates itself (it rejects only the
 * canonical integers, so "007" would pass). Whitespace and control characters are refused to keep ids
 * loggable and usable in URLs.
 */
export function validateJobId(jobId: string): string {
  if (typeof jobId !== 'string' || jobId.length === 0) throw new InvalidJobIdError(String(jobId), 'it must be a non-empty string');
  if (jobId.length > MAX_JOB_ID_LENGTH) throw new InvalidJobIdError(jobId, `it is longer than ${MAX_JOB_ID_LENGTH} characters`);
  if (jobId.includes(':')) throw new InvalidJobIdError(jobId, 'it must not contain ":"');
  if (/^\d+$/.test(jobId)) throw new InvalidJobIdError(jobId, 'it must not be all digits (those are reserved for generated ids)');
  if (/[\s\p{Cc}]/u.test(jobId)) throw new InvalidJobIdError(jobId, 'it must not contain whitespace or control characters');
  return jobId;
}
