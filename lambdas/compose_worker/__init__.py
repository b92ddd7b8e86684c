"""The ``compose_worker`` Lambda: runs one composition through its model's SageMaker endpoint."""
