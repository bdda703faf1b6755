import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ensureSillyTavern } from '../../../test/sillytavern/sillytavern-install.ts';
import { startSillyTavern, type SillyTavernServer } from '../../../test/sillytavern/sillytavern-server.ts';
import { countTokens } from '../index.ts';

/**
 * The `llama` family against SillyTavern 1.12.6's own server: `POST /api/tokenizers/llama/encode` runs the
 * SentencePiece library on the `llama.model` SillyTavern ships, which is what its front end counts with when no API
 * is connected. Every text of the corpus must come out with the same count.
 */
const CORPUS: string[] = [
  'Hello world',
  '\n',
  'Hello\nworld',
  'line one\nline two\n\nline four\n',
  ' leading space',
  'trailing space ',
  '  two  spaces  between  ',
  '\t tab and\r\nwindows line end',
  'The quick brown fox jumps over the lazy dog. '.repeat(12),
  'Дракон спит на золоте. Дракона видели вчера у реки, и драконы летают над горами.',
  'Ёжик в тумане. Съешь же ещё этих мягких французских булок.',
  '龍は金の上で眠る。これは日本語のテキストです。',
  '我爱北京天安门，天安门上太阳升。',
  '안녕하세요 세계, 용이 잠들어 있다',
  'مرحبا بالعالم',
  'ελληνικά κείμενα και δράκοι',
  'naïve café résumé — “quoted” ‘text’ … ellipsis',
  '🐉🔥 emoji 👨‍👩‍👧 family 🏳️‍🌈 flag',
  '{{char}} greets {{user}}. {{random:a,b,c}} {{roll:1d20}} <START> {{// comment}}',
  '[Character("Seraphina") { Species("Elf") Personality("kind" + "protective") }]',
  '<s> </s> <0x0A> <unk> literal control text',
  'x'.repeat(300),
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  'Zürich, Ærøskøbing, Łódź, İstanbul, Ğ ğ ş',
  '1234567890 3.14159 1,000,000 $99.99 50% #hash @mention',
  'def f(x):\n    return x ** 2  # code\n',
  '',
];

const TOKENIZE_TIMEOUT_MS = 240_000;

/** SillyTavern's front end: the CSRF token and session cookie from `/csrf-token`, then a JSON POST. */
async function sillyTavernCount(server: SillyTavernServer, session: { token: string; cookie: string }, text: string) {
  const res = await fetch(`${server.url}/api/tokenizers/llama/encode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.token, Cookie: session.cookie },
    body: JSON.stringify({ text }),
  });
  if (!res.ok) throw new Error(`llama/encode: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { count: number }).count;
}

describe('the llama family counts as SillyTavern 1.12.6 does', () => {
  let server: SillyTavernServer;
  let session: { token: string; cookie: string };

  beforeAll(async () => {
    server = await startSillyTavern(ensureSillyTavern('1.12.6'));
    const res = await fetch(`${server.url}/csrf-token`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    session = { token: ((await res.json()) as { token: string }).token, cookie };
  }, TOKENIZE_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
  });

  test(
    'every text of the corpus has SillyTavern’s count',
    async () => {
      const differences: Array<{ text: string; ours: number; sillyTavern: number }> = [];
      for (const text of CORPUS) {
        const ours = countTokens(text, 'llama');
        const sillyTavern = await sillyTavernCount(server, session, text);
        if (ours !== sillyTavern) differences.push({ text, ours, sillyTavern });
      }
      expect(differences).toEqual([]);
      // The two properties SillyTavern's world-info budget depends on: no BOS, a newline is one token.
      expect(await sillyTavernCount(server, session, 'Hello\nworld')).toBe(3);
      expect(countTokens('Hello\nworld', 'llama')).toBe(3);
    },
    TOKENIZE_TIMEOUT_MS,
  );

  test(
    'a long mixed text (all of the corpus joined) has SillyTavern’s count',
    async () => {
      const text = CORPUS.join('\n\n').repeat(5);
      expect(countTokens(text, 'llama')).toBe(await sillyTavernCount(server, session, text));
    },
    TOKENIZE_TIMEOUT_MS,
  );
});
