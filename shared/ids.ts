import { v7 as uuidv7, validate, version } from 'uuid';

/** Resource and event ids are UUIDv7: time-ordered, so indexes stay append-mostly. */
export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return validate(value) && version(value) !== 0;
}
