"""`hearth chat` without --prompt: a terminal chat. Replies stream as they come; the session keeps
the conversation's KV cache, so each turn prefills only its new tokens. /reset starts over,
/exit or Ctrl-D ends, Ctrl-C stops a reply. Notes and per-turn numbers go to stderr."""

import re
import sys

from desktop.cli.chat_cmd import sampling_of, write_text
from desktop.errors import HearthError
from desktop.server.chat_engine import fit_messages
from engine.runner import GPUFailure

COMMANDS = "/reset starts a new conversation, /exit or Ctrl-D ends"


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def interactive_chat(args, session, system: list[dict]) -> int:
    messages = list(system)
    note(f"Chatting with {session.model_id}: {COMMANDS}.")
    while True:
        try:
            line = input("> ")
        except EOFError:
            note("")
            return 0
        text = line.strip()
        if not text:
            continue
        if re.fullmatch(r"/[a-z]+", text):
            if text == "/exit":
                return 0
            if text == "/reset":
                messages = list(system)
                note("(new conversation)")
            else:
                note(f"Unknown command {text}: {COMMANDS}.")
            continue
        messages.append({"role": "user", "content": line})
        reply = answer(args, session, messages)
        if reply is None:
            messages.pop()  # the turn failed: the user sends it again
        else:
            messages.append({"role": "assistant", "content": reply})


def answer(args, session, messages: list[dict]) -> str | None:
    """Streams one reply to stdout; its text, or None when it failed (the error is on stderr)."""
    kept, dropped = fit_messages(
        messages, lambda m: len(session.chat_tokens(m)), session.plan["context"], args.max_tokens
    )
    if dropped:
        messages[:] = kept
        note(f"(the oldest {dropped} messages no longer fit the context and are left out)")
    shown = []

    def show(piece: str) -> None:
        shown.append(piece)
        write_text(piece)

    try:
        result = session.generate(session.chat_tokens(kept), sampling_of(args), args.max_tokens, on_text=show)
    except KeyboardInterrupt:
        print()
        note("(stopped)")
        return "".join(shown)
    except GPUFailure as e:
        print()
        note(str(e))
        note("Reloading the model...")
        session.reload()  # an EngineError here ends the chat: the GPU is gone for good
        note("Reloaded; send your message again.")
        return None
    except HearthError as e:
        if shown:
            print()
        note(str(e))
        return None
    print()
    note(
        f"[{result.completion_tokens} tokens, {result.prompt_tokens - result.cached_tokens} new prompt tokens "
        f"({result.cached_tokens} reused), {result.timings['decode_tokens_per_second']:.1f} tok/s, "
        f"{result.finish_reason}]"
    )
    return result.text
