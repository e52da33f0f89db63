// Renders a model's chat template with @huggingface/jinja, matching engine/chat_template.py.
// @huggingface/jinja provides raise_exception itself.
import { Template } from "/vendor/@huggingface/jinja/dist/index.js";

/**
 * @param {string} template
 * @param {{role: string, content: string}[]} messages
 * @param {{addGenerationPrompt?: boolean, bosToken?: string, eosToken?: string}} [options]
 * @returns {string}
 */
export function renderChat(template, messages, options = {}) {
  const compiled = new Template(template);
  return compiled.render({
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? true,
    bos_token: options.bosToken ?? "",
    eos_token: options.eosToken ?? "",
  });
}
