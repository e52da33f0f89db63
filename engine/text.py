"""Streamed detokenisation that never splits a UTF-8 character and holds back possible stop strings."""

class StreamDecoder:
    """Feed token ids, get text pieces: whole characters only, stop strings cut off."""

    def __init__(self, tokenizer, stop: list[str] | None = None):
        self.tokenizer = tokenizer
        self.stop = [s for s in (stop or []) if s]
        self.ids: list[int] = []
        self.emitted = 0  # characters of the decoded text already given out
        self.text = ""
        self.stopped = False

    def _held_back(self, text: str) -> int:
        """Characters at the end of `text` that could start a stop string."""
        longest = 0
        for stop in self.stop:
            for n in range(min(len(stop) - 1, len(text)), 0, -1):
                if text.endswith(stop[:n]):
                    longest = max(longest, n)
                    break
        return longest

    def _cut_stop(self, text: str) -> str:
        """`text` up to the first stop string in it (setting `stopped`), else all of it."""
        for stop in self.stop:
            at = text.find(stop, max(0, self.emitted - len(stop)))
            if at != -1:
                self.stopped = True
                text = text[:at]
        return text

    def add(self, token: int) -> str:
        self.ids.append(token)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence: wait for the next token
            return ""
        text = self._cut_stop(text)
        self.text = text
        end = len(text) if self.stopped else len(text) - self._held_back(text)
        piece = text[self.emitted : end] if end > self.emitted else ""
        self.emitted = max(self.emitted, end)
        return piece

    def flush(self) -> str:
        """What is left when generation ends without a stop string."""
        if self.stopped:
            return ""
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True).rstrip("\ufffd")
        # the last add() may have waited on an unfinished character before looking for stop strings
        text = self._cut_stop(text)
        self.text = text
        piece = text[self.emitted :]
        self.emitted = len(text)
        return piece
