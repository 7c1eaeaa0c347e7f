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
- the "after" answers only once the browser's "before" answers are in: a before-and-after count
  compares the same students;
- at most MAX_BROWSERS browsers per poll, so that made-up ids cannot fill the disk (the page's
  rate limit is per browser; see minidl.studio.rate_limit).

Every call opens its own connection (a few tens of microseconds) and runs on a worker thread of
the server, never on its event loop; SQLite's file lock and BUSY_SECONDS of waiting serialise the
writers, of this server or of another on the same file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
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
BUSY_SECONDS = 10.0
# Table 2 of Ribeiro et al. 2016: of 27 people, how many trusted the bad model and how many named
# snow as a possible feature, before and after seeing LIME's explanations.
PAPER = {"respondents": 27, "trusted": {"before": 10, "after": 3}, "named_snow": {"before": 12, "after": 25}}
SCHEMA = """CREATE TABLE IF NOT EXISTS answers (
    browser TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, answered_at REAL NOT NULL,
    PRIMARY KEY (browser, question))"""


def default_poll_file() -> Path:
    """studio/blackbox_poll.sqlite3 below minidl's output folder (minidl.output: MINIDL_OUTPUT, else
    the checkout's minidl-output/, where the lessons write too)."""
    return output_folder() / "studio" / "blackbox_poll.sqlite3"


class PollRefusal(ValueError):
    """An answer the poll does not take (already given, out of order, poll full): the app's 409."""


class Poll:
    """The answers in the SQLite file `path`, made (with its folder) at the first call."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextlib.contextmanager
    def transaction(self, writing: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection inside a transaction, committed when the block ends, rolled back if it raises:
        BEGIN IMMEDIATE to write (the write lock from the start, so what was read stays true until
        the commit), BEGIN to read (one snapshot for all the block's queries)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute(SCHEMA)
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
        """For each stage: how many browsers answered it, and the count of each choice of each question."""
        with self.transaction() as db:
            rows = db.execute("SELECT question, answer, COUNT(*) FROM answers GROUP BY question, answer").fetchall()
            respondents = {
                stage: db.execute(
                    f"SELECT COUNT(DISTINCT browser) FROM answers WHERE question IN ({', '.join('?' * len(CHOICES))})",
                    [question_id for question_id, (_, asked) in QUESTIONS.items() if asked == stage],
                ).fetchone()[0]
                for stage in STAGES
            }
        stages = {
            stage: {"respondents": respondents[stage], **{q: dict.fromkeys(CHOICES[q], 0) for q in CHOICES}}
            for stage in STAGES
        }
        for question_id, answer, count in rows:
            question, stage = QUESTIONS[question_id]
            stages[stage][question][answer] = count
        return stages

    def clear(self) -> tuple[int, int]:
        """Delete every answer; (answers, browsers) deleted."""
        with self.transaction(writing=True) as db:
            answers, browsers = db.execute("SELECT COUNT(*), COUNT(DISTINCT browser) FROM answers").fetchone()
            db.execute("DELETE FROM answers")
        return answers, browsers
