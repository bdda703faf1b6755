/**
 * The macros the evaluator knows, by lower-cased name. A handler returns the replacement, or undefined to leave
 * the macro as written (wrong argument form, or a value this call does not provide). `{{trim}}` and comments are
 * handled by the evaluator itself, because they act on the surrounding text.
 */
import type { ChatVariables } from './chat-variables.ts';
import { splitChoiceList } from './choice-list.ts';
import {
  formatDate,
  formatIsoDate,
  formatIsoTime,
  formatTime,
  formatWeekday,
  zonedDateParts,
  type ZonedDateParts,
} from './clock-format.ts';
import { parseDiceFormula, rollDice } from './dice.ts';
import { humanizeDuration } from './humanize-duration.ts';
import type { MacroCall } from './macro-call.ts';
import { doubleColonArgument, freeArgument, nameAndValue } from './macro-call.ts';
import type { CardMacroValues, EvaluateOptions, MacroEnvironment, MacroMessage } from './macro-environment.ts';
import { hashString, randomIndex, seededRandom } from './seeded-random.ts';

export interface MacroCallContext {
  env: MacroEnvironment;
  options: EvaluateOptions;
  variables: ChatVariables;
  messages: readonly MacroMessage[];
  /** The text given to this evaluation, and the offset of this macro's `{{` in it (seeds `{{pick}}`). */
  rawText: string;
  rawOffset: number;
  /** `{{original}}`: the text the first time, '' afterwards, undefined when the call has none. */
  takeOriginal(): string | undefined;
}

type Handler = (call: MacroCall, ctx: MacroCallContext) => string | undefined;

/** A macro without arguments: `{{name}}` only. */
const bare =
  (value: (ctx: MacroCallContext) => string | undefined): Handler =>
  (call, ctx) =>
    call.rest === '' ? value(ctx) : undefined;

const cardField = (field: keyof CardMacroValues): Handler =>
  bare((ctx) => (ctx.options.cardFields !== false && ctx.env.card ? ctx.env.card[field] : undefined));

const clock = (format: (parts: ZonedDateParts) => string): Handler =>
  bare((ctx) => format(zonedDateParts(ctx.env.now(), ctx.env.timeZone)));

function lastIndexOf(messages: readonly MacroMessage[], role?: MacroMessage['role']): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (role === undefined || messages[i]?.role === role) return i;
  }
  return -1;
}

function lastContent(messages: readonly MacroMessage[], role?: MacroMessage['role']): string {
  return messages[lastIndexOf(messages, role)]?.content ?? '';
}

function toEpochMs(value: MacroMessage['sentAt']): number | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** Time since the last user message before the newest message ("just now" when there is none). */
function idleDuration(ctx: MacroCallContext): string {
  let takeNext = false;
  for (let i = ctx.messages.length - 1; i >= 0; i--) {
    const message = ctx.messages[i] as MacroMessage;
    if (takeNext && message.role === 'user') {
      const sent = toEpochMs(message.sentAt);
      return sent === null ? 'just now' : humanizeDuration(ctx.env.now().getTime() - sent);
    }
    takeNext = true;
  }
  return 'just now';
}

function choose(call: MacroCall, pick: (items: string[]) => string | undefined): string | undefined {
  const list = freeArgument(call.rest);
  if (list === null || list === '') return undefined;
  return pick(splitChoiceList(list));
}

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['user', bare((ctx) => ctx.env.user)],
  ['char', bare((ctx) => ctx.env.char)],
  ['group', bare((ctx) => ctx.env.group ?? ctx.env.char)],
  ['charifnotgroup', bare((ctx) => ctx.env.group ?? ctx.env.char)],
  ['model', bare((ctx) => ctx.env.model)],
  ['maxprompt', bare((ctx) => (ctx.env.maxPrompt === undefined ? undefined : String(ctx.env.maxPrompt)))],
  ['newline', bare(() => '\n')],
  ['noop', bare(() => '')],
  ['original', bare((ctx) => ctx.takeOriginal())],

  ['description', cardField('description')],
  ['personality', cardField('personality')],
  ['scenario', cardField('scenario')],
  ['persona', cardField('persona')],
  ['mesexamples', cardField('mesExamples')],
  ['charprompt', cardField('charPrompt')],
  ['charjailbreak', cardField('charJailbreak')],
  ['charversion', cardField('charVersion')],
  ['char_version', cardField('charVersion')],

  ['lastmessage', bare((ctx) => lastContent(ctx.messages))],
  ['lastusermessage', bare((ctx) => lastContent(ctx.messages, 'user'))],
  ['lastcharmessage', bare((ctx) => lastContent(ctx.messages, 'assistant'))],
  [
    'lastmessageid',
    bare((ctx) => {
      const i = lastIndexOf(ctx.messages);
      return i < 0 ? '' : String(i);
    }),
  ],
  ['idle_duration', bare(idleDuration)],

  ['time', clock(formatTime)],
  ['date', clock(formatDate)],
  ['weekday', clock(formatWeekday)],
  ['isotime', clock(formatIsoTime)],
  ['isodate', clock(formatIsoDate)],

  ['random', (call, ctx) => choose(call, (items) => items[randomIndex(ctx.env.random, items.length)])],
  [
    'pick',
    (call, ctx) =>
      choose(call, (items) => {
        const seed = hashString(`${ctx.env.chatId}\u0000${hashString(ctx.rawText)}\u0000${ctx.rawOffset}`);
        return items[randomIndex(seededRandom(seed), items.length)];
      }),
  ],
  [
    'roll',
    (call, ctx) => {
      const argument = freeArgument(call.rest);
      if (argument === null) return undefined;
      const formula = parseDiceFormula(argument);
      return formula === null ? '' : String(rollDice(formula, ctx.env.random));
    },
  ],
  [
    'reverse',
    (call) => {
      const argument = freeArgument(call.rest);
      return argument === null ? undefined : Array.from(argument).reverse().join('');
    },
  ],

  [
    'getvar',
    (call, ctx) => {
      const name = doubleColonArgument(call.rest)?.trim();
      return name ? ctx.variables.get(name) : undefined;
    },
  ],
  [
    'setvar',
    (call, ctx) => {
      const args = nameAndValue(call.rest);
      if (!args) return undefined;
      ctx.variables.set(args.name, args.value);
      return '';
    },
  ],
  [
    'addvar',
    (call, ctx) => {
      const args = nameAndValue(call.rest);
      if (!args) return undefined;
      ctx.variables.add(args.name, args.value);
      return '';
    },
  ],
  [
    'incvar',
    (call, ctx) => {
      const name = doubleColonArgument(call.rest)?.trim();
      return name ? ctx.variables.add(name, '1', 'inc') : undefined;
    },
  ],
  [
    'decvar',
    (call, ctx) => {
      const name = doubleColonArgument(call.rest)?.trim();
      return name ? ctx.variables.add(name, '-1', 'dec') : undefined;
    },
  ],

  [
    'outlet',
    (call, ctx) => {
      const outlets = ctx.options.outlets;
      const name = freeArgument(call.rest)?.trim();
      if (!outlets || !name) return undefined;
      return Object.hasOwn(outlets, name) ? outlets[name] : '';
    },
  ],
]);

/** Names handled by the evaluator rather than by a handler. */
export const TRIM_MACRO = 'trim';

export function runBuiltinMacro(call: MacroCall, ctx: MacroCallContext): string | undefined {
  const handler = HANDLERS.get(call.name);
  if (handler) return handler(call, ctx);
  if (call.rest !== '' || !ctx.options.extras) return undefined;
  for (const [name, value] of Object.entries(ctx.options.extras)) {
    if (name.toLowerCase() === call.name) return value;
  }
  return undefined;
}
