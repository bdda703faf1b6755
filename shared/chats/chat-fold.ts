import type { Fold } from '../events/domain-event.ts';
import type { ChatEvent, PathChange } from '../events/chat-events.ts';
import type { ChatSettings, ForkOrigin } from './chat-fields.ts';
import { postedOf } from './imported-messages.ts';
import {
  addNode,
  applyPathDelta,
  emptyTree,
  findNode,
  ROOT,
  selectAlong,
  updateNode,
  type MessageTree,
  type PathDelta,
} from './message-tree.ts';

export const chatStream = (chatId: string) => `chat-${chatId}`;

export interface ChatState {
  exists: boolean;
  deleted: boolean;
  chatId: string | null;
  ownerId: string | null;
  characterId: string | null;
  /** A group chat's group. */
  groupId: string | null;
  characterName: string;
  title: string;
  rating: number | null;
  state: string;
  settings: ChatSettings;
  forkedFrom: ForkOrigin | null;
  /** The fingerprint of the create request when the client chose the id, else null. */
  createRequest: string | null;
  tree: MessageTree;
}

const initialState = (): ChatState => ({
  exists: false,
  deleted: false,
  chatId: null,
  ownerId: null,
  characterId: null,
  groupId: null,
  characterName: '',
  title: '',
  rating: null,
  state: 'in-progress',
  settings: {},
  forkedFrom: null,
  createRequest: null,
  tree: emptyTree(),
});

const ordinals = (tree: MessageTree, path: PathChange): PathDelta | null =>
  path ? { from: path.from, ids: path.ids.map((id) => findNode(tree, id)) } : null;

function evolve(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case 'ChatCreated': {
      const d = event.data;
      return {
        ...initialState(),
        exists: true,
        chatId: d.chatId,
        ownerId: d.ownerId,
        characterId: d.characterId,
        groupId: d.groupId ?? null,
        characterName: d.characterName,
        title: d.title,
        settings: d.settings,
        forkedFrom: d.forkedFrom,
        createRequest: d.createRequest ?? null,
        state: d.state ?? 'in-progress',
      };
    }
    case 'ChatUpdated':
      return { ...state, ...event.data.changes };
    case 'ChatDeleted':
      return { ...state, deleted: true };
    case 'ChatRestored':
      return { ...state, deleted: false };
    case 'MessagePosted': {
      const d = event.data;
      if (findNode(state.tree, d.messageId) >= 0) return state;
      let tree = addNode(state.tree, {
        id: d.messageId,
        parent: d.parentId ? findNode(state.tree, d.parentId) : ROOT,
        sender: d.sender,
        name: d.name,
        image: d.image,
      });
      const delta = ordinals(tree, d.path);
      if (d.active && delta) tree = selectAlong(tree, delta.ids, tree.nodes.size - 1);
      return { ...state, tree: applyPathDelta(tree, delta) };
    }
    case 'MessagesImported':
      return postedOf(event.data).reduce((next, data) => evolve(next, { type: 'MessagePosted', data }), state);
    case 'MessageEdited':
    case 'MessagePinned':
      return { ...state, tree: updateNode(state.tree, findNode(state.tree, event.data.messageId), { version: event.data.messageVersion }) };
    case 'MessageDeleted':
    case 'MessageRestored': {
      const tree = updateNode(state.tree, findNode(state.tree, event.data.messageId), {
        version: event.data.messageVersion,
        deleted: event.type === 'MessageDeleted',
      });
      return { ...state, tree: applyPathDelta(tree, ordinals(tree, event.data.path)) };
    }
    // Erased for good: nothing of the chat is left (its earlier events read back redacted).
    case 'ChatErased':
      return initialState();
    case 'MessageSelected': {
      const delta = ordinals(state.tree, event.data.path);
      const tree = delta ? selectAlong(state.tree, delta.ids, findNode(state.tree, event.data.messageId)) : state.tree;
      return { ...state, tree: applyPathDelta(tree, delta) };
    }
    default:
      return state;
  }
}

/** A chat's stream folded: what the decider decides from, and what history rebuilds. */
export const chatFold: Fold<ChatState, ChatEvent> = { initialState, evolve };
