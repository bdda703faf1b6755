import type { ActivationStrategy } from './group-definition.ts';
import { shuffled } from './seeded-random.ts';

/**
 * Who answers a group turn, as SillyTavern's `generateGroupWrapper` decides it (group-chats.js): a forced speaker
 * first, then the kind of generation (regenerate and continue keep the last speaker, impersonate takes any member),
 * then the group's strategy. Pure: the random source comes in (seeded by the caller), so a turn can be replayed.
 */
export interface SpeakerCandidate {
  /** The character's id. */
  id: string;
  name: string;
  /** false: muted. */
  enabled: boolean;
  /** In effect (the member's own, the card's, or 0.5). */
  talkativeness: number;
}

/** A message of the conversation as the choice sees it (newest last). */
export interface SpokenMessage {
  sender: 'user' | 'assistant' | 'system';
  /** The member who wrote an assistant message, if known. */
  speakerId: string | null;
  name: string | null;
  content: string;
}

export interface SpeakerChoiceInput {
  members: readonly SpeakerCandidate[];
  strategy: ActivationStrategy;
  allowSelfResponses: boolean;
  /** The conversation's active path, oldest first (before the new user message). */
  history: readonly SpokenMessage[];
  /** The user's new message, if the turn brings one (SillyTavern's `isUserInput`). */
  userText: string | null;
  kind: 'normal' | 'regenerate' | 'continue' | 'impersonate';
  /** The member asked for (SillyTavern's Force Talk / `/trigger`): only it answers, muted or not. */
  requested: string | null;
  random: () => number;
}

/** SillyTavern's `extractAllWords`: ASCII word characters only, lower-cased. */
export function wordsOf(text: string): string[] {
  return (text.match(/\b\w+\b/g) ?? []).map((w) => w.toLowerCase());
}

const pick = <T>(items: readonly T[], random: () => number): T | undefined => items[Math.floor(random() * items.length)];

function lastSpeaker(history: readonly SpokenMessage[], members: readonly SpeakerCandidate[]): string | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (m.sender !== 'assistant') continue;
    if (m.speakerId && members.some((c) => c.id === m.speakerId)) return m.speakerId;
    const byName = members.find((c) => c.name === m.name);
    if (byName) return byName.id;
  }
  return null;
}

/** Regenerate and continue keep the speaker of the newest character message (SillyTavern's `activateSwipe`). */
function activateSwipe(input: SpeakerChoiceInput): string[] {
  const last = lastSpeaker(input.history, input.members);
  if (last) return [last];
  const any = pick(input.members, input.random);
  return any ? [any.id] : [];
}

const isUserInput = (input: SpeakerChoiceInput) => input.userText !== null && input.userText.trim() !== '';

/**
 * Members named in the activation text first (in the text's order), then the winners of the talkativeness rolls
 * (in shuffled order), else one chatty member at random. Without new user input the last speaker may not answer
 * itself unless the group allows it (the ban compares names, as SillyTavern's does).
 */
function activateNatural(input: SpeakerChoiceInput, enabled: readonly SpeakerCandidate[]): string[] {
  const userInput = isUserInput(input);
  const last = input.history[input.history.length - 1];
  const text = userInput ? input.userText! : last && last.sender !== 'system' ? last.content : '';
  const banned = !input.allowSelfResponses && !userInput && last && last.sender !== 'user' ? last.name : null;
  const allowed = (m: SpeakerCandidate) => banned === null || m.name !== banned;
  const out: string[] = [];
  for (const word of wordsOf(text)) {
    const named = enabled.find((m) => allowed(m) && wordsOf(m.name).includes(word));
    if (named) out.push(named.id);
  }
  const chatty: SpeakerCandidate[] = [];
  for (const m of shuffled(enabled, input.random)) {
    if (!allowed(m)) continue;
    if (m.talkativeness >= input.random()) out.push(m.id);
    if (m.talkativeness > 0) chatty.push(m);
  }
  // SillyTavern's fallback pool may hold the banned member when nobody else is chatty.
  const pool = chatty.length > 0 ? chatty : enabled;
  for (let tries = 1; out.length === 0 && tries <= pool.length; tries++) {
    const m = pick(pool, input.random);
    if (m) out.push(m.id);
  }
  return [...new Set(out)];
}

/** Every member who has not spoken since the user's last message; then one of them at random. */
function activatePooled(input: SpeakerChoiceInput, enabled: readonly SpeakerCandidate[]): string[] {
  const spoken = new Set<string>();
  if (!isUserInput(input)) {
    for (let i = input.history.length - 1; i >= 0; i--) {
      const m = input.history[i]!;
      if (m.sender === 'user') break;
      if (m.sender === 'system') continue;
      const id = m.speakerId ?? input.members.find((c) => c.name === m.name)?.id;
      if (id) spoken.add(id);
    }
  }
  const notYet = enabled.filter((m) => !spoken.has(m.id));
  if (notYet.length > 0) return [pick(notYet, input.random)!.id];
  const last = input.history[input.history.length - 1];
  const lastId = last?.sender === 'assistant' ? lastSpeaker([last], input.members) : null;
  const others = enabled.length > 1 && lastId ? enabled.filter((m) => m.id !== lastId) : enabled;
  const chosen = pick(others, input.random);
  return chosen ? [chosen.id] : [];
}

/** The members who answer, in the order they answer (empty: nobody; the user's message is stored alone). */
export function chooseSpeakers(input: SpeakerChoiceInput): string[] {
  if (input.requested !== null) return input.members.some((m) => m.id === input.requested) ? [input.requested] : [];
  if (input.kind === 'regenerate' || input.kind === 'continue') return activateSwipe(input);
  if (input.kind === 'impersonate') {
    const any = pick(input.members, input.random);
    return any ? [any.id] : [];
  }
  const enabled = input.members.filter((m) => m.enabled);
  switch (input.strategy) {
    case 'natural':
      return activateNatural(input, enabled);
    case 'list':
      return [...new Set(enabled.map((m) => m.id))];
    case 'pooled':
      return activatePooled(input, enabled);
    case 'manual': {
      // SillyTavern: a user message gets no reply; an empty send makes one random unmuted member speak.
      if (isUserInput(input)) return [];
      const any = pick(enabled, input.random);
      return any ? [any.id] : [];
    }
  }
}
