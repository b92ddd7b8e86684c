"""One package per Lambda function (``lambdas.<name>.handler.lambda_handler``); each asset ships its own."""
