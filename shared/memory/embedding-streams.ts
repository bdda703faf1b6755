/** A chat's message vectors (long-term memory's embedding index), one stream per chat. */
export const chatEmbeddingsStream = (chatId: string) => `chatembeddings-${chatId}`;
