/**
 * The item list of `{{random}}` / `{{pick}}`: split on `::` when the list contains it (items kept as written),
 * otherwise on commas with items trimmed and `\,` standing for a literal comma (SillyTavern's two syntaxes).
 */
export function splitChoiceList(list: string): string[] {
  if (list.includes('::')) return list.split('::');
  const items: string[] = [];
  let current = '';
  for (let i = 0; i < list.length; i++) {
    const ch = list[i] as string;
    if (ch === '\\' && list[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === ',') {
      items.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  items.push(current.trim());
  return items;
}
