import { fillNames } from '../chats/greetings.ts';
import { seededRandom } from './seeded-random.ts';

/**
 * The greetings that open a group chat (SillyTavern's `getGroupChat` → `getFirstCharacterMessage`): one per
 * member in list order, muted members included, members without a greeting skipped. Each is picked uniformly
 * among the member's non-empty first message, alternate greetings and group-only greetings (CCv3: greetings
 * meant for group chats only, which SillyTavern itself never reads), with a random seeded by the chat and the
 * member so the choice replays. `{{char}}` is the member, `{{user}}` the user, filled once at creation.
 */
export interface GreetingMember {
  id: string;
  name: string;
  firstMessage: string;
  alternateGreetings: readonly string[];
  groupOnlyGreetings: readonly string[];
}

export function groupGreetings(
  chatId: string,
  members: readonly GreetingMember[],
  userName: string,
): Array<{ speakerId: string; name: string; content: string }> {
  return members.flatMap((m) => {
    const pool = [m.firstMessage, ...m.alternateGreetings, ...m.groupOnlyGreetings].filter((g) => g.trim() !== '');
    if (pool.length === 0) return [];
    const text = pool[Math.floor(seededRandom(`${chatId}:${m.id}`)() * pool.length)]!;
    return [{ speakerId: m.id, name: m.name, content: fillNames(text, { char: m.name, user: userName }) }];
  });
}
