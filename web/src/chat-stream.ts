import type { Api } from './api.ts';

export type GenerationMode = 'normal' | 'regenerate' | 'continue' | 'impersonate';

/**
 * Runs one generation on a chat and streams the reply's text as it comes: `onText` gets the text so far.
 * Resolves with the whole text; a stopped generation (the signal) stores nothing on the server.
 */
export async function streamGeneration(
  api: Api,
  chatId: string,
  request: { mode: GenerationMode; message?: string },
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<string> {
  let text = '';
  for await (const chunk of api.stream(`/api/v1/character_chats/${chatId}/complete`, { ...request, stream: true }, signal)) {
    if (chunk.error) throw new Error(chunk.error.message ?? 'the generation failed');
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string' && delta) {
      text += delta;
      onText(text);
    }
  }
  return text;
}
