import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { PersonaSource } from '../../shared/events/persona-events.ts';
import { newId } from '../../shared/ids.ts';
import type { PersonaChanges, PersonaFields } from '../../shared/personas/persona-fields.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import { assertPersonaAccessible, personaDecider, personaStream, type PersonaCommand, type PersonaState } from './persona-decider.ts';
import { userPersonasDecider, userPersonasStream, type UserPersonasCommand } from './user-personas-decider.ts';

/**
 * Commands on personas, including those that span a persona's stream and its owner's roster stream (the cap's
 * slots, the default persona). Making a persona the default appends on three streams in this order: the persona
 * (`is_default: true`), the roster (`DefaultPersonaChanged`, ordered against concurrent ones), then the previous
 * default (`is_default: false`). Two racing requests both set their flag; the roster orders them and the later
 * one clears the earlier, so one default remains.
 */
export interface PersonaCommandDeps {
  eventStore: EventStore;
  stateCache?: StateCache;
  config: { MAX_PERSONAS_PER_USER: number };
}

/** What a persona write answers: the persona's version and the last log position the write appended. */
export interface PersonaWrite {
  personaId: string;
  revision: number;
  position: string | null;
  state: PersonaState;
}

const CONTENDED_ATTEMPTS = 50;
const cacheOption = (deps: Pick<PersonaCommandDeps, 'stateCache'>) => (deps.stateCache ? { cache: deps.stateCache } : {});

function run(deps: PersonaCommandDeps, actor: Actor, command: PersonaCommand, expectedVersion?: number) {
  return handleCommand(deps.eventStore, personaStream(command.personaId), personaDecider, command, actor, {
    ...cacheOption(deps),
    ...(expectedVersion !== undefined ? { expectedRevision: expectedVersion } : {}),
  });
}

function roster(deps: PersonaCommandDeps, actor: Actor, command: UserPersonasCommand) {
  return handleCommand(deps.eventStore, userPersonasStream(command.userId), userPersonasDecider, command, actor, {
    ...cacheOption(deps),
    maxAttempts: CONTENDED_ATTEMPTS,
    dataSubject: command.userId,
  });
}

export async function loadPersona(deps: Pick<PersonaCommandDeps, 'eventStore' | 'stateCache'>, personaId: string) {
  return loadState(deps.eventStore, personaStream(personaId), personaDecider, cacheOption(deps));
}

/** A persona the caller may use (404 missing or deleted, 403 another user's). */
export async function accessiblePersona(deps: Pick<PersonaCommandDeps, 'eventStore' | 'stateCache'>, actor: Actor, personaId: string) {
  const loaded = await loadPersona(deps, personaId);
  assertPersonaAccessible(loaded.state, personaId, actor);
  return loaded;
}

const later = (...positions: Array<string | null>) => positions.filter((p) => p !== null).at(-1) ?? null;

/** The persona becomes its owner's default: the roster records it, the previous default's flag is cleared. */
async function becomeDefault(deps: PersonaCommandDeps, actor: Actor, ownerId: string, personaId: string): Promise<string | null> {
  const chosen = await roster(deps, actor, { type: 'ChooseDefaultPersona', userId: ownerId, personaId });
  const previous = chosen.events[0]?.type === 'DefaultPersonaChanged' ? (chosen.events[0].data.previousPersonaId as string | null) : null;
  if (!previous || previous === personaId) return chosen.position;
  const cleared = await handleCommand(
    deps.eventStore,
    personaStream(previous),
    personaDecider,
    { type: 'ClearDefaultFlag', personaId: previous },
    actor,
    { ...cacheOption(deps), maxAttempts: CONTENDED_ATTEMPTS },
  );
  return later(chosen.position, cleared.position);
}

async function afterDefaultChange(deps: PersonaCommandDeps, actor: Actor, result: CommandResult<PersonaState>, personaId: string) {
  const ownerId = result.state.ownerId!;
  const isDefault = result.state.fields!.is_default && !result.state.deleted;
  const position = isDefault
    ? await becomeDefault(deps, actor, ownerId, personaId)
    : (await roster(deps, actor, { type: 'DropDefaultPersona', userId: ownerId, personaId })).position;
  return later(result.position, position);
}

const write = (personaId: string, result: CommandResult<PersonaState>, position: string | null): PersonaWrite => ({
  personaId,
  revision: result.revision,
  position,
  state: result.state,
});

/** Creates a persona after taking one of the caller's persona slots (403 limit_exceeded at the cap). */
export async function createPersona(
  deps: PersonaCommandDeps,
  actor: Actor,
  fields: PersonaFields,
  source: PersonaSource,
  personaId: string = newId(),
): Promise<PersonaWrite> {
  const command: PersonaCommand = { type: 'CreatePersona', personaId, fields, source };
  personaDecider.decide(command, personaDecider.initialState(), actor);
  await roster(deps, actor, { type: 'TakePersonaSlot', userId: actor.userId, personaId, max: deps.config.MAX_PERSONAS_PER_USER });
  let result: CommandResult<PersonaState>;
  try {
    result = await handleCommand(deps.eventStore, personaStream(personaId), personaDecider, command, actor, {
      ...cacheOption(deps),
      newStream: true,
    });
  } catch (err) {
    await roster(deps, actor, { type: 'FreePersonaSlot', userId: actor.userId, personaId }).catch(() => undefined);
    throw err;
  }
  const position = fields.is_default ? later(result.position, await becomeDefault(deps, actor, actor.userId, personaId)) : result.position;
  return write(personaId, result, position);
}

export async function updatePersona(
  deps: PersonaCommandDeps,
  actor: Actor,
  personaId: string,
  changes: PersonaChanges,
  expectedVersion?: number,
): Promise<PersonaWrite> {
  const result = await run(deps, actor, { type: 'UpdatePersona', personaId, changes }, expectedVersion);
  const position = changes.is_default !== undefined ? await afterDefaultChange(deps, actor, result, personaId) : result.position;
  return write(personaId, result, position);
}

/** A soft delete: frees the slot; the default persona stops being the default. */
export async function deletePersona(deps: PersonaCommandDeps, actor: Actor, personaId: string, expectedVersion?: number) {
  const result = await run(deps, actor, { type: 'DeletePersona', personaId, now: new Date() }, expectedVersion);
  const ownerId = result.state.ownerId!;
  const freed = await roster(deps, actor, { type: 'FreePersonaSlot', userId: ownerId, personaId });
  const dropped = await roster(deps, actor, { type: 'DropDefaultPersona', userId: ownerId, personaId });
  return write(personaId, result, later(result.position, freed.position, dropped.position));
}

/** Restores a deleted persona; it takes a slot again, so a user at the cap gets 403 limit_exceeded. */
export async function restorePersona(deps: PersonaCommandDeps, actor: Actor, personaId: string): Promise<PersonaWrite> {
  const { state } = await loadPersona(deps, personaId);
  personaDecider.decide({ type: 'RestorePersona', personaId }, state, actor);
  const ownerId = state.ownerId!;
  await roster(deps, actor, { type: 'TakePersonaSlot', userId: ownerId, personaId, max: deps.config.MAX_PERSONAS_PER_USER });
  try {
    const result = await run(deps, actor, { type: 'RestorePersona', personaId });
    return write(personaId, result, result.position);
  } catch (err) {
    await roster(deps, actor, { type: 'FreePersonaSlot', userId: ownerId, personaId }).catch(() => undefined);
    throw err;
  }
}
