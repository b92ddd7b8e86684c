"""The REST API: Cognito user pool (+ the console's app client) as authorizer, gateway-side request
validation bounded by the wire models' limits, throttling, CORS for the console origin, access logs,
and Lambda proxy integrations: the media routes (``shared.contract.MEDIA_ROUTES``: audio and pictures)
to the ``media`` function, every other route to the ``api`` function, which routes internally."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.nag import acknowledge
from cdk.request_models import gateway_schema
from shared.contract import BODY_ROUTES, MEDIA_ROUTES, PUBLIC_ROUTES, SHARED_PATH, is_public

STAGE_NAME = "v1"
# Share links are public (no sign-in), so they get their own, tighter throttle than the stage's.
SHARE_THROTTLE_RATE = 5.0
SHARE_THROTTLE_BURST = 10
# Every public share method, as the stage's method settings name them (resource path + verb).
SHARE_METHOD_PATHS = (
    f"{SHARED_PATH}/{{token}}/GET",
    f"{SHARED_PATH}/{{token}}/{{proxy+}}/GET",
    *(f"{route}/{verb}" for verb, route in MEDIA_ROUTES if is_public(verb, route)),
)
# Bodies sent as raw bytes (MIDI uploads) and sent back as bytes (MIDI, piano-roll pictures).
# Audio answers are bytes too: a client asks with ``Accept: audio/wav`` (or audio/mpeg), as the CLI does.
BINARY_MEDIA_TYPES = ["audio/midi", "audio/x-midi", "audio/wav", "audio/mpeg", "image/png", "application/octet-stream"]

# Gateway-made errors in the API's own error shape ({"error": {"code", "message"}}). The message is
# a JSON value in the mapping template: $context.error.messageString comes quoted already.
_VALIDATION = '"$context.error.validationErrorString"'
_GATEWAY_MESSAGE = "$context.error.messageString"
_GATEWAY_ERRORS: tuple[tuple[apigw.ResponseType, str | None, str, str], ...] = (
    (apigw.ResponseType.BAD_REQUEST_BODY, "422", "INVALID_REQUEST_BODY", _VALIDATION),
    (apigw.ResponseType.BAD_REQUEST_PARAMETERS, "400", "INVALID_REQUEST_PARAMETERS", _VALIDATION),
    (
        apigw.ResponseType.UNAUTHORIZED,
        "401",
        "UNAUTHORIZED",
        '"Sign in: send the Cognito ID token in the Authorization header."',
    ),
    (apigw.ResponseType.ACCESS_DENIED, "403", "FORBIDDEN", _GATEWAY_MESSAGE),
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "NOT_FOUND", '"No such route."'),
    (apigw.ResponseType.REQUEST_TOO_LARGE, "413", "REQUEST_TOO_LARGE", '"The request body is too large."'),
    (apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, "415", "UNSUPPORTED_MEDIA_TYPE", _GATEWAY_MESSAGE),
    (apigw.ResponseType.THROTTLED, "429", "THROTTLED", '"Too many requests: slow down and retry."'),
    (apigw.ResponseType.QUOTA_EXCEEDED, "429", "QUOTA_EXCEEDED", '"Too many requests: slow down and retry."'),
    (apigw.ResponseType.DEFAULT_4_XX, None, "BAD_REQUEST", _GATEWAY_MESSAGE),
    (apigw.ResponseType.DEFAULT_5_XX, None, "INTERNAL_ERROR", _GATEWAY_MESSAGE),
)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        media_handler: lambda_.IFunction,
        console_origin: str,
        throttle_rate: float,
        throttle_burst: int,
        log_retention: logs.RetentionDays,
        self_sign_up: bool = True,
        sign_in_urls: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=self_sign_up,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is offered (TOTP) but optional: the console is a hobby music app for which "
            "mandatory MFA would stop most users at sign-up; owners can switch it to REQUIRED.",
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Threat protection needs the Cognito Plus feature plan, billed per monthly active user; "
            "the stack is meant to cost nothing idle. Strong passwords, email verification and API "
            "throttling are on.",
        )
        self.client = self.user_pool.add_client(
            "Console",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
            # The studio's hosted-UI sign-in: authorization code with PKCE, as a public client (no secret).
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[f"{url}/" for url in sign_in_urls],
                logout_urls=[f"{url}/" for url in sign_in_urls],
            )
            if sign_in_urls
            else None,
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO] if sign_in_urls else None,
        )

        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        cors = apigw.CorsOptions(
            allow_origins=[console_origin],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Amz-Date", "X-Amz-Security-Token"],
            max_age=Duration.hours(1),
        )
        self.rest_api = apigw.RestApi(
            self,
            "Rest",
            description="Composer backend: melodies, compositions, models, training jobs.",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            binary_media_types=BINARY_MEDIA_TYPES,
            default_cors_preflight_options=cors,
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                throttling_rate_limit=throttle_rate,
                throttling_burst_limit=throttle_burst,
                method_options={
                    path: apigw.MethodDeploymentOptions(
                        throttling_rate_limit=SHARE_THROTTLE_RATE,
                        throttling_burst_limit=SHARE_THROTTLE_BURST,
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                    )
                    for path in SHARE_METHOD_PATHS
                },
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        acknowledge(
            self.rest_api,
            "AwsSolutions-APIG3",
            "No WAF: a web ACL costs a monthly fee even idle, against the stack's no-idle-cost "
            "goal. Abuse is bounded by stage throttling, Cognito auth on every data route and "
            "gateway body validation.",
        )
        self._acknowledge_cloudwatch_role()
        for response_type, status, code, message in _GATEWAY_ERRORS:
            self.rest_api.add_gateway_response(
                f"Gateway{code.title().replace('_', '')}{status or ''}",
                type=response_type,
                status_code=status,
                response_headers={"Access-Control-Allow-Origin": f"'{console_origin}'"},
                templates={"application/json": f'{{"error": {{"code": "{code}", "message": {message}}}}}'},
            )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[self.user_pool])
        self.validator = self.rest_api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        authorized = {
            "authorizer": self.authorizer,
            "authorization_type": apigw.AuthorizationType.COGNITO,
            "request_validator": self.validator,
        }

        root = self.rest_api.root
        resources: dict[str, apigw.IResource] = {"/": root}
        for verb, route in PUBLIC_ROUTES:
            method = root.add_resource(route.lstrip("/")).add_method(
                verb, integration, request_validator=self.validator
            )
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(
                    method,
                    rule,
                    f"{verb} {route} is public on purpose (liveness probe / the API's own OpenAPI "
                    "document); it reads no user data.",
                )
        # Share links: GET /shared/{token} and everything below it, no authorizer; the picture and the
        # audio below it are the media function's (MEDIA_ROUTES), the summary and the MIDI the api's.
        resources[SHARED_PATH] = root.add_resource(SHARED_PATH.lstrip("/"))
        token = resources[f"{SHARED_PATH}/{{token}}"] = resources[SHARED_PATH].add_resource("{token}")
        for resource in (token, token.add_proxy(any_method=False)):
            self._public_share_method(resource.add_method("GET", integration, request_validator=self.validator))
        root.add_proxy(any_method=False).add_method("ANY", integration, **authorized)

        for route in BODY_ROUTES:
            schema = gateway_schema(*route.models, title=route.title)
            resource = root.add_resource(route.path.lstrip("/"))
            model = apigw.CfnModel(
                self,
                f"{schema['title']}Model",
                rest_api_id=self.rest_api.rest_api_id,
                content_type="application/json",
                name=schema["title"],
                schema=schema,
            )
            body_model = apigw.Model.from_model_name(self, f"{schema['title']}ModelRef", model.ref)
            resource.add_method(
                route.method, integration, request_models={"application/json": body_model}, **authorized
            )
            resource.add_method("GET", integration, **authorized)
            resources[route.path] = resource

        media = apigw.LambdaIntegration(media_handler, proxy=True, allow_test_invoke=False)
        for verb, route in MEDIA_ROUTES:
            resource = self._resource(route, resources, integration, authorized)
            if is_public(verb, route):
                self._public_share_method(resource.add_method(verb, media, request_validator=self.validator))
            else:
                resource.add_method(verb, media, **authorized)
        for path in (r.path for r in BODY_ROUTES):
            if f"{path}/{{id}}" not in resources:
                resources[path].add_proxy(any_method=False).add_method("ANY", integration, **authorized)

    @staticmethod
    def _public_share_method(method: apigw.Method) -> None:
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                method,
                rule,
                f"GET {SHARED_PATH}/{{token}}... is public on purpose: a share link plays one finished composition "
                "for anyone holding its unguessable token (144 random bits), read-only, until the owner revokes "
                "it; the functions answer nothing else of the owner's from it, and the method has its own "
                f"throttle ({SHARE_THROTTLE_RATE:g}/s, burst {SHARE_THROTTLE_BURST}).",
            )

    @staticmethod
    def _resource(
        path: str, resources: dict[str, apigw.IResource], integration: apigw.Integration, authorized: dict[str, Any]
    ) -> apigw.IResource:
        """The resource of ``path``, made segment by segment. A ``{id}`` level made here keeps sending
        everything else below it to the api function (``ANY`` on it and on its ``{proxy+}``): API
        Gateway allows one variable child per resource, so it takes the place of the parent's
        ``{proxy+}``. A fixed level on the way is a route of the api's too (``ANY`` on it), since a
        fixed child wins over its parent's ``{proxy+}``."""
        current, resource = "", resources["/"]
        segments = path.strip("/").split("/")
        for depth, segment in enumerate(segments, start=1):
            current += f"/{segment}"
            if current not in resources:
                resources[current] = resource.add_resource(segment)
                if segment.startswith("{"):
                    resources[current].add_method("ANY", integration, **authorized)
                    resources[current].add_proxy(any_method=False).add_method("ANY", integration, **authorized)
                elif depth < len(segments):  # a fixed level on the way (``samples`` of samples/{epoch}) is the api's
                    resources[current].add_method("ANY", integration, **authorized)
            resource = resources[current]
        return resource

    def _acknowledge_cloudwatch_role(self) -> None:
        role = self.rest_api.node.try_find_child("CloudWatchRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "API Gateway's account-level logging role: AWS's managed policy is the documented "
                "way and grants only log-delivery actions to the API Gateway service.",
            )

    @property
    def url(self) -> str:
        return self.rest_api.url
