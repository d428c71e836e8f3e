"""Guess first: what a student expects of a run before pressing Start (its final test accuracy, and
whether the test accuracy will fall behind the training accuracy), kept with the run, and that guess
set beside what happened once the run has ended."""
from __future__ import annotations

from dataclasses import dataclass

from cnnlib.words import Message

GAPS = ("yes", "no", "unsure")   # will the test accuracy fall behind the training accuracy?
# Percentage points by which the final test accuracy must trail the training accuracy to count as
# behind: the two are measured differently (training accuracy over an epoch of augmented batches), so
# a hair's difference says nothing.
BEHIND_BY = 2.0


@dataclass(frozen=True)
class Guess:
    """A student's guess, both parts optional."""
    accuracy: float | None = None    # expected final test accuracy, percent (0..100)
    gap: str | None = None           # one of GAPS: will test accuracy fall behind training accuracy?

    def __post_init__(self):
        if self.accuracy is not None and not 0 <= self.accuracy <= 100:
            raise ValueError(Message("guess.bad_accuracy", value=self.accuracy))
        if self.gap is not None and self.gap not in GAPS:
            raise ValueError(Message("guess.bad_gap", value=self.gap))

    @property
    def empty(self) -> bool:
        return self.accuracy is None and self.gap is None

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "gap": self.gap}


def compare(guess: dict | Guess | None, epochs: list) -> list[dict[str, Message | str]]:
    """The guess beside what happened, one row per part guessed: {"what", "guess", "happened"} (Messages;
    the guess column's own key is "guessed"). `epochs` are a run's epoch results (EpochEnd, or run.json's
    dicts); a run with none has nothing to compare yet. An empty or absent guess gives no rows."""
    if isinstance(guess, Guess):
        guess = guess.to_dict()
    if not guess or not epochs:
        return []
    last = epochs[-1]
    train, test = (100 * (last[k] if isinstance(last, dict) else getattr(last, k)) for k in ("train_acc", "test_acc"))
    rows = []
    if guess.get("accuracy") is not None:
        rows.append({"what": Message("guess.final"), "guessed": Message("percent", value=guess["accuracy"]),
                     "happened": Message("guess.final_was", value=test, off=test - guess["accuracy"])})
    if guess.get("gap") is not None:
        behind = train - test >= BEHIND_BY
        rows.append({"what": Message("guess.behind"), "guessed": Message(f"guess.{guess['gap']}"),
                     "happened": Message("guess.behind_yes" if behind else "guess.behind_no", test=test, train=train)})
    return rows
