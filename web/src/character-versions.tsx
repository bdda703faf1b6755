import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import { DiffTable, type FieldChange } from './diff-table.tsx';
import type { Character, HistoryItem } from './types.ts';

/** The character's history as a timeline: each version's diff against the one before, "as of" and revert. */
export function CharacterVersions({ api, character, onReverted }: { api: Api; character: Character; onReverted: () => void }) {
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [changes, setChanges] = useState<FieldChange[]>([]);
  const [asOf, setAsOf] = useState<Character | null>(null);

  useEffect(() => {
    void api.get<{ items: HistoryItem[] }>(`/api/v1/characters/${character.id}/versions`).then((r) => setItems(r.items.slice().reverse()));
  }, [api, character.id, character.version]);

  const open = async (version: number) => {
    setSelected(version);
    const [at, diff] = await Promise.all([
      api.get<Character>(`/api/v1/characters/${character.id}?as_of=${version}`),
      version > 1
        ? api.get<{ changes: FieldChange[] }>(
            `/api/v1/characters/${character.id}/versions/diff?from_version=${version - 1}&to_version=${version}`,
          )
        : Promise.resolve({ changes: [] }),
    ]);
    setAsOf(at);
    setChanges(diff.changes);
  };
  const revert = async (version: number) => {
    await api.json('POST', `/api/v1/characters/${character.id}/revert?expected_version=${character.version}`, { target_version: version });
    onReverted();
  };

  return (
    <div class="versions">
      <ol class="timeline" aria-label="Versions">
        {items.map((item) => (
          <li key={item.version}>
            <button type="button" class="link" aria-pressed={selected === item.version} onClick={() => void open(item.version)}>
              Version {item.version}
            </button>
            <span class="muted">
              {' '}
              {new Date(item.at).toLocaleString()} · {item.user_id} · {item.summary}
            </span>
          </li>
        ))}
      </ol>
      {selected !== null && asOf && (
        <section aria-label={`Version ${selected}`} class="version-detail">
          <h2>
            As of version {selected}: {asOf.name}
          </h2>
          {changes.length > 0 ? <DiffTable changes={changes} /> : <p class="muted">No field changes from the version before.</p>}
          {selected !== character.version && (
            <button type="button" onClick={() => void revert(selected)}>
              Revert to version {selected}
            </button>
          )}
        </section>
      )}
    </div>
  );
}
