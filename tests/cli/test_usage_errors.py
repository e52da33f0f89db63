"""Bad usage anywhere in `hearth`: one sentence on stderr naming the mistake and the command whose
--help to read, exit status 2, nothing on stdout, and the store untouched; --help still prints help."""

import pytest

from desktop.cli.main import main
from tests.cli.hearth_cli import one_sentence, run_hearth


def _refused(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == ""
    return one_sentence(err)


@pytest.mark.parametrize(
    "argv, names, help_of",
    [
        (["--bogus"], "Unknown option --bogus", "hearth"),
        (["models", "list", "--bogus"], "Unknown option --bogus", "hearth models list"),
        (["chat", "--prompt", "hi", "--bogus"], "Unknown option --bogus", "hearth chat"),
        (["docs", "list", "extra"], "Unknown argument extra", "hearth docs list"),
        (["bogus"], "Unknown command 'bogus'", "hearth"),
        (["models"], "Missing a command", "hearth models"),
        (["models", "import"], "Missing path", "hearth models import"),
        (["docs", "rm", "abc"], "'abc'", "hearth docs rm"),
        (["ask", "notes.pdf", "--question"], "--question", "hearth ask"),
    ],
)
def test_bad_usage_is_one_sentence_pointing_at_the_right_help(capsys, tmp_path, monkeypatch, argv, names, help_of):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    sentence = _refused(capsys, argv)
    assert names in sentence and sentence.endswith(f"see `{help_of} --help`.")
    assert "usage:" not in sentence
    assert not (tmp_path / "home").exists(), "bad usage is refused before touching the store"


def test_help_still_prints_the_usage_block(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["models", "--help"])
    out, _ = capsys.readouterr()
    assert exited.value.code == 0 and out.startswith("usage: hearth models") and "pull" in out


def test_the_real_command_refuses_an_unknown_flag_in_one_line(tmp_path):
    done = run_hearth(tmp_path / "home", "--bogus")
    assert done.returncode == 2 and done.stdout == ""
    assert one_sentence(done.stderr) == "Unknown option --bogus; see `hearth --help`."
