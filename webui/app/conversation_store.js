// Conversations and their messages, persisted by the server in SQLite (docs/api.md). The UI saves
// the user's message before asking for an answer and the answer when the stream ends.
import { api } from "./api.js";

/**
 * @typedef {{id: number, title: string, system_prompt: string | null, model_id: string | null,
 *   settings: object, created: number, updated: number, message_count: number, snippet?: string}} Conversation
 */
/** @typedef {{id: number, role: "system" | "user" | "assistant", content: string, created: number, meta: any}} Message */

/** @param {string} [query] @returns {Promise<Conversation[]>} */
export async function listConversations(query = "") {
  const suffix = query.trim() ? `?q=${encodeURIComponent(query.trim())}` : "";
  return (await api.get(`/api/conversations${suffix}`)).conversations;
}

/** @param {{title?: string, system_prompt?: string, model_id?: string}} fields @returns {Promise<Conversation>} */
export function createConversation(fields) {
  return api.post("/api/conversations", fields);
}

/** @param {number} id @returns {Promise<Conversation & {messages: Message[]}>} */
export function getConversation(id) {
  return api.get(`/api/conversations/${id}`);
}

/** @param {number} id @param {Partial<Pick<Conversation, "title" | "system_prompt" | "model_id">>} fields @returns {Promise<Conversation>} */
export function updateConversation(id, fields) {
  return api.patch(`/api/conversations/${id}`, fields);
}

/** @param {number} id */
export function deleteConversation(id) {
  return api.delete(`/api/conversations/${id}`);
}

/** @param {number} id @param {{role: string, content: string, meta?: object}} message @returns {Promise<Message>} */
export function addMessage(id, message) {
  return api.post(`/api/conversations/${id}/messages`, message);
}

/** @param {number} id @param {number} messageId @param {{content?: string, meta?: object}} fields @returns {Promise<Message>} */
export function updateMessage(id, messageId, fields) {
  return api.patch(`/api/conversations/${id}/messages/${messageId}`, fields);
}

/** Deletes a message and every later one (regenerate, edit-and-resend). @param {number} id @param {number} messageId */
export function deleteMessagesFrom(id, messageId) {
  return api.delete(`/api/conversations/${id}/messages/${messageId}`);
}

/** The conversation as Markdown, as the server exports it. @param {number} id @returns {Promise<string>} */
export function exportMarkdown(id) {
  return api.get(`/api/conversations/${id}/export`);
}
