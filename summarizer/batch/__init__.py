"""Many articles at once: read inputs lazily, run them concurrently, write JSONL outcomes.

``inputs`` (what to read), ``scheduler`` (bounded concurrency), ``output`` (outcomes,
lines, ``--resume``).
"""

from summarizer.batch.inputs import BatchItem, expand_inputs
from summarizer.batch.output import BatchOutcome
from summarizer.batch.scheduler import BatchInput, bounded_map, run_batch

__all__ = ["BatchInput", "BatchItem", "BatchOutcome", "bounded_map", "expand_inputs", "run_batch"]
