import type { Api } from './api.ts';

export type GenerationMode = 'normal' | 'regenerate' | 'continue' | 'impersonate';

/**
 * Runs one generation on a chat and streams the reply's text as it comes: `onText` gets the text so far.
 * Resolves with the whole text; a stopped generation (the signal) stores nothing on the server.
 */
export async function streamGeneration(
  api: Api,
  chatId: string,
  request: { mode: GenerationMode; message?: string; speaker_id?: string },
  onText: (text: string, speaker?: string) => void,
  signal: AbortSignal,
): Promise<string> {
  let text = '';
  let speaker: string | undefined;
  for await (const chunk of api.stream(`/api/v1/character_chats/${chatId}/complete`, { ...request, stream: true }, signal)) {
    if (chunk.error) throw new Error(chunk.error.message ?? 'the generation failed');
    // A group turn: each speaker starts with an `event: speaker` whose data names it; its reply follows.
    if (!chunk.choices && typeof chunk.speaker_id === 'string' && typeof chunk.index === 'number') {
      speaker = chunk.name ?? undefined;
      text = '';
      onText(text, speaker);
      continue;
    }
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string' && delta) {
      text += delta;
      onText(text, speaker);
    }
  }
  return text;
}
