import type { Actor } from '../../shared/access/actor.ts';
import { parseSillyTavernChat, type StLine } from '../../shared/chats/sillytavern-chat.ts';
import { settingsFromSillyTavern } from '../../shared/chats/sillytavern-settings.ts';
import { formatCreateDate } from '../../shared/chats/send-date.ts';
import { badRequest } from '../../shared/errors.ts';
import type { CommandResult } from '../command-handler.ts';
import { accessibleGroup } from '../groups/group-workflows.ts';
import type { ChatState } from './chat-decider.ts';
import { seedsFromSillyTavern, type ImportSummary } from './chat-import.ts';
import { createChat, type ChatCommandDeps } from './chat-workflows.ts';

/** A group member as a SillyTavern file may name it: its card name and the file name its card was imported under. */
export interface SpeakerCandidate {
  id: string;
  name: string;
  filename: string | null;
}

const originalAvatar = (line: StLine): string | null => {
  const st = line.alternates[line.selected]?.metadata.sillytavern as Record<string, unknown> | undefined;
  return typeof st?.original_avatar === 'string' ? st.original_avatar : null;
};

/** Each character line's speaker: by `original_avatar` first, then by name; a line no member matches is a 400. */
function speakersOf(lines: StLine[], members: SpeakerCandidate[]): Map<StLine, string> {
  const speakers = new Map<StLine, string>();
  const unmatched: Array<{ line: number; name: string | null; original_avatar: string | null }> = [];
  for (const line of lines) {
    if (line.sender !== 'assistant') continue;
    const avatar = originalAvatar(line);
    const member = (avatar !== null ? members.find((m) => m.filename === avatar) : undefined) ?? members.find((m) => m.name === line.name);
    if (member) speakers.set(line, member.id);
    else unmatched.push({ line: line.lineNumber, name: line.name, original_avatar: avatar });
  }
  if (unmatched.length > 0) {
    const first = unmatched[0]!;
    throw badRequest(
      'unknown_speaker',
      `line ${first.line}: speaker "${first.name ?? first.original_avatar ?? '?'}" is not a member of the group`,
      { unmatched },
    );
  }
  return speakers;
}

/**
 * A SillyTavern group chat file as a new chat of one of the caller's groups, in one append. `characters` are the
 * caller's characters; only the group's members may speak.
 */
export async function importSillyTavernGroupChat(
  deps: ChatCommandDeps,
  actor: Actor,
  input: { chatId: string; groupId: string; content: string; title?: string; characters: SpeakerCandidate[] },
): Promise<{ result: CommandResult<ChatState>; summary: ImportSummary }> {
  const { state: group } = await accessibleGroup({ eventStore: deps.eventStore, cache: deps.stateCache }, actor, input.groupId);
  const memberIds = new Set(group.group!.members.map((m) => m.character_id));
  const members = input.characters.filter((c) => memberIds.has(c.id));
  const parsed = parseSillyTavernChat(input.content);
  const speakers = speakersOf(parsed.lines, members);
  const messages = seedsFromSillyTavern(parsed, (line) => speakers.get(line) ?? null);
  const name = group.group!.name;
  const result = await createChat(deps, actor, {
    chatId: input.chatId,
    characterId: null,
    characterName: name,
    title: input.title ?? `${name} - ${formatCreateDate(new Date())} imported`,
    settings: settingsFromSillyTavern(parsed.header),
    forkedFrom: null,
    importedFrom: 'sillytavern-jsonl',
    messages,
    groupId: input.groupId,
  });
  return {
    result,
    summary: { lines: parsed.lines.length, messages: messages.length, skipped_lines: parsed.skipped, header: parsed.header !== null },
  };
}
