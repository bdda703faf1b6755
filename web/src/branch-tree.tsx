import { useEffect, useState } from 'preact/hooks';
import type { Api, Page } from './api.ts';
import type { Message } from './types.ts';

interface Node {
  message: Message & { on_active_path?: boolean };
  children: Node[];
}

function treeOf(messages: Message[]): Node[] {
  const nodes = new Map(messages.map((m) => [m.id, { message: m, children: [] as Node[] }]));
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parent = node.message.parent_message_id ? nodes.get(node.message.parent_message_id) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}

/** Every message of the chat as a tree (branches and alternates); choosing one makes its branch the conversation. */
export function BranchTree({ api, chatId, onSelected }: { api: Api; chatId: string; onSelected: () => void }) {
  const [roots, setRoots] = useState<Node[]>([]);
  const load = async () => {
    const page = await api.get<Page<Message>>(`/api/v1/character_messages/chats/${chatId}/messages?view=tree&order=asc&limit=200`);
    setRoots(treeOf(page.items));
  };
  useEffect(() => void load(), [api, chatId]);
  const select = async (id: string) => {
    await api.json('PUT', `/api/v1/character_messages/messages/${id}/select`);
    await load();
    onSelected();
  };
  const render = (nodes: Node[]) => (
    <ul role="group">
      {nodes.map((n) => (
        <li role="treeitem" aria-selected={Boolean(n.message.on_active_path)} aria-expanded={n.children.length ? true : undefined}>
          <button type="button" class={n.message.on_active_path ? 'link active' : 'link'} onClick={() => void select(n.message.id)}>
            {(n.message.name ?? n.message.sender) + ': ' + n.message.content.slice(0, 60)}
          </button>
          {n.children.length > 0 && render(n.children)}
        </li>
      ))}
    </ul>
  );
  return (
    <aside class="side-panel" aria-label="Branches">
      <h2>Branches</h2>
      <div role="tree" aria-label="Message tree">
        {render(roots)}
      </div>
    </aside>
  );
}
