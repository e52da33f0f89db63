// When a conversation outgrows the context, its oldest turns leave the prompt: the system prompt
// and the newest user message always stay, whole turns leave together, and the caller tells the
// user how many left.

/** @typedef {{role: string, content: string}} PromptMessage */

/** Rough token count for engines that cannot count exactly: ~3 characters a token, on the safe side. @param {PromptMessage[]} messages */
export function estimateTokens(messages) {
  return messages.reduce((sum, m) => sum + Math.ceil(m.content.length / 3) + 8, 0);
}

/**
 * The longest tail of `history` that fits `budget` tokens after `system`.
 * @param {PromptMessage[]} history user/assistant turns, oldest first, ending with the new user message
 * @param {PromptMessage | null} system
 * @param {number} budget tokens the prompt may use (context size minus room for the answer)
 * @param {(messages: PromptMessage[]) => number} countTokens
 * @returns {{messages: PromptMessage[], dropped: number, fits: boolean}}
 */
export function fitToContext(history, system, budget, countTokens) {
  const head = system && system.content.trim() ? [system] : [];
  let start = 0;
  const prompt = () => [...head, ...history.slice(start)];
  while (start < history.length - 1 && countTokens(prompt()) > budget) {
    start++;
    while (start < history.length - 1 && history[start].role !== "user") start++;
  }
  return { messages: prompt(), dropped: start, fits: countTokens(prompt()) <= budget };
}
