# mypy: disallow-subclassing-any=False
"""demo/story: streams a short made-up story word by word (an iterator that concatenates)."""

import random
import time

from cog import BaseRunner, ConcatenateIterator, Input

_SUBJECTS = ["a lighthouse keeper", "a tired robot", "two foxes", "the last librarian", "a paper boat"]
_VERBS = ["found", "followed", "painted", "whispered to", "carried"]
_OBJECTS = ["a map of the sea", "the northern lights", "an old violin", "a jar of thunder", "the moon's echo"]


class Runner(BaseRunner):
    def run(
        self,
        prompt: str = Input(description="What the story is about", default="a quiet morning"),
        sentences: int = Input(description="How many sentences", default=3, ge=1, le=50),
        delay: float = Input(description="Seconds between words", default=0.02, ge=0, le=2),
        seed: int = Input(description="Random seed (same seed, same story)", default=0),
    ) -> ConcatenateIterator[str]:
        rng = random.Random(f"{prompt}:{seed}")
        words = f"Once upon a time, {prompt}.".split()
        for _ in range(sentences):
            sentence = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}."
            words.extend(sentence.capitalize().split())
        print(f"telling a story of {len(words)} words")
        for word in words:
            time.sleep(delay)
            yield word + " "
