/**
 * A new chat opens with the character's greeting; its alternate greetings become alternates of that first
 * message (SillyTavern's greeting swipes). Empty greetings are left out. `{{char}}` and `{{user}}` (and the
 * old `<BOT>`/`<USER>`) are filled in when the chat is created, as SillyTavern stores them expanded.
 */
export function characterGreetings(firstMessage: string, alternateGreetings: readonly string[]): string[] {
  return [firstMessage, ...alternateGreetings].filter((g) => g.trim() !== '');
}

export function fillNames(text: string, names: { char: string; user: string }): string {
  return text.replace(/\{\{char\}\}|<BOT>/gi, () => names.char).replace(/\{\{user\}\}|<USER>/gi, () => names.user);
}

/**
 * The Character Card V3 greeting index (0 = `first_mes`, 1 = `alternate_greetings[0]`, …; what `@@is_greeting`
 * compares with) of the greeting at `position` among the chat's greetings, which leave empty ones out.
 */
export function greetingIndexAt(firstMessage: string, alternateGreetings: readonly string[], position: number): number | undefined {
  const indexes = [firstMessage, ...alternateGreetings].flatMap((g, i) => (g.trim() !== '' ? [i] : []));
  return indexes[position];
}

/** The V3 greeting index of a greeting text a client sends back (names filled as a new chat fills them), if any. */
export function greetingIndexOf(
  text: string,
  firstMessage: string,
  alternateGreetings: readonly string[],
  names: { char: string; user: string },
): number | undefined {
  const wanted = text.trim();
  const index = [firstMessage, ...alternateGreetings].findIndex((g) => g.trim() !== '' && fillNames(g, names).trim() === wanted);
  return index >= 0 ? index : undefined;
}
