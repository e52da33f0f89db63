"""Renders a model's chat template as transformers does (sandboxed Jinja, trim/lstrip blocks).

The webview host renders the same templates with @huggingface/jinja (engine/web/chat_template.js);
tests/web/test_text_parity.py checks that both give identical prompts.
"""

from datetime import datetime

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from desktop.errors import HearthError


class TemplateRenderError(HearthError):
    pass


def _raise_exception(message: str):
    raise TemplateError(message)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def render_chat(
    template: str,
    messages: list[dict],
    add_generation_prompt: bool = True,
    bos_token: str = "",
    eos_token: str = "",
) -> str:
    try:
        compiled = _environment().from_string(template)
        return compiled.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
        )
    except TemplateError as e:
        raise TemplateRenderError(f"The model's chat template refused these messages ({e}); "
                                  "check the roles and their order.") from e
