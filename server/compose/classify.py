"""A genre for a picture, as IMMU does: the scene's description (a caption) against each genre's
description, by an offline text embedding (WordLlama's packaged ``l2_supercat`` model, the loader of the
sounds library). Without WordLlama, character 3-5-gram cosine similarity is used. The choice, its score
and every genre's score are returned so the report can show them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .genres import GENRES

log = logging.getLogger(__name__)


@dataclass
class GenreChoice:
    genre: str
    score: float  # cosine similarity of the text and the genre's description
    method: str  # "wordllama" | "char-ngrams" | "--genre"
    text: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # every genre, best first

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def classify_genre(text: str) -> GenreChoice:
    """The genre whose description is nearest ``text`` (a scene description and its mood words)."""
    from ..sounds.library import char_ngrams, text_embedder

    names = list(GENRES)
    descs = [GENRES[n].description for n in names]
    emb = text_embedder()
    if emb is not None and text.strip():
        # a description is embedded phrase by phrase (its comma-separated items) and scored by the mean of
        # the text's best matches, so a long genre description does not blur into its average
        t = _unit(emb.embed([text]))[0]
        sims = []
        for d in descs:
            phrases = [p.strip() for p in d.split(",") if p.strip()]
            ph = _unit(emb.embed(phrases))
            s = np.sort(ph @ t)[::-1]
            sims.append(float(0.5 * s[0] + 0.5 * s[: min(3, s.size)].mean()))
        method = "wordllama"
    else:
        def vec(s: str) -> dict[str, int]:
            return char_ngrams(s)

        tv = vec(text)
        tn = np.sqrt(sum(c * c for c in tv.values())) or 1.0
        sims = []
        for d in descs:
            dv = vec(d)
            dn = np.sqrt(sum(c * c for c in dv.values())) or 1.0
            sims.append(float(sum(c * dv.get(g, 0) for g, c in tv.items()) / (tn * dn)))
        method = "char-ngrams"
    order = np.argsort(sims)[::-1]
    best = names[int(order[0])]
    scores = {names[i]: round(sims[i], 4) for i in order}
    log.info("genre %s (%.3f by %s) for %r", best, scores[best], method, text)
    return GenreChoice(best, scores[best], method, text, scores)
