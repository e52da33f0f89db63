"""A conversation as Markdown: a title, the model and system prompt, then each turn under a heading."""

import re
from datetime import datetime

ROLE_HEADINGS = {"user": "You", "assistant": "Assistant", "system": "System"}


def export_filename(title: str) -> str:
    """A file name safe on every OS, from the title."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip(" .") or "conversation"
    return f"{name[:80]}.md"


def to_markdown(conversation: dict) -> str:
    created = datetime.fromtimestamp(conversation["created"]).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {conversation['title']}", ""]
    details = [f"Started {created}"]
    if conversation.get("model_id"):
        details.append(f"model `{conversation['model_id']}`")
    lines += ["_" + " · ".join(details) + "_", ""]
    if conversation.get("system_prompt"):
        quoted = "\n".join("> " + line for line in conversation["system_prompt"].splitlines())
        lines += ["**System prompt**", "", quoted, ""]
    for message in conversation["messages"]:
        lines += [f"## {ROLE_HEADINGS[message['role']]}", "", message["content"].rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"
