import { useEffect, useState } from 'preact/hooks';
import { KeyChips } from './key-chips.tsx';
import type { WorldBookEntry } from './types.ts';

const GROUPS: Array<[string, RegExp]> = [
  [
    'Activation',
    /^(constant|selective|selective_logic|use_regex|match_whole_words|case_sensitive|scan_depth|probability|use_probability|disable|enabled|vectorized|match_)/,
  ],
  ['Placement', /^(position|depth|role|order|outlet_name|ignore_budget)/],
  ['Groups and timing', /^(group|use_group_scoring|sticky|cooldown|delay|automation_id|triggers)/],
  ['Recursion', /recursion/],
];
const HIDDEN = new Set([
  'entry_id',
  'world_book_id',
  'uid',
  'keys',
  'secondary_keys',
  'content',
  'comment',
  'created_at',
  'updated_at',
  'extensions',
  'character_filter',
  'display_index',
]);
/** SillyTavern's position codes, in code order. */
const POSITIONS = ['before', 'after', 'an_top', 'an_bottom', 'at_depth', 'examples_before', 'examples_after', 'outlet'];

const label = (field: string) => field.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** Every field of an entry, grouped; keys as chips; saved as one change of the book. */
export function EntryEditor({
  entry,
  onSave,
  onDelete,
}: {
  entry: WorldBookEntry;
  onSave: (changes: Record<string, unknown>) => Promise<void>;
  onDelete: () => Promise<void>;
}) {
  const [draft, setDraft] = useState<WorldBookEntry>(entry);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => setDraft(entry), [entry]);
  const set = (field: string, value: unknown) => setDraft((d) => ({ ...d, [field]: value }));
  const fields = Object.keys(entry).filter((f) => !HIDDEN.has(f));
  const grouped = GROUPS.map(([name, re]) => [name, fields.filter((f) => re.test(f))] as const);
  const other = fields.filter((f) => !GROUPS.some(([, re]) => re.test(f)));

  const input = (field: string) => {
    const value = draft[field];
    const id = `entry-${field}`;
    if (typeof entry[field] === 'boolean')
      return (
        <label class="check" for={id}>
          <input id={id} type="checkbox" checked={Boolean(value)} onChange={(e) => set(field, e.currentTarget.checked)} /> {label(field)}
        </label>
      );
    if (field === 'position')
      return (
        <div class="field">
          <label for={id}>Position</label>
          <select id={id} value={String(value)} onChange={(e) => set(field, Number(e.currentTarget.value))}>
            {POSITIONS.map((p, code) => (
              <option value={String(code)}>{p}</option>
            ))}
          </select>
        </div>
      );
    const numeric =
      typeof entry[field] === 'number' || (entry[field] === null && /depth|order|sticky|cooldown|delay|probability|weight/.test(field));
    return (
      <div class="field">
        <label for={id}>{label(field)}</label>
        {numeric ? (
          <input
            id={id}
            type="number"
            value={value === null || value === undefined ? '' : String(value)}
            onInput={(e) => set(field, e.currentTarget.value === '' ? null : Number(e.currentTarget.value))}
          />
        ) : (
          <input
            id={id}
            type="text"
            value={value === null || value === undefined ? '' : String(value)}
            onInput={(e) => set(field, e.currentTarget.value)}
          />
        )}
      </div>
    );
  };

  const save = async (e: Event) => {
    e.preventDefault();
    const changes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(draft))
      if (!HIDDEN.has(k) || ['keys', 'secondary_keys', 'content', 'comment'].includes(k))
        if (JSON.stringify(v) !== JSON.stringify(entry[k])) changes[k] = v;
    try {
      await onSave(changes);
      setStatus('Saved');
    } catch (err) {
      setStatus((err as Error).message);
    }
  };

  return (
    <form class="editor entry-editor" onSubmit={save} aria-label={`Entry ${entry.comment || entry.uid}`}>
      <div class="field">
        <label for="entry-comment">Title</label>
        <input id="entry-comment" value={draft.comment ?? ''} onInput={(e) => set('comment', e.currentTarget.value)} />
      </div>
      <KeyChips label="Keys" keys={draft.keys} onChange={(k) => set('keys', k)} />
      <KeyChips label="Secondary keys" keys={draft.secondary_keys ?? []} onChange={(k) => set('secondary_keys', k)} />
      <div class="field">
        <label for="entry-content">Content</label>
        <textarea id="entry-content" rows={6} value={draft.content} onInput={(e) => set('content', e.currentTarget.value)} />
      </div>
      {grouped.map(
        ([name, list]) =>
          list.length > 0 && (
            <fieldset>
              <legend>{name}</legend>
              {list.map(input)}
            </fieldset>
          ),
      )}
      {other.length > 0 && (
        <fieldset>
          <legend>Other</legend>
          {other.map(input)}
        </fieldset>
      )}
      <div class="form-actions">
        <button type="submit">Save entry</button>
        <button type="button" class="danger" onClick={() => void onDelete()}>
          Delete entry
        </button>
        <span role="status" aria-live="polite">
          {status}
        </span>
      </div>
    </form>
  );
}
