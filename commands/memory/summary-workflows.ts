import type { EventStore } from '../../infra/eventstore/event-store.ts';
import type { Actor } from '../../shared/access/actor.ts';
import type { SummaryOrigin } from '../../shared/events/chat-summary-events.ts';
import { handleCommand, loadState, type CommandResult } from '../command-handler.ts';
import type { StateCache } from '../state-cache.ts';
import {
  assertSummaryAccessible,
  chatSummaryDecider,
  chatSummaryStream,
  type ChatSummaryCommand,
  type ChatSummaryState,
} from './summary-decider.ts';

export interface SummaryCommandDeps {
  eventStore: EventStore;
  cache?: StateCache;
}

const cacheOption = (deps: SummaryCommandDeps) => (deps.cache ? { cache: deps.cache } : {});

function run(deps: SummaryCommandDeps, actor: Actor, command: ChatSummaryCommand, expectedVersion?: number) {
  return handleCommand(deps.eventStore, chatSummaryStream(command.summaryId), chatSummaryDecider, command, actor, {
    ...(expectedVersion !== undefined ? { expectedRevision: expectedVersion } : {}),
    ...cacheOption(deps),
  });
}

/** A summary the caller may use (404 missing or deleted, 403 another user's). */
export async function accessibleSummary(deps: SummaryCommandDeps, actor: Actor, summaryId: string) {
  const loaded = await loadState(deps.eventStore, chatSummaryStream(summaryId), chatSummaryDecider, cacheOption(deps));
  assertSummaryAccessible(loaded.state, summaryId, actor);
  return loaded;
}

export interface NewSummary {
  summaryId: string;
  chatId: string;
  ownerId: string;
  sourceMessageIds: string[];
  text: string;
  origin: SummaryOrigin;
  model: string | null;
}

/** A new summary's first version, under its owner's key (the worker writes it for the chat's owner). */
export function writeSummary(deps: SummaryCommandDeps, actor: Actor, summary: NewSummary): Promise<CommandResult<ChatSummaryState>> {
  return handleCommand(
    deps.eventStore,
    chatSummaryStream(summary.summaryId),
    chatSummaryDecider,
    { type: 'WriteSummary', ...summary },
    actor,
    { ...cacheOption(deps), newStream: true, dataSubject: summary.ownerId },
  );
}

export interface SummaryRevision {
  text?: string;
  pinned?: boolean;
  origin: SummaryOrigin;
  model?: string | null;
}

/** A new version (edit, pin, regeneration); the previous one stays in the stream's history. */
export function reviseSummary(
  deps: SummaryCommandDeps,
  actor: Actor,
  summaryId: string,
  revision: SummaryRevision,
  expectedVersion?: number,
) {
  return run(deps, actor, { type: 'ReviseSummary', summaryId, ...revision }, expectedVersion);
}

export function deleteSummary(deps: SummaryCommandDeps, actor: Actor, summaryId: string, expectedVersion?: number) {
  return run(deps, actor, { type: 'DeleteSummary', summaryId, now: new Date() }, expectedVersion);
}
