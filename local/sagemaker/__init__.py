"""A local SageMaker for what this project uses: training jobs run ``model/`` as a subprocess under
the SM_* contract, endpoints load the same inference handlers in-process. Served by
``local.aws_gateway``."""

from local.sagemaker.errors import SageMakerError
from local.sagemaker.service import LocalSageMaker

__all__ = ["LocalSageMaker", "SageMakerError"]
