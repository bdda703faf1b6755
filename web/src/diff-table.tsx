export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

const show = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v, null, 1) ?? ''));

/** Field-by-field changes between two versions of a resource: the old value struck, the new one inserted. */
export function DiffTable({ changes, label, after = 'After' }: { changes: FieldChange[]; label?: string; after?: string }) {
  return (
    <table class="diff" {...(label ? { 'aria-label': label } : {})}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">{after}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr>
            <th scope="row">{c.field}</th>
            <td>
              <del>{show(c.from)}</del>
            </td>
            <td>
              <ins>{show(c.to)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
