"""The Black Box page's poll: the class's answers to two questions, asked before and after the
explanations, kept in SQLite (the standard library's sqlite3) so that a restart of the studio
loses nothing.

One row per browser and question, the pair the table's primary key:

    answers(browser TEXT, question TEXT, answer TEXT, answered_at REAL, PRIMARY KEY (browser, question))

A browser is the random id its page keeps in localStorage. Rules, each checked inside the write's
own transaction (BEGIN IMMEDIATE: one writer at a time, so two requests cannot both pass a check):

- one answer per browser per question: a second one is refused, not taken in place of the first.
  An answer given before the explanations must stay what the student thought before seeing them,
  and the page asks each question once;
- the "after" answers only once the browser's "before" answers are in;
- at most MAX_BROWSERS browsers per poll, so that made-up ids cannot fill the disk (the app also
  limits the new ids one address may bring; see minidl.studio.app).

The paper's before and after counts are of the same 27 people. Here students finish at their own
pace, so counts() gives the before-and-after comparison over the browsers that have answered every
question (`finished`), the answers of everyone per stage beside it, and how many have not finished.
Rows the poll does not know (another version's question, a hand-edited answer) are not counted.

The file is opened and checked once, when the Poll is made (its folder and table made if missing):
a file that is not an SQLite database, a folder, or a table of another shape is refused then, with
PollFileError naming the file, rather than at the first student's answer. Every call then opens its
own connection (a few tens of microseconds) and runs on a worker thread of the server, never on its
event loop; SQLite's file lock and BUSY_SECONDS of waiting serialise the writers, of this server or
of another on the same file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from minidl.output import output_folder
from minidl.studio.checks import as_written

STAGES = ("before", "after")
CHOICES = {
    "trust": {"yes": "Yes", "no": "No"},
    "feature": {
        "shape": "the animal's shape (circle or triangle)",
        "background": "the background (snow or grass)",
        "size": "the animal's size",
        "position": "where the animal stands in the picture",
        "unsure": "I cannot tell",
    },
}
PROMPTS = {"trust": "Would you trust this model?", "feature": "Which feature do you think it uses?"}
QUESTIONS = {f"{question}_{stage}": (question, stage) for stage in STAGES for question in CHOICES}
MAX_BROWSERS = 500
# A computer brings one browser to the poll, two or three if a student tries another browser; a
# script that makes up ids would fill MAX_BROWSERS. A class behind one address (a NAT) would meet
# this limit: the studio is meant for a local network, where each device has its own; the teacher
# can raise it (python -m minidl.studio --new-browsers-per-address N).
NEW_BROWSERS_PER_ADDRESS, NEW_BROWSER_WINDOW_SECONDS = 10, 600.0
BUSY_SECONDS = 10.0
# Table 2 of Ribeiro et al. 2016: of 27 people, how many trusted the bad model and how many named
# snow as a possible feature, before and after seeing LIME's explanations.
PAPER = {"respondents": 27, "trusted": {"before": 10, "after": 3}, "named_snow": {"before": 12, "after": 25}}
COLUMNS = ("browser", "question", "answer", "answered_at")
SCHEMA = """CREATE TABLE IF NOT EXISTS answers (
    browser TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, answered_at REAL NOT NULL,
    PRIMARY KEY (browser, question))"""
# The (question, answer) pairs the poll asks for, as a table to join: rows outside it are not counted.
KNOWN = [(question_id, choice) for question_id, (question, _) in QUESTIONS.items() for choice in CHOICES[question]]


def default_poll_file() -> Path:
    """studio/blackbox_poll.sqlite3 below minidl's output folder (minidl.output: MINIDL_OUTPUT, else
    the checkout's minidl-output/, where the lessons write too)."""
    return output_folder() / "studio" / "blackbox_poll.sqlite3"


def is_busy(error: Exception) -> bool:
    """Whether error is SQLite's SQLITE_BUSY or SQLITE_LOCKED (5, 6: another connection held the file
    past BUSY_SECONDS), which passes; Python 3.10 gives only the message, "database is locked"."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    return "is locked" in str(error) if code is None else code & 0xFF in (5, 6)


class PollRefusal(ValueError):
    """An answer the poll does not take (already given, out of order, poll full): the app's 409."""


class PollFileError(ValueError):
    """A poll file that cannot be used (not SQLite, a folder, a table of another shape): the message
    names the file and what is wrong with it."""


class Poll:
    """The answers in the SQLite file `path`, made (with its folder) if missing and checked here:
    PollFileError if it cannot be used."""

    def __init__(self, path: Path):
        self.path = Path(path)
        blocking = next((folder for folder in self.path.parents if folder.exists() and not folder.is_dir()), None)
        if blocking or self.path.is_dir():
            what = f"{blocking} is a file, not a folder" if blocking else "it is a folder"
            raise PollFileError(f"the poll's file {self.path} cannot be used: {what}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self.connect()
            try:
                connection.execute(SCHEMA)
                columns = tuple(row[1] for row in connection.execute("PRAGMA table_info(answers)"))
            finally:
                connection.close()
        except (sqlite3.Error, OSError) as error:
            raise PollFileError(f"the poll's file {self.path} cannot be used: {error}") from None
        if columns != COLUMNS:
            raise PollFileError(
                f"the poll's file {self.path} has a table answers with columns ({', '.join(columns)}), not the "
                f"poll's ({', '.join(COLUMNS)}): is it another program's file?"
            )

    def connect(self) -> sqlite3.Connection:
        """A connection that waits up to BUSY_SECONDS for another writer and leaves transactions to
        the caller (isolation_level None: BEGIN and COMMIT are written out)."""
        return sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)

    @contextlib.contextmanager
    def transaction(self, writing: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection inside a transaction, committed when the block ends, rolled back if it raises:
        BEGIN IMMEDIATE to write (the write lock from the start, so what was read stays true until
        the commit), BEGIN to read (one snapshot for all the block's queries)."""
        connection = self.connect()
        try:
            connection.execute("BEGIN IMMEDIATE" if writing else "BEGIN")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def record(self, browser: str, answers: dict[str, str]) -> dict[str, str]:
        """Store answers {question: choice} (checked by the caller) of browser, all or none; return
        everything the browser has answered. PollRefusal says why none were stored."""
        with self.transaction(writing=True) as db:
            given = dict(db.execute("SELECT question, answer FROM answers WHERE browser = ?", (browser,)))
            refusal = self.refusal(db, given, answers)
            if refusal:
                raise PollRefusal(refusal)
            now = time.time()
            db.executemany(
                "INSERT INTO answers VALUES (?, ?, ?, ?)",
                [(browser, question, answer, now) for question, answer in answers.items()],
            )
        return given | answers

    @staticmethod
    def refusal(db: sqlite3.Connection, given: dict[str, str], answers: dict[str, str]) -> str | None:
        """Why the answers of a browser that has already `given` some are not taken, or None."""
        again = sorted(set(answers) & set(given))
        if again:
            said = ", ".join(f"{question}: {as_written(given[question])}" for question in again)
            return f"this browser has already answered ({said}); one answer per browser per question"
        missing = [f"{question}_before" for question in CHOICES if f"{question}_before" not in given | answers]
        if missing and any(QUESTIONS[question][1] == "after" for question in answers):
            return f"answer {' and '.join(missing)} first: the after answers are compared with the before ones"
        if not given:
            browsers = db.execute("SELECT COUNT(DISTINCT browser) FROM answers").fetchone()[0]
            if browsers >= MAX_BROWSERS:
                return (
                    f"the poll is full: {browsers} browsers have answered (the teacher can clear it with --reset-poll)"
                )
        return None

    def answers_of(self, browser: str) -> dict[str, str]:
        with self.transaction() as db:
            return dict(db.execute("SELECT question, answer FROM answers WHERE browser = ?", (browser,)))

    def counts(self) -> dict[str, Any]:
        """The known answers counted two ways. `stages`: for each stage, how many browsers answered it
        and the count of each choice of each question, over everyone. `finished`: the same counts
        over the browsers that have answered every question — the same students before and after, as
        in the paper — and how many they are (`browsers`); `unfinished`: how many have answered some
        questions but not all yet. At most MAX_BROWSERS × 4 rows: counted here rather than in SQL."""
        with self.transaction() as db:
            rows = db.execute(
                f"""WITH known(question, answer) AS (VALUES {", ".join(["(?, ?)"] * len(KNOWN))})
                SELECT browser, question, answer FROM answers JOIN known USING (question, answer)""",
                [value for pair in KNOWN for value in pair],
            ).fetchall()
        answered: dict[str, dict[str, str]] = {}
        for browser, question_id, answer in rows:
            answered.setdefault(browser, {})[question_id] = answer
        finished = [answers for answers in answered.values() if len(answers) == len(QUESTIONS)]
        return {
            "stages": {stage: tally(answered.values(), stage, with_respondents=True) for stage in STAGES},
            "finished": {"browsers": len(finished), **{stage: tally(finished, stage) for stage in STAGES}},
            "unfinished": len(answered) - len(finished),
        }

    def clear(self) -> tuple[int, int]:
        """Delete every answer; (answers, browsers) deleted."""
        with self.transaction(writing=True) as db:
            answers, browsers = db.execute("SELECT COUNT(*), COUNT(DISTINCT browser) FROM answers").fetchone()
            db.execute("DELETE FROM answers")
        return answers, browsers


def tally(answered: Iterable[dict[str, str]], stage: str, with_respondents: bool = False) -> dict[str, Any]:
    """{question: {choice: count}} of `stage` over the browsers' answers {question id: choice} (known
    ones only); with_respondents: also how many of them answered a question of that stage."""
    counts: dict[str, Any] = {question: dict.fromkeys(CHOICES[question], 0) for question in CHOICES}
    respondents = 0
    for answers in answered:
        asked = [question for question in CHOICES if f"{question}_{stage}" in answers]
        respondents += bool(asked)
        for question in asked:
            counts[question][answers[f"{question}_{stage}"]] += 1
    return {"respondents": respondents, **counts} if with_respondents else counts
