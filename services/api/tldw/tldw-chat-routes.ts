/**
 * The tldw_server-compatible surface for chats and messages (its paths and shapes, FastAPI's errors), mounted
 * beside the native API through the same route table: auth, rate limits, caps and ownership apply alike.
 */
import type { ApiDependencies } from '../api-dependencies.ts';
import type { RouteDefinition } from '../http/route.ts';
import { tldwChatCompletionRoutes } from './tldw-chat-completion-routes.ts';
import { tldwChatImportRoute } from './tldw-chat-import-route.ts';
import { tldwChatSessionRoutes } from './tldw-chat-session-routes.ts';
import { tldwChatSettingsRoutes } from './tldw-chat-settings-routes.ts';
import { tldwMessageRoutes } from './tldw-message-routes.ts';
import { tldwPersistRoute } from './tldw-persist-route.ts';

export function tldwChatRoutes(deps: ApiDependencies): RouteDefinition[] {
  return [
    tldwChatImportRoute(deps),
    ...tldwChatSettingsRoutes(deps),
    tldwPersistRoute(deps),
    ...tldwChatCompletionRoutes(deps),
    ...tldwChatSessionRoutes(deps),
    ...tldwMessageRoutes(deps),
  ];
}
