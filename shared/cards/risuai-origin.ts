/**
 * Whether a card was made in RisuAI: its CharX carries a RisuAI module (`module.risum`), or its `extensions` carry
 * RisuAI's own key (`risuai`: sprites, scripts, the lorebook's settings). Such a card's lorebook was written for
 * RisuAI's decorators and scan, so its chats are suggested the `risuai` compatibility profile.
 */
const RISUAI_MODULE = 'module.risum';
const RISUAI_EXTENSION = 'risuai';

export function cardFromRisuAI(card: { data?: { extensions?: unknown } }, assetPaths: readonly string[]): boolean {
  if (assetPaths.some((path) => path === RISUAI_MODULE || path.endsWith(`/${RISUAI_MODULE}`))) return true;
  const extensions = card.data?.extensions;
  return typeof extensions === 'object' && extensions !== null && RISUAI_EXTENSION in extensions;
}
