"""`hearth chat` without --prompt, driven through a pseudo-terminal like a person would: replies
come turn after turn on the same KV cache, /reset starts over, Ctrl-D and /exit end it."""

import os
import pty
import re
import select
import subprocess
import time

from tests.cli.hearth_cli import REPO, hearth_command, hearth_env, run_hearth

TURN_NUMBERS = re.compile(r"\[(\d+) tokens, (\d+) new prompt tokens \((\d+) reused\)")


class Terminal:
    """A process on the slave side of a pty; expect() reads what it shows until a pattern appears."""

    def __init__(self, home, *args: str):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            hearth_command(*args),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=hearth_env(home, home.parent / "xdg-runtime"),
            cwd=REPO,
        )
        os.close(slave)
        self.shown = b""
        self.read_to = 0  # expect() searches after the previous match

    def expect(self, pattern, timeout: float = 90) -> re.Match:
        pattern = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.shown.decode("utf-8", "replace")
            found = pattern.search(text, self.read_to)
            if found:
                self.read_to = found.end()
                return found
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(left, 0))
            data = b""
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    pass
            if not data:
                raise AssertionError(f"{pattern.pattern!r} never appeared; the terminal shows:\n{text}")
            self.shown += data

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self, timeout: float = 30) -> int | None:
        """The exit status, or None when it had to be killed."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        finally:
            os.close(self.master)


def turn(terminal: Terminal, line: str) -> tuple[int, int]:
    """Sends a line; (prompt tokens prefilled anew, prompt tokens reused from the cache)."""
    terminal.send(line + "\n")
    numbers = terminal.expect(TURN_NUMBERS)
    assert int(numbers[1]) == 3, "--max-tokens 3 and a tiny model that does not stop early"
    terminal.expect(r"> ")
    return int(numbers[2]), int(numbers[3])


def test_turns_reuse_the_cache_reset_starts_over_and_ctrl_d_ends(tiny_home):
    terminal = Terminal(tiny_home, "chat", "--model", "tiny", "--max-tokens", "3", "--temperature", "0")
    try:
        terminal.expect(r"Chatting with tiny: /reset starts a new conversation, /exit or Ctrl-D ends\.")
        terminal.expect(r"> ")
        new, reused = turn(terminal, "Name three colors.")
        first_prompt = new + reused
        assert reused == 0 and first_prompt > 5
        new, reused = turn(terminal, "And two more.")
        # the second prompt holds the first turn and its reply, all of it cached: only the new
        # user turn (and the reply's last token, never fed back) is prefilled
        assert reused >= first_prompt and new + reused > first_prompt + len("And two more.") // 4
        terminal.send("/reset\n")
        terminal.expect(r"\(new conversation\)")
        new, reused = turn(terminal, "Name three colors.")
        assert new + reused == first_prompt, "after /reset the prompt is the first turn's again"
        terminal.send("\x04")  # Ctrl-D on an empty line
        assert terminal.close() == 0
    finally:
        if terminal.process.poll() is None:
            terminal.close(timeout=0)


def test_exit_command_ends_the_chat_from_a_pipe_too(tiny_home):
    done = run_hearth(
        tiny_home,
        "chat",
        "--model",
        "tiny",
        "--max-tokens",
        "3",
        "--temperature",
        "0",
        stdin="hello\n/exit\nnever sent\n",
    )
    assert done.returncode == 0, done.stderr
    assert len(TURN_NUMBERS.findall(done.stderr)) == 1, done.stderr
    assert done.stdout.startswith("> ") and done.stdout.count("> ") == 2  # one reply, then /exit
