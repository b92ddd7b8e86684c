"""The AWS CDK app's constructs: one module per concern (see README.md here)."""
