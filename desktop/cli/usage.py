"""Bad usage of `hearth` anywhere: one sentence on stderr and exit status 2, not argparse's usage block.

`HearthParser` is the root parser's class; argparse builds every subcommand's parser with the class of
its parent, so `hearth models list --bogus` and `hearth --bogus` answer alike, each pointing at the
`--help` of the command that was meant.
"""

import argparse
import re

INVALID_CHOICE = re.compile(r"^argument (\w*command): invalid choice: '([^']*)'")
REQUIRED = "the following arguments are required: "


def usage_sentence(message: str) -> str:
    """argparse's message as the start of a sentence, naming commands as a user types them."""
    if match := INVALID_CHOICE.match(message):
        return f"Unknown command '{match[2]}'"
    if message.startswith(REQUIRED):
        names = [n.strip() for n in message[len(REQUIRED) :].split(",")]
        # subcommand groups are stored as e.g. models_command: the user left out the command word
        names = ["a command" if n.endswith("command") else n for n in names]
        message = f"missing {', '.join(names)}"
    message = " ".join(message.split())
    return message[:1].upper() + message[1:]


class HearthParser(argparse.ArgumentParser):
    def error(self, message: str):
        self.exit(2, f"{usage_sentence(message)}; see `{self.prog} --help`.\n")

    def parse_known_args(self, args=None, namespace=None):
        parsed, extras = super().parse_known_args(args, namespace)
        if not hasattr(parsed, "_usage_prog"):  # the innermost command parsed first: its help is the one to read
            parsed._usage_prog = self.prog
        return parsed, extras

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            what = "option" if extras[0].startswith("-") else "argument"
            self.exit(2, f"Unknown {what} {extras[0]}; see `{parsed._usage_prog} --help`.\n")
        return parsed
