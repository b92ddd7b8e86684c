"""SageMaker training entry: ``python -m model.train`` (or ``python model/train.py``).

It follows SageMaker's training contract (``model/sagemaker.py``) so the same file runs in a
PyTorch framework container, under the local SageMaker, and by hand. The hyperparameter
``modelType`` (``gan`` when absent; see ``model/techniques.py``) picks the technique whose
``training.run`` does the work:

- hyperparameters from ``SM_HPS`` (a JSON object whose values may be strings), else
  ``/opt/ml/input/config/hyperparameters.json``, validated by the technique, plus ``dataset_tags``
  (JSON list or comma-separated);
- data from ``SM_CHANNEL_TRAINING/dataset.npz`` when that channel is given, else built from the
  music21 corpus for the tags;
- every epoch: one metric line ``epoch=3/10 generator_loss=.. similarity=..`` (for
  ``MetricDefinitions`` regexes), ``$SM_CHECKPOINT_DIR/progress.json`` and a checkpoint that a
  restarted job resumes from;
- on success the weights + ``model.json`` in ``SM_MODEL_DIR`` and the final evaluation in
  ``SM_OUTPUT_DATA_DIR/metrics.json``; on failure the reason in ``$SM_OUTPUT_DIR/failure`` and a
  non-zero exit code.

Example (a tiny run)::

    SM_HPS='{"epochs": 2, "max_windows": 256}' SM_MODEL_DIR=/tmp/m SM_OUTPUT_DIR=/tmp/o \\
    SM_CHECKPOINT_DIR=/tmp/c python -m model.train
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.data import DatasetError  # noqa: E402
from model.sagemaker import Environment, TrainingInputError, pop_model_type, raw_hyperparameters, write_failure  # noqa: E402
from model.techniques import UnknownModelType, module  # noqa: E402


def main() -> int:
    env = Environment.from_env()
    try:
        hyperparameters = raw_hyperparameters()
        training = module(pop_model_type(hyperparameters), "training")
        training.run(hyperparameters, env, lambda line: print(line, flush=True))
    except (TrainingInputError, DatasetError, UnknownModelType) as exc:
        return write_failure(env, str(exc))
    except Exception as exc:  # anything else still leaves SageMaker a reason to show the user
        traceback.print_exc()
        return write_failure(env, f"Training failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
