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
