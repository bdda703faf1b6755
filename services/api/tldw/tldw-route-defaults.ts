/** What every tldw_server-compatible route shares: FastAPI's error bodies, its tag, and its error responses. */
import { fastApiErrorSchema } from './tldw-schemas.ts';

export const TLDW = { errorStyle: 'fastapi' as const, tags: ['tldw_server'], auth: 'user' as const };

export const tldwErrors = {
  400: { description: 'invalid (`detail`)', schema: fastApiErrorSchema },
  403: { description: "another user's chat, or over a limit (`detail`)", schema: fastApiErrorSchema },
  404: { description: 'missing (`detail`)', schema: fastApiErrorSchema },
  422: { description: "FastAPI's validation error list (`detail`)", schema: fastApiErrorSchema },
};

export const tldwConflict = { 409: { description: 'version mismatch or a taken id (`detail`)', schema: fastApiErrorSchema } };

export const chatSessionLocation = (id: string) => `/api/v1/chats/${id}`;
export const tldwMessageLocation = (id: string) => `/api/v1/messages/${id}`;
