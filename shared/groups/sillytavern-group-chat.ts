import { exportLine, type StExportLine } from '../chats/sillytavern-chat.ts';

/**
 * SillyTavern's group chat file (`group chats/<chatId>.jsonl`) as its newer versions write it: a header line
 * `{chat_metadata, user_name: "unused", character_name: "unused"}`, then one line per message. Every line carries
 * `swipes`; a character's line carries `original_avatar`, the avatar file name SillyTavern identifies the speaker by.
 */
export interface StGroupExportLine extends StExportLine {
  /** The speaker's avatar file name (assistant messages); null for user and system lines. */
  speakerAvatar: string | null;
}

export function groupChatLine(line: StGroupExportLine): Record<string, unknown> {
  const out = exportLine(line);
  if (!Array.isArray(out.swipes)) {
    out.swipes = [line.message.content];
    out.swipe_id = 0;
  }
  if (line.speakerAvatar !== null) out.original_avatar = line.speakerAvatar;
  return out;
}

export function buildSillyTavernGroupChat(chatMetadata: Record<string, unknown>, lines: StGroupExportLine[]): string {
  const header = { chat_metadata: chatMetadata, user_name: 'unused', character_name: 'unused' };
  return [JSON.stringify(header), ...lines.map((l) => JSON.stringify(groupChatLine(l)))].join('\n');
}
