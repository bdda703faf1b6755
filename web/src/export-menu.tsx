import type { Api } from './api.ts';
import { saveFile } from './save-file.ts';
import type { Character } from './types.ts';

const FORMATS = [
  ['png', 'PNG card'],
  ['json', 'JSON (V3)'],
  ['v2', 'JSON (V2)'],
  ['charx', 'CharX'],
] as const;

/** Export a character in every format the service writes. */
export function ExportMenu({ api, character }: { api: Api; character: Character }) {
  const exportAs = async (format: string) => {
    const { blob, filename } = await api.download(`/api/v1/characters/${character.id}/export?format=${format}`);
    saveFile(blob, filename);
  };
  return (
    <select
      aria-label={`Export ${character.name}`}
      value=""
      onChange={(e) => {
        const format = e.currentTarget.value;
        e.currentTarget.value = '';
        if (format) void exportAs(format);
      }}
    >
      <option value="">Export…</option>
      {FORMATS.map(([value, label]) => (
        <option value={value}>{label}</option>
      ))}
    </select>
  );
}
