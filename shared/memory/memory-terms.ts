/**
 * How a chat message (or a memory query) becomes index terms. Made for conversation rather than documents:
 * - words: Unicode letters and digits (NFKC, lower case, diacritics folded: "Café" and "cafe" meet), English
 *   words stemmed (Porter, npm `stemmer`: "remembered" and "remembering" meet), stop words left out; scripts
 *   written without spaces (Han, Kana, Hangul, Thai) as overlapping character pairs;
 * - names: the speaker's name and capitalised words other than stop words, as `n:<name>` (weighted at search);
 * - numbers as digits: "twenty-one", "21st" and "21" are all `#21`; "1,500" is `#1500`;
 * - dates normalised: "March 5th", "5 March 2026", "2026-03-05" and "3/5/2026" give `md:03-05` (and with a year
 *   `d:2026-03-05`, `m:2026-03`); a month alone gives `mo:03`; the day the message was sent is indexed as `@d:`,
 *   `@md:`, `@m:` so "what did we do on March 5?" finds the turns of that day;
 * - relative dates resolved against the day a turn was sent (or a query asked): "today", "yesterday", "last
 *   night", "tomorrow", "three days ago", "a week ago", "last Tuesday", "next Friday" give the date terms of the day
 *   they mean, so "what did I do on March 5?" finds "Today I ran a half marathon" said that day, or "yesterday I…"
 *   said the next.
 */
import { stemmer } from 'stemmer';
import { STOP_WORDS } from './stop-words.ts';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
] as const;
const MONTH_ABBREVIATIONS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const MONTH_NUMBER = new Map<string, number>([...MONTHS.map((m, i) => [m, i + 1] as const), ...Object.entries(MONTH_ABBREVIATIONS)]);

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  thirtieth: 30,
};

/** A number word ("seven", "twenty-one", "third") as its value, or null. */
export function numberWord(word: string): number | null {
  if (word in UNITS) return UNITS[word]!;
  if (word in TENS) return TENS[word]!;
  if (word in ORDINALS) return ORDINALS[word]!;
  const [tens, unit] = word.split('-');
  if (tens && unit && tens in TENS) {
    const u = UNITS[unit] ?? ORDINALS[unit];
    if (u !== undefined && u > 0 && u < 10) return TENS[tens]! + u;
  }
  return null;
}

const pad = (n: number) => String(n).padStart(2, '0');
const validDay = (month: number, day: number) => month >= 1 && month <= 12 && day >= 1 && day <= 31;

/** The date terms of a day: with a year `d:` and `m:`, always `md:`. */
function dayTerms(month: number, day: number, year: number | null, prefix = ''): string[] {
  const terms = [`${prefix}md:${pad(month)}-${pad(day)}`];
  if (year !== null) terms.push(`${prefix}d:${year}-${pad(month)}-${pad(day)}`, `${prefix}m:${year}-${pad(month)}`);
  return terms;
}

/** The terms of the day a message was sent (UTC). */
export function sentDayTerms(at: Date): string[] {
  return dayTerms(at.getUTCMonth() + 1, at.getUTCDate(), at.getUTCFullYear(), '@');
}

const MONTH_RE =
  '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\\.?';
const DAY_RE = '(\\d{1,2})(?:st|nd|rd|th)?';
const YEAR_RE = '(\\d{4})';
const DATE_PATTERNS: Array<{ re: RegExp; read: (m: RegExpExecArray) => string[] }> = [
  { re: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g, read: (m) => date(+m[2]!, +m[3]!, +m[1]!) },
  { re: /\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/g, read: (m) => date(+m[1]!, +m[2]!, +m[3]!) },
  {
    re: new RegExp(`\\b${MONTH_RE}\\s+${DAY_RE}\\b(?:,?\\s+${YEAR_RE}\\b)?`, 'g'),
    read: (m) => date(MONTH_NUMBER.get(m[1]!)!, +m[2]!, m[3] ? +m[3] : null),
  },
  {
    re: new RegExp(`\\b${DAY_RE}\\s+(?:of\\s+)?${MONTH_RE}\\b(?:,?\\s+${YEAR_RE}\\b)?`, 'g'),
    read: (m) => date(MONTH_NUMBER.get(m[2]!)!, +m[1]!, m[3] ? +m[3] : null),
  },
  { re: new RegExp(`\\b${MONTH_RE}\\s+${YEAR_RE}\\b`, 'g'), read: (m) => [`m:${m[2]}-${pad(MONTH_NUMBER.get(m[1]!)!)}`] },
];
const date = (month: number, day: number, year: number | null) => (validDay(month, day) ? dayTerms(month, day, year) : []);

/** Every date written in a (lower-cased) text, as terms. */
export function dateTerms(lower: string): string[] {
  const out: string[] = [];
  for (const { re, read } of DATE_PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(lower); m; m = re.exec(lower)) out.push(...read(m));
  }
  return out;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const COUNT_RE = '(\\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty|thirty)';
/** Relative day expressions (on folded text) and the days they are from the reference day. */
const RELATIVE_DAYS: Array<{ re: RegExp; offset: (m: RegExpExecArray, weekday: number) => number | null }> = [
  { re: /\bthe day before yesterday\b/g, offset: () => -2 },
  { re: /\bthe day after tomorrow\b/g, offset: () => 2 },
  { re: /\b(?:today|tonight|this (?:morning|afternoon|evening))\b/g, offset: () => 0 },
  { re: /(?<!the day before )\b(?:yesterday|last night)\b/g, offset: () => -1 },
  { re: /(?<!the day after )\btomorrow\b/g, offset: () => 1 },
  { re: new RegExp(`\\b${COUNT_RE} (day|week)s? ago\\b`, 'g'), offset: (m) => -countOf(m[1]!) * (m[2] === 'week' ? 7 : 1) },
  { re: new RegExp(`\\bin ${COUNT_RE} (day|week)s?(?: time)?\\b`, 'g'), offset: (m) => countOf(m[1]!) * (m[2] === 'week' ? 7 : 1) },
  {
    re: new RegExp(`\\b(last|next|this) (${WEEKDAYS.join('|')})\\b`, 'g'),
    offset: (m, today) => {
      const target = WEEKDAYS.indexOf(m[2] as (typeof WEEKDAYS)[number]);
      if (m[1] === 'last') return -(((today - target + 6) % 7) + 1);
      return ((target - today + 7) % 7) + (m[1] === 'next' && target === today ? 7 : 0);
    },
  },
];
const countOf = (word: string) => (/^\d+$/.test(word) ? Number(word) : word === 'a' || word === 'an' ? 1 : (numberWord(word) ?? 0));
/** A word every relative expression above holds (case-insensitive). */
const RELATIVE_HINT = /\b(?:today|tonight|yesterday|tomorrow|ago|last|next|this|days?|weeks?)\b/i;
/** Relative expressions further than this from their reference day are left out (a year ago is no day). */
const MAX_RELATIVE_DAYS = 60;

/** The date terms (as if written: `md:`, `d:`, `m:`) of the relative dates in a text, against the day `at`. */
export function relativeDateTerms(text: string, at: Date): string[] {
  // Most turns hold none: one cheap test before folding the text and trying each expression.
  if (!RELATIVE_HINT.test(text)) return [];
  const folded = fold(text);
  const out = new Set<string>();
  for (const { re, offset } of RELATIVE_DAYS) {
    re.lastIndex = 0;
    for (let m = re.exec(folded); m; m = re.exec(folded)) {
      const days = offset(m, at.getUTCDay());
      if (days === null || Math.abs(days) > MAX_RELATIVE_DAYS) continue;
      const day = new Date(at.getTime() + days * 86_400_000);
      for (const term of dayTerms(day.getUTCMonth() + 1, day.getUTCDate(), day.getUTCFullYear())) out.add(term);
    }
  }
  return [...out];
}

const TOKEN = /[\p{L}\p{N}]+(?:['’\-][\p{L}\p{N}]+)*/gu;
const SPACELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
const ASCII_WORD = /^[a-z]+$/;
const DIGITS = /^\d+(?:,\d{3})*(?:st|nd|rd|th)?$/;

/** Folds case and diacritics ("Élodie" -> "elodie"), keeping letters of every script. */
export function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFKC')
    .toLowerCase();
}

/**
 * Classes a question asks for by name and a turn holds by example: "the picture I sent" finds "[Image: ...]" or a
 * photo described in words, "what colour" finds a turn that names one.
 */
const CLASS_OF: Record<string, string> = Object.fromEntries([
  ...['image', 'images', 'photo', 'photos', 'photograph', 'picture', 'pictures', 'pic', 'pics', 'snapshot', 'screenshot', 'selfie'].map(
    (w) => [w, '@image'],
  ),
  ...[
    'colour',
    'color',
    'colours',
    'colors',
    'red',
    'blue',
    'green',
    'yellow',
    'orange',
    'purple',
    'pink',
    'brown',
    'black',
    'white',
    'grey',
    'gray',
    'silver',
    'golden',
    'turquoise',
    'crimson',
    'violet',
    'beige',
  ].map((w) => [w, '@colour']),
]);

/** Words that ask for a class (a query's "what colour"): a colour itself in a query is only that colour. */
const CLASS_NAMES: ReadonlySet<string> = new Set([
  'colour',
  'color',
  'colours',
  'colors',
  ...Object.keys(CLASS_OF).filter((w) => CLASS_OF[w] === '@image'),
]);

/** A word's index form: digits for numbers, the English stem for ASCII words, the folded word otherwise. */
function wordTerm(word: string): string | null {
  if (DIGITS.test(word)) return `#${Number(word.replace(/,|st|nd|rd|th/g, ''))}`;
  const n = numberWord(word);
  if (n !== null) return `#${n}`;
  if (STOP_WORDS.has(word)) return null;
  if (ASCII_WORD.test(word)) return word.length > 2 ? stemmer(word) : word;
  return word;
}

/** The analysed text: each term with its count, and the number of word tokens (the length BM25 normalises by). */
export interface AnalysedText {
  terms: Map<string, number>;
  length: number;
}

function add(terms: Map<string, number>, term: string, n = 1): void {
  terms.set(term, (terms.get(term) ?? 0) + n);
}

/** Terms of a text; `speaker` is added as a name. `asQuery`: a class only for the words that name one. */
export function analyseText(text: string, speaker: string | null = null, asQuery = false): AnalysedText {
  const terms = new Map<string, number>();
  let length = 0;
  const plain = text.replace(/(\d),(?=\d{3}\b)/g, '$1');
  const folded = fold(plain);
  for (const raw of plain.matchAll(TOKEN)) {
    const original = raw[0].replace(/’/g, "'").replace(/'s$/i, '');
    const word = fold(original);
    if (SPACELESS.test(word)) {
      // Character pairs (and the lone character of a one-character run).
      const chars = [...word];
      length += chars.length;
      if (chars.length === 1) add(terms, word);
      for (let i = 0; i + 1 < chars.length; i++) add(terms, chars[i]! + chars[i + 1]!);
      continue;
    }
    const parts = word.includes('-') && numberWord(word) === null ? word.split('-') : [word];
    for (const part of parts) {
      length++;
      const term = wordTerm(part);
      if (term) add(terms, term);
      const wordClass = CLASS_OF[part];
      if (wordClass && !terms.has(wordClass) && (!asQuery || CLASS_NAMES.has(part))) add(terms, wordClass);
    }
    if (/^\p{Lu}/u.test(original) && !STOP_WORDS.has(word) && numberWord(word) === null && !MONTH_NUMBER.has(word)) add(terms, `n:${word}`);
  }
  if (speaker) for (const part of fold(speaker).split(/\s+/)) if (part) add(terms, `n:${part}`);
  for (const term of dateTerms(folded)) add(terms, term);
  for (const month of folded.matchAll(/\b(january|february|march|april|june|july|august|september|october|november|december)\b/g))
    add(terms, `mo:${pad(MONTH_NUMBER.get(month[1]!)!)}`);
  return { terms, length };
}

/** What kind of evidence a term is, for the query weights and the explanation. */
export type TermKind = 'word' | 'name' | 'number' | 'date' | 'sent' | 'class';

export function termKind(term: string): TermKind {
  if (term.startsWith('n:')) return 'name';
  if (term === '@image' || term === '@colour') return 'class';
  if (term.startsWith('#')) return 'number';
  if (term.startsWith('@')) return 'sent';
  if (/^(md|d|m|mo):/.test(term)) return 'date';
  return 'word';
}

/** A term as a reader would say it in an explanation. */
export function describeTerm(term: string): string {
  const kind = termKind(term);
  if (kind === 'name') return term.slice(2);
  if (kind === 'number') return term.slice(1);
  if (kind === 'sent') return `sent on ${term.slice(term.indexOf(':') + 1)}`;
  if (kind === 'class') return term === '@image' ? 'an image or photo' : 'a colour';
  if (kind === 'date') return term.slice(term.indexOf(':') + 1);
  return term;
}
