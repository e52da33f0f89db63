"""The webview host's tokenizer and chat-template rendering equal Python's on a multilingual corpus."""

import json
from pathlib import Path

from tokenizers import Tokenizer

from desktop.importers.default_model import DEFAULT_MODEL_ID
from engine.chat_template import render_chat

CORPUS = (Path(__file__).parents[1] / "corpus" / "multilingual.txt").read_text(encoding="utf-8")
CONVERSATIONS = [
    [{"role": "user", "content": "Name three colors."}],
    [{"role": "system", "content": "Answer in Spanish."}, {"role": "user", "content": "¿Qué tal? 你好 👋"}],
    [
        {"role": "user", "content": "def f(x):\n\treturn x"},
        {"role": "assistant", "content": "A function."},
        {"role": "user", "content": "  and now?  "},
    ],
]
# Template features beyond SmolLM2's own: whitespace control, filters, namespaces, raise_exception.
EXTRA_TEMPLATES = [
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}<<SYS>>{{ m['content'] | trim }}"
    "<</SYS>>{% else %}[{{ m['role'] | upper }}] {{ m['content'] }}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[ASSISTANT]{% endif %}",
    "{%- set ns = namespace(sys='') -%}\n{%- for m in messages -%}\n  {%- if m.role == 'system' -%}"
    "{%- set ns.sys = m.content -%}{%- continue -%}{%- endif -%}\n"
    "<start_of_turn>{{ 'model' if m.role == 'assistant' else m.role }}\n"
    "{{ (ns.sys + '\\n\\n' if loop.index0 == 0 and ns.sys else '') + m.content }}<end_of_turn>\n"
    "{%- endfor -%}\n{%- if add_generation_prompt %}<start_of_turn>model\n{% endif -%}",
]


def js_call(page, module: str, body: str, arg):
    return page.evaluate(f"async (arg) => {{ const m = await import('{module}'); {body} }}", arg)


def test_tokenizer_ids_match_python(page, default_store):
    folder = default_store.model_dir(DEFAULT_MODEL_ID)
    reference = Tokenizer.from_file(str(folder / "tokenizer.json"))
    lines = [line for line in CORPUS.splitlines() if line] + [CORPUS]
    got = js_call(
        page,
        "/engine/tokenizer.js",
        f"const t = await m.TextTokenizer.load('/models/{DEFAULT_MODEL_ID}/tokenizer.json');"
        "return arg.map((s) => ({ids: t.encode(s), text: t.decode(t.encode(s))}));",
        lines,
    )
    for line, result in zip(lines, got, strict=True):
        expected = reference.encode(line, add_special_tokens=False).ids
        assert result["ids"] == expected, f"ids differ for {line!r}"
        assert result["text"] == line, f"decode(encode(x)) != x for {line!r}"


def test_chat_template_renders_like_python(page, default_store):
    folder = default_store.model_dir(DEFAULT_MODEL_ID)
    templates = [(folder / "chat_template.jinja").read_text(encoding="utf-8"), *EXTRA_TEMPLATES]
    cases = [
        {"template": t, "messages": msgs, "gen": gen}
        for t in templates for msgs in CONVERSATIONS for gen in (True, False)
    ]
    got = js_call(
        page,
        "/engine/chat_template.js",
        "return arg.map((c) => m.renderChat(c.template, c.messages,"
        " {addGenerationPrompt: c.gen, bosToken: '<s>', eosToken: '</s>'}));",
        cases,
    )
    for case, rendered in zip(cases, got, strict=True):
        expected = render_chat(
            case["template"], case["messages"], case["gen"], bos_token="<s>", eos_token="</s>"
        )
        assert rendered == expected, f"rendering differs:\n{json.dumps(case)[:300]}"


def test_requests_without_the_secret_are_refused(local_server):
    import urllib.error
    import urllib.request

    for path in ("/ui/index.html", f"/models/{DEFAULT_MODEL_ID}/tokenizer.json"):
        try:
            urllib.request.urlopen(local_server.origin + path)
            raise AssertionError(f"{path} was served without the key")
        except urllib.error.HTTPError as e:
            assert e.code == 403
    request = urllib.request.Request(local_server.url("/ui/index.html"), headers={"Origin": "http://evil.example"})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("a foreign Origin was served")
    except urllib.error.HTTPError as e:
        assert e.code == 403
