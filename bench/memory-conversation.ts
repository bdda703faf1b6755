/**
 * Long conversations with annotated evidence for the memory benches, from a seeded generator (no public data):
 * a user and a character talk in sessions of about 40 turns, one a day. Facts are told once, often as the answer
 * to the character's question, and asked about much later in other words. Question types:
 * - `single`: one fact (a relative's job, city, pet, appointment), asked with other words than it was told;
 * - `multi_hop`: two facts about one person told in different sessions, both needed;
 * - `temporal`: what happened on a day, with the date only in the question (the turn says "today", or "yesterday"
 *   or "last night", said the day after), or when something happened;
 * - `image`: an image described in text ("[Image: ...]"), asked about as a picture or photo.
 * Filler turns reuse the same names, places and objects, so a name alone does not find the evidence.
 */
import { seededRandom } from '../shared/prompt/macros/seeded-random.ts';

export interface GeneratedTurn {
  sender: 'user' | 'assistant';
  content: string;
  sentAt: string;
}

export type QuestionType = 'single' | 'multi_hop' | 'temporal' | 'image';

export interface GeneratedQuestion {
  type: QuestionType;
  query: string;
  /** Indexes (in `turns`) of the turns that hold the answer. */
  evidence: number[];
}

export interface GeneratedConversation {
  turns: GeneratedTurn[];
  questions: GeneratedQuestion[];
}

const NAMES = [
  'Elodie',
  'Tomasz',
  'Priya',
  'Kwame',
  'Ingrid',
  'Mateo',
  'Yuki',
  'Farah',
  'Oskar',
  'Lucia',
  'Zainab',
  'Henrik',
  'Amara',
  'Dmitri',
  'Noor',
  'Bruno',
  'Saoirse',
  'Kenji',
  'Leila',
  'Marek',
  'Ines',
  'Tariq',
  'Freya',
  'Rafael',
  'Hana',
  'Emil',
  'Chiara',
  'Sipho',
  'Agnes',
  'Viktor',
  'Mei',
  'Joaquin',
  'Astrid',
  'Omar',
  'Greta',
  'Luca',
  'Ayesha',
  'Nils',
  'Rosa',
  'Idris',
];
const RELATIONS = ['sister', 'brother', 'cousin', 'neighbour', 'colleague', 'friend', 'aunt', 'uncle', 'niece', 'nephew'];
const JOBS: Array<[string, string]> = [
  ['nurse', 'hospital'],
  ['carpenter', 'workshop'],
  ['baker', 'bakery'],
  ['pilot', 'airline'],
  ['librarian', 'library'],
  ['chemist', 'laboratory'],
  ['teacher', 'school'],
  ['architect', 'studio'],
  ['veterinarian', 'clinic'],
  ['journalist', 'newspaper'],
];
const CITIES = [
  'Lisbon',
  'Oslo',
  'Nairobi',
  'Kyoto',
  'Valparaiso',
  'Tbilisi',
  'Montreal',
  'Hanoi',
  'Edinburgh',
  'Marrakesh',
  'Krakow',
  'Perth',
];
const ANIMALS = ['puppy', 'kitten', 'parrot', 'tortoise', 'rabbit', 'hamster', 'goldfish', 'ferret'];
const PET_NAMES = [
  'Biscuit',
  'Pepper',
  'Mochi',
  'Waffles',
  'Juniper',
  'Pickle',
  'Nimbus',
  'Clementine',
  'Tofu',
  'Marble',
  'Socks',
  'Ziggy',
];
const EVENTS: Array<[string, string]> = [
  ['dentist appointment', 'When do I see the dentist?'],
  ['job interview', 'When is the interview for the new position?'],
  ['piano recital', 'What date is the recital where I play piano?'],
  ['flight to Reykjavik', 'When do I fly to Iceland?'],
  ['wedding anniversary dinner', 'When are we celebrating our anniversary?'],
];
const DAY_ACTIVITIES: Array<[string, string]> = [
  ['Today I finally ran my first half marathon, my legs are jelly.', 'complete a half marathon'],
  ['I spent the whole day repainting the kitchen a pale green.', 'paint the kitchen'],
  ['We drove out to the coast today and watched the seals.', 'go and look at seals'],
  ['Today I baked sourdough for the first time and it actually rose!', 'bake my first sourdough loaf'],
  ['I went to the planetarium today and saw the show about black holes.', 'see that show on black holes'],
  ['Today I signed the lease for the new flat on Harbour Street.', 'put my name on the lease'],
];
/** Said the day after: the day asked about is the day before the turn's. */
const YESTERDAY_ACTIVITIES: Array<[string, string]> = [
  ['Yesterday I finally fixed the leaking tap in the bathroom.', 'repair the bathroom tap'],
  ['Last night we went to a jazz concert in the old church.', 'hear live jazz in a church'],
  ['I went bouldering for the first time yesterday, my arms still ache.', 'try bouldering'],
  ['Yesterday we planted tomatoes and basil in big pots.', 'plant the tomatoes'],
  ['We hosted a board game night yesterday, it went on until two.', 'have people over for games'],
];
const INSTRUMENTS = ['cello', 'ukulele', 'trumpet', 'violin', 'drums', 'harp', 'saxophone', 'accordion'];
const OBJECTS = ['bicycle', 'umbrella', 'teapot', 'lantern', 'sailboat', 'guitar', 'armchair', 'kite', 'typewriter', 'suitcase'];
const COLOURS = ['red', 'blue', 'green', 'yellow', 'orange', 'purple', 'silver', 'turquoise', 'crimson', 'golden'];
const PLACES = ['balcony', 'garden', 'porch', 'attic', 'beach', 'station', 'market', 'riverbank'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const FILLER = [
  'How was your day?',
  'Pretty ordinary, a lot of emails and a long lunch.',
  'I had coffee with {name} this morning, we talked about nothing much.',
  '{name} said the {place} looks lovely this time of year.',
  'Did you sleep well last night?',
  'Not really, the neighbours were loud again.',
  'I keep thinking about buying a {colour} {object}, but I never do.',
  'My {relation} called, just to chat about the weekend.',
  'The weather turned cold so I stayed in and read.',
  'That sounds cozy. What are you reading?',
  'A mystery novel set in {city}, it is slow but fun.',
  'We should cook something nice this weekend.',
  'I saw a {animal} at the {place} today, it was adorable.',
  'Work is busy, the {job} from the other team keeps asking for reports.',
  '{name} wants to visit {city} someday.',
  'I lost my keys again and found them in the {object} bag.',
  'Tell me something that made you smile today.',
  'The tram was late, so I walked along the {place}.',
  'I watched a documentary about {animal}s, surprisingly moving.',
  'Maybe I will take a class, pottery or something.',
];

interface Fact {
  type: QuestionType;
  /** Turns (user/assistant) to say; `evidence` indexes into them. */
  lines: Array<[GeneratedTurn['sender'], string]>;
  evidence: number[];
  query: string;
  /** Temporal: the day asked about is this many days from the day the evidence was said. */
  dayOffset?: number;
  /** Multi-hop: the second fact, told in a later session. */
  then?: { lines: Array<[GeneratedTurn['sender'], string]>; evidence: number[] };
}

export function generateConversation(options: { seed: number; turns: number; facts: number }): GeneratedConversation {
  const random = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const fill = (text: string) =>
    text
      .replace('{name}', pick(NAMES))
      .replace('{place}', pick(PLACES))
      .replace('{colour}', pick(COLOURS))
      .replace('{object}', pick(OBJECTS))
      .replace('{relation}', pick(RELATIONS))
      .replace('{city}', pick(CITIES))
      .replace('{animal}', pick(ANIMALS))
      .replace('{job}', pick(JOBS)[0]);
  const start = Date.UTC(2026, 0, 5, 18, 0, 0);
  const perSession = 40;
  const turns: GeneratedTurn[] = [];
  const questions: GeneratedQuestion[] = [];
  const sessionOf = (i: number) => Math.floor(i / perSession);
  const at = (i: number) => new Date(start + sessionOf(i) * 86_400_000 + (i % perSession) * 60_000).toISOString();

  // Facts are told in the first 60% of the conversation (asked at its end); their slots are planned first.
  const factSlots = new Map<number, { fact: Fact; part: 'first' | 'then'; question: GeneratedQuestion }>();
  const dayOffsets = new Map<GeneratedQuestion, number>();
  const span = Math.floor(options.turns * 0.6);
  for (let f = 0; f < options.facts; f++) {
    const fact = makeFact(f, pick, random, (day) => at(day));
    const question: GeneratedQuestion = { type: fact.type, query: fact.query, evidence: [] };
    if (fact.dayOffset) dayOffsets.set(question, fact.dayOffset);
    let slot = Math.floor(random() * (span - 10)) + 2;
    while (factSlots.has(slot) || factSlots.has(slot + 1) || factSlots.has(slot - 1)) slot++;
    factSlots.set(slot, { fact, part: 'first', question });
    if (fact.then) {
      let later = Math.min(options.turns - 20, slot + perSession * (2 + Math.floor(random() * 10)));
      while (factSlots.has(later) || factSlots.has(later + 1) || factSlots.has(later - 1)) later++;
      factSlots.set(later, { fact, part: 'then', question });
    }
    questions.push(question);
  }
  for (let i = 0; turns.length < options.turns; i++) {
    const planned = factSlots.get(turns.length);
    if (planned) {
      const block = planned.part === 'first' ? planned.fact : planned.fact.then!;
      const base = turns.length;
      for (const [sender, content] of block.lines) turns.push({ sender, content, sentAt: at(turns.length) });
      for (const e of block.evidence) planned.question.evidence.push(base + e);
      continue;
    }
    turns.push({ sender: turns.length % 2 ? 'assistant' : 'user', content: fill(pick(FILLER)), sentAt: at(turns.length) });
  }
  // Temporal questions name the day their evidence was said on.
  for (const q of questions)
    if (q.type === 'temporal') {
      const d = new Date(Date.parse(turns[q.evidence[0]!]!.sentAt) + (dayOffsets.get(q) ?? 0) * 86_400_000);
      q.query = q.query.replace('{day}', `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`);
    }
  return { turns: turns.slice(0, options.turns), questions: questions.filter((q) => q.evidence.every((e) => e < options.turns)) };
}

function makeFact(f: number, pick: <T>(list: readonly T[]) => T, random: () => number, _at: (i: number) => string): Fact {
  const name = pick(NAMES);
  const relation = pick(RELATIONS);
  switch (f % 10) {
    case 0: {
      const [job, place] = pick(JOBS);
      return {
        type: 'single',
        lines: [
          ['assistant', `How is your ${relation} ${name} getting on these days?`],
          ['user', `Really well, ${name} started as a ${job} at the ${place} near us.`],
        ],
        evidence: [1],
        query: `What does ${name} do for a living?`,
      };
    }
    case 1: {
      const city = pick(CITIES);
      return {
        type: 'single',
        lines: [
          ['assistant', `Did your ${relation} end up moving?`],
          ['user', `Yes, ${name} lives in ${city} now, in a flat above a bakery.`],
        ],
        evidence: [1],
        query: `Which city did my ${relation} relocate to?`,
      };
    }
    case 2: {
      const animal = pick(ANIMALS);
      const pet = pick(PET_NAMES);
      return {
        type: 'single',
        lines: [['user', `We adopted a little ${animal} and named it ${pet}!`]],
        evidence: [0],
        query: `What is the name of our new ${animal}?`,
      };
    }
    case 3: {
      const [event, question] = pick(EVENTS);
      const month = pick(MONTHS);
      const day = 1 + Math.floor(random() * 27);
      return {
        type: 'single',
        lines: [
          ['assistant', 'Anything coming up that you are nervous about?'],
          ['user', `The ${event} on ${month} ${day}, I keep thinking about it.`],
        ],
        evidence: [1],
        query: question,
      };
    }
    case 4:
    case 5: {
      const [job, place] = pick(JOBS);
      const city = pick(CITIES);
      return {
        type: 'multi_hop',
        lines: [['user', `My ${relation} ${name} got a job as a ${job} at a ${place}.`]],
        evidence: [0],
        query: `Which city did my ${relation} who works at the ${place} move to?`,
        then: { lines: [['user', `${name} just moved to ${city}, the rent there is lower.`]], evidence: [0] },
      };
    }
    case 6: {
      // Asked either when it happened (the answer is the day it was said) or what happened on a day.
      const [line, what] = pick(DAY_ACTIVITIES);
      const query = random() < 0.5 ? `When did I ${what}?` : 'What did I do on {day}?';
      return { type: 'temporal', lines: [['user', line]], evidence: [0], query };
    }
    case 8: {
      const [line, what] = pick(YESTERDAY_ACTIVITIES);
      const query = random() < 0.5 ? `When did I ${what}?` : 'What did I do on {day}?';
      return { type: 'temporal', lines: [['user', line]], evidence: [0], query, dayOffset: -1 };
    }
    case 9: {
      const instrument = pick(INSTRUMENTS);
      return {
        type: 'single',
        lines: [
          ['assistant', 'Have you picked up anything new lately?'],
          ['user', `I signed up for ${instrument} lessons on Thursday evenings, my teacher is very patient.`],
        ],
        evidence: [1],
        query: `Which instrument am I learning to play?`,
      };
    }
    default: {
      const object = pick(OBJECTS);
      const colour = pick(COLOURS);
      const place = pick(PLACES);
      return {
        type: 'image',
        lines: [
          ['user', `[Image: a photo of a ${colour} ${object} standing on the ${place} in the evening light]`],
          ['assistant', 'What a lovely shot, the light is beautiful.'],
        ],
        evidence: [0],
        query: `What colour was the ${object} in the picture I sent you?`,
      };
    }
  }
}
