/**
 * The golden prompt cases: the Seraphina card with the Eldoria lorebook in several chats. The expected outputs
 * are in `golden/<name>.json`, written once by `golden/write-golden.ts` and reviewed by hand against
 * SillyTavern's assembly (see each case's `checks`).
 */
import type { CanonicalCard } from '../../cards/index.ts';
import type { WorldInfoEntry } from '../../worldinfo/index.ts';
import { assemblePrompt } from '../assemble-prompt.ts';
import type { AssembledPrompt, PromptHistoryMessage, PromptInput } from '../prompt-types.ts';
import { eldoriaBook, seraphinaCard } from './helpers/fixtures.ts';

export interface GoldenCase {
  name: string;
  /** What a reviewer checks in the expected output. */
  checks: string;
  input: () => PromptInput;
}

const NOW = new Date('2025-01-06T15:07:00Z');

/** Deterministic uniform source (LCG), fresh per case. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const PERSONA = { name: 'Ann', description: 'Ann is a travelling herbalist with a satchel of dried leaves.' };
const MODEL = { name: 'gpt-4o', contextSize: 8192, replyReserve: 1024 };

function greeting(card: CanonicalCard): PromptHistoryMessage {
  return { id: 'm0', role: 'assistant', content: card.data.first_mes, sentAt: '2025-01-06T14:00:00Z' };
}

function base(card: CanonicalCard, overrides: Partial<PromptInput>): PromptInput {
  return {
    character: card,
    persona: PERSONA,
    history: [greeting(card)],
    chat: { chatId: 'chat-golden' },
    worldInfo: { books: [eldoriaBook()] },
    model: MODEL,
    random: seeded(42),
    clock: () => NOW,
    ...overrides,
  };
}

/** The card with the example dialogue moved out of the description into `mes_example`, plus two short blocks. */
function seraphinaWithExamples(): CanonicalCard {
  const card = seraphinaCard();
  const description = card.data.description;
  const start = description.indexOf('\r\n<START>');
  const lastLine = description.slice(description.lastIndexOf('\r\n') + 2);
  const examples = description.slice(start + 2, description.lastIndexOf('\r\n'));
  card.data.description = `${description.slice(0, start)}\r\n${lastLine}`;
  card.data.mes_example = [
    '<START>\r\n{{user}}: "Can I help you tend the glade?"\r\n{{char}}: *Seraphina beams.* "I would like that very much."',
    '<START>\r\n{{user}}: "Are you ever lonely?"\r\n{{char}}: *She pauses, fingers brushing a fern.* "Sometimes. The forest keeps me company."',
    examples,
  ].join('\r\n');
  return card;
}

const CHAT_LINES: ReadonlyArray<readonly [string, string]> = [
  ['How long was I asleep?', '*Seraphina sets down a cup of tea.* "Two days. Your fever broke this morning."'],
  ['What is this tea?', '"Chamomile and silverleaf. It mends the body while you rest."'],
  ['Can I stand up yet?', '*She steadies your arm.* "Slowly. Lean on me if you need to."'],
  ['Who else lives here?', '"Only the birds, the foxes and me. Visitors are rare."'],
  ['Why did you help me?', '*Her amber eyes soften.* "Because no one should be left alone in the dark."'],
  ['Do you ever sleep?', '"Rarely. The glade needs watching, and I like the quiet hours."'],
  ['What should I call you?', '"Seraphina will do. Sera, if you prefer something shorter."'],
  ['Is there water nearby?', '"A spring runs behind the cottage. It is cold and clean."'],
];

function longChat(exchanges: number): PromptHistoryMessage[] {
  const history: PromptHistoryMessage[] = [];
  for (let i = 0; i < exchanges; i++) {
    const [question, answer] = CHAT_LINES[i % CHAT_LINES.length] as readonly [string, string];
    history.push({ id: `u${i}`, role: 'user', content: `(${i + 1}) ${question}` });
    history.push({ id: `a${i}`, role: 'assistant', content: `(${i + 1}) ${answer}` });
  }
  return history;
}

function setPositions(entries: WorldInfoEntry[], positions: Record<number, Partial<WorldInfoEntry>>): void {
  for (const entry of entries) Object.assign(entry, positions[entry.uid as number] ?? {});
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  {
    name: 'first-turn',
    checks:
      'Default Chat Completion order: main prompt (defaults, {{char}}/{{user}} filled), World Info before, persona description, description, ' +
      '"[Start a new Chat]", the greeting, the new user turn last. The greeting (forest, beasts, magic) and the user turn (glade, safe haven) ' +
      'fire all four Eldoria entries (scan depth 2), joined in World Info before: equal order 100, so reverse activation order.',
    input: () => {
      const card = seraphinaCard();
      return base(card, { userTurn: { id: 'm1', content: 'Is this glade a safe haven?' } });
    },
  },
  {
    name: 'selective-lore',
    checks:
      'Recursion off: the greeting is beyond scan depth 2, so only the last reply and the user turn are scanned, and "beasts" fires the ' +
      'shadowfang entry alone (with recursion on, its content would pull in the forest, glade and magic entries).',
    input: () => {
      const card = seraphinaCard();
      return base(card, {
        worldInfo: { books: [eldoriaBook()], settings: { recursive: false } },
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'Thank you for saving me.' },
          { id: 'm2', role: 'assistant', content: '*She smiles warmly.* "Rest now. You are safe."' },
        ],
        userTurn: { id: 'm3', content: 'What were those beasts that attacked me?' },
      });
    },
  },
  {
    name: 'lore-positions',
    checks:
      'Each entry at its position: eldoria (after) after the description; power (examples before) parsed into an example block ' +
      '("[Example Chat]", example_user/example_assistant system messages); glade (AN top) above the Author\'s Note, which sits at depth 2; ' +
      'shadowfang (at depth 1, assistant role) just before the newest message.',
    input: () => {
      const card = seraphinaCard();
      return base(card, {
        worldInfo: {
          books: [
            eldoriaBook((entries) =>
              setPositions(entries, {
                0: { position: 1 },
                1: { position: 4, depth: 1, role: 2 },
                2: { position: 2 },
                3: { position: 5 },
              }),
            ),
          ],
        },
        chat: { chatId: 'chat-golden', authorsNote: { text: '[Keep the tone gentle and hopeful.]', depth: 2 } },
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'You healed me with magic?' },
          { id: 'm2', role: 'assistant', content: '"I did. The forest lends me its strength."' },
        ],
        userTurn: { id: 'm3', content: 'Will the beasts find us in this glade?' },
      });
    },
  },
  {
    name: 'long-history-trimmed',
    checks:
      'Context 1400 with 256 reserved: the fixed parts fit, then the history is filled newest first; the oldest messages (the greeting ' +
      'included) are dropped, the newest are kept in order, and the user turn is last. dropped.historyMessages counts the cut.',
    input: () => {
      const card = seraphinaCard();
      return base(card, {
        worldInfo: { books: [] },
        history: [greeting(card), ...longChat(24)],
        userTurn: { id: 'new', content: 'Thank you for everything, Seraphina.' },
        model: { name: 'gpt-4o', contextSize: 1400, replyReserve: 256 },
      });
    },
  },
  {
    name: 'examples-dropped-whole',
    checks:
      'mes_example has three <START> blocks (two short, one long); the budget leaves room for the two short ones only, so the long block ' +
      'is dropped whole (no partial block). {{user}}/{{char}} lines become example_user/example_assistant messages, each block headed by ' +
      '"[Example Chat]". Examples come after the description and before "[Start a new Chat]".',
    input: () => {
      const card = seraphinaWithExamples();
      return base(card, {
        worldInfo: { books: [] },
        userTurn: { id: 'm1', content: 'Good morning.' },
        model: { name: 'gpt-4o', contextSize: 1200, replyReserve: 300 },
      });
    },
  },
  {
    name: 'notes-at-depth',
    checks:
      "Author's Note, character's note (extensions.depth_prompt) and the shadowfang entry, all at depth 2 with the system role, become " +
      'one message joined by "\\n" in SillyTavern\'s order (AN, character note, lorebook), placed before the two newest messages; the ' +
      'persona description at depth 0 with the user role comes after the user turn; the character note is macro-expanded.',
    input: () => {
      const card = seraphinaCard();
      card.data.extensions = {
        ...card.data.extensions,
        depth_prompt: { prompt: '{{char}} never leaves the glade after dark.', depth: 2, role: 'system' },
      };
      return base(card, {
        persona: { ...PERSONA, position: 'at_depth', depth: 0, role: 'user' },
        worldInfo: { books: [eldoriaBook((entries) => setPositions(entries, { 1: { position: 4, depth: 2, role: 0 } }))] },
        chat: { chatId: 'chat-golden', authorsNote: { text: '[Style: slow, descriptive, present tense.]', depth: 2, role: 'system' } },
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'I heard howling last night.' },
          { id: 'm2', role: 'assistant', content: '*Seraphina frowns.* "The beasts grow bolder."' },
        ],
        userTurn: { id: 'm3', content: 'Should we be worried?' },
      });
    },
  },
  {
    name: 'card-prompts-original',
    checks:
      "The card's system prompt replaces the main prompt and {{original}} expands to the default main prompt (macros filled); the card's " +
      'post-history instructions replace the configured ones with {{original}} expanded, and come last, after the user turn.',
    input: () => {
      const card = seraphinaCard();
      card.data.system_prompt = '{{original}}\nStay in character as {{char}}; {{user}} is her guest.';
      card.data.post_history_instructions = '{{original}}\n[Reply in at most three paragraphs.]';
      return base(card, {
        worldInfo: { books: [] },
        prompts: { postHistoryInstructions: '[Never write lines for {{user}}.]' },
        userTurn: { id: 'm1', content: 'Good morning, Seraphina.' },
      });
    },
  },
  {
    name: 'continue-mode',
    checks:
      'continue: no new user turn; the last reply stays in the history and the continue nudge repeats it ({{lastChatMessage}}) right after ' +
      'the history, before the post-history instructions.',
    input: () => {
      const card = seraphinaCard();
      card.data.post_history_instructions = '[Write in third person.]';
      return base(card, {
        worldInfo: { books: [] },
        mode: 'continue',
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'Tell me a story about the spring.' },
          { id: 'm2', role: 'assistant', content: '*Seraphina settles by the fire.* "Long ago, before the Shadowfangs,' },
        ],
      });
    },
  },
  {
    name: 'impersonate-mode',
    checks: 'impersonate: no user turn; the impersonation prompt ({{user}}/{{char}} filled) is the very last message.',
    input: () => {
      const card = seraphinaCard();
      return base(card, {
        worldInfo: { books: [] },
        mode: 'impersonate',
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'Where am I?' },
          { id: 'm2', role: 'assistant', content: '"In my glade, safe from harm."' },
        ],
      });
    },
  },
  {
    name: 'regenerate-mode',
    checks:
      'regenerate: the history ends with the user message the reply answers; no new user turn; the lorebook scans it (glade fires) as a ' +
      'swipe, so the prompt equals the one of the original turn.',
    input: () => {
      const card = seraphinaCard();
      return base(card, {
        mode: 'regenerate',
        history: [
          greeting(card),
          { id: 'm1', role: 'user', content: 'Thank you.' },
          { id: 'm2', role: 'assistant', content: '"You are welcome."' },
          { id: 'm3', role: 'user', content: 'Can I see the rest of the glade?' },
        ],
      });
    },
  },
  {
    name: 'macros-and-variables',
    checks:
      "Macros in the user turn (setvar, roll, pick, time), the scenario override and the Author's Note (getvar): the expanded user turn is " +
      'returned for storage, variable changes are listed in order, the time is the injected clock, and the nickname is used for {{char}}.',
    input: () => {
      const card = seraphinaCard();
      card.data.nickname = 'Sera';
      return base(card, {
        worldInfo: { books: [] },
        chat: {
          chatId: 'chat-golden',
          variables: { visits: '2' },
          scenarioOverride: '{{user}} has visited the glade {{getvar::visits}} times. It is {{weekday}}, {{time}}.',
          authorsNote: { text: '[{{char}} feels {{getvar::mood}}. Visit {{incvar::visits}}.]', depth: 1 },
        },
        userTurn: { id: 'm1', content: '{{setvar::mood::curious}}I roll a die: {{roll:d20}}. {{pick::Hello::Hi::Greetings}}, {{char}}!' },
      });
    },
  },
];

export function runGoldenCase(goldenCase: GoldenCase): AssembledPrompt {
  return assemblePrompt(goldenCase.input());
}

/** What a golden file holds: the prompt, and the lorebook outcome in a form that does not depend on the engine's wording. */
export function goldenView(result: AssembledPrompt): unknown {
  return {
    messages: result.messages,
    layout: result.layout,
    tokens: result.tokens,
    dropped: result.dropped,
    worldInfo: result.worldInfo
      ? {
          activated: result.worldInfo.activated.map((a) => ({
            entry: a.entryKey,
            comment: a.comment,
            position: a.position,
            depth: a.depth,
            role: a.role,
          })),
          budget: result.worldInfo.budget,
        }
      : null,
    variables: result.variables,
    userTurn: result.userTurn,
    authorsNoteInserted: result.authorsNoteInserted,
  };
}
