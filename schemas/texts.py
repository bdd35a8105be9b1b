"""Per-run lookup tables of distinct texts: normalized forms and embeddings."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT16_VECTOR, STRING

TEXTS = Contract(
    name="texts",
    doc="`OUT/texts/`: each distinct utterance of the run, normalized once.",
    columns=(
        Column("utterance", STRING, False, "the utterance as said"),
        Column("text", STRING, False, "`miner.text.normalize(utterance)`: the key evidence pools under"),
        Column("lexical", STRING, False, "`text` as space-separated units (characters in unsegmented scripts)"),
    ),
)

EMBEDDINGS = Contract(
    name="embeddings",
    doc=(
        "`OUT/embeddings/`: each distinct normalized text of the run, embedded once (unit length). The "
        "persistent embedding cache (`embedding_cache`) holds the same columns under one folder per model."
    ),
    columns=(
        Column("text", STRING, False, "normalized text"),
        Column(
            "embedding", FLOAT16_VECTOR, False,
            "unit-length sentence embedding, little-endian float16 (`miner.embeddings.vectors_from_binary`)",
        ),
    ),
)
