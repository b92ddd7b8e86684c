"""The SageMaker PyTorch framework images (AWS Deep Learning Containers), per region.

The images live in a registry account that differs in a few opt-in regions; the stack is
region-agnostic, so the account is a CloudFormation mapping looked up by ``AWS::Region`` at deploy
time. A region missing here, or another image, is one context value away:
``-c trainingImage=<uri> -c inferenceImage=<uri>``.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnMapping
from constructs import Construct

DEFAULT_DLC_ACCOUNT = "763104351884"
# Regions whose Deep Learning Containers live in their own registry account.
DLC_ACCOUNTS: dict[str, str] = {
    "us-east-1": DEFAULT_DLC_ACCOUNT,
    "us-east-2": DEFAULT_DLC_ACCOUNT,
    "us-west-1": DEFAULT_DLC_ACCOUNT,
    "us-west-2": DEFAULT_DLC_ACCOUNT,
    "ca-central-1": DEFAULT_DLC_ACCOUNT,
    "eu-west-1": DEFAULT_DLC_ACCOUNT,
    "eu-west-2": DEFAULT_DLC_ACCOUNT,
    "eu-west-3": DEFAULT_DLC_ACCOUNT,
    "eu-central-1": DEFAULT_DLC_ACCOUNT,
    "eu-north-1": DEFAULT_DLC_ACCOUNT,
    "ap-northeast-1": DEFAULT_DLC_ACCOUNT,
    "ap-northeast-2": DEFAULT_DLC_ACCOUNT,
    "ap-southeast-1": DEFAULT_DLC_ACCOUNT,
    "ap-southeast-2": DEFAULT_DLC_ACCOUNT,
    "ap-south-1": DEFAULT_DLC_ACCOUNT,
    "sa-east-1": DEFAULT_DLC_ACCOUNT,
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
}

TRAINING_REPOSITORY = "pytorch-training"
INFERENCE_REPOSITORY = "pytorch-inference"
# CPU images: serverless inference has no GPUs, and the default training instance is a CPU one.
DEFAULT_TRAINING_TAG = "2.6.0-cpu-py312-ubuntu22.04-sagemaker"
DEFAULT_INFERENCE_TAG = "2.6.0-cpu-py312-ubuntu22.04-sagemaker"


class FrameworkImages(Construct):
    """Image URIs for training and hosting; each overridable whole by a context value."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        training_image: str | None = None,
        inference_image: str | None = None,
        training_tag: str = DEFAULT_TRAINING_TAG,
        inference_tag: str = DEFAULT_INFERENCE_TAG,
    ) -> None:
        super().__init__(scope, construct_id)
        self.mapping = CfnMapping(
            self,
            "DlcAccounts",
            mapping={region: {"account": account} for region, account in DLC_ACCOUNTS.items()},
        )
        self.registry_account = self.mapping.find_in_map(Aws.REGION, "account")
        registry = f"{self.registry_account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}"
        self.training_image = training_image or f"{registry}/{TRAINING_REPOSITORY}:{training_tag}"
        self.inference_image = inference_image or f"{registry}/{INFERENCE_REPOSITORY}:{inference_tag}"
        self.overridden = bool(training_image or inference_image)

    def repository_arns(self) -> list[str]:
        """The ECR repositories the SageMaker role may pull from (the overridden ones included)."""
        if self.overridden:
            return [f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:*:repository/*"]
        return [
            f"arn:{Aws.PARTITION}:ecr:{Aws.REGION}:{self.registry_account}:repository/{repo}"
            for repo in (TRAINING_REPOSITORY, INFERENCE_REPOSITORY)
        ]
