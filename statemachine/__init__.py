"""The training workflow's ASL and the one loader every caller (CDK, local runtime, tests) uses."""

from statemachine.definition import TRAINING_ASL, load_definition, placeholders

__all__ = ["TRAINING_ASL", "load_definition", "placeholders"]
