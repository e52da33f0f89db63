// The webview host's tokenizer: a Hugging Face tokenizer.json run by @huggingface/tokenizers
// (pure JS, 0.6 MB). Python's `tokenizers` is the reference; tests/web checks parity.
import { Tokenizer } from "/vendor/@huggingface/tokenizers/dist/tokenizers.min.mjs";

export class TextTokenizer {
  /** @param {object} tokenizerJson  @param {object} [tokenizerConfig] */
  constructor(tokenizerJson, tokenizerConfig = {}) {
    this.inner = new Tokenizer(tokenizerJson, tokenizerConfig);
  }

  /** @param {string} url  @returns {Promise<TextTokenizer>} */
  static async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`Could not load the tokenizer (${response.status}); re-import the model.`);
    return new TextTokenizer(await response.json());
  }

  /** @param {string} text  @param {boolean} [addSpecialTokens] @returns {number[]} */
  encode(text, addSpecialTokens = false) {
    return Array.from(this.inner.encode(text, { add_special_tokens: addSpecialTokens }).ids);
  }

  /** @param {number[]} ids  @returns {string} */
  decode(ids) {
    return this.inner.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}
