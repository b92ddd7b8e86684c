"""The REST API: Cognito on every data route, gateway validation from the wire models, throttling,
CORS for the configured console origin, access logs, errors in the API's own shape."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from cdk.bundling import REPO_ROOT
from cdk.request_models import gateway_schema
from local.api_routes import RouteTable
from shared.schemas import Hyperparameters, MelodyFromCompositionIn, MelodyMidiIn, MelodyNotesIn, TrainingJobIn
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import flat, studio_origin

pytestmark = pytest.mark.xdist_group("cdk-synth")

CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def _paths(synth: Synthesized) -> dict[str, str]:
    """Resource logical id -> full path ("/melodies/{proxy+}")."""
    resources = synth.of_type("AWS::ApiGateway::Resource")
    [rest_api] = synth.of_type("AWS::ApiGateway::RestApi")

    def path(logical: str) -> str:
        props = resources[logical]["Properties"]
        parent = props["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent and parent["Fn::GetAtt"][0] == rest_api else path(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {logical: path(logical) for logical in resources}


def _methods(synth: Synthesized) -> list[tuple[str, str, dict]]:
    paths = _paths(synth)
    out = []
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        out.append((props["HttpMethod"], path, props))
    return out


# The share links' methods: public (no authorizer) and throttled on their own.
SHARE_METHODS = {
    ("GET", "/shared/{token}"),
    ("GET", "/shared/{token}/{proxy+}"),
    ("GET", "/shared/{token}/pianoroll.png"),
    ("GET", "/shared/{token}/audio"),
}


def test_every_data_route_requires_a_cognito_token(synthesized: Synthesized) -> None:
    [authorizer_id] = synthesized.of_type("AWS::ApiGateway::Authorizer")
    authorizer = synthesized.resources[authorizer_id]["Properties"]
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    [pool] = synthesized.of_type("AWS::Cognito::UserPool")
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": [pool, "Arn"]}]
    public = set()
    for verb, path, props in _methods(synthesized):
        if verb == "OPTIONS":
            assert props["AuthorizationType"] == "NONE" and props["Integration"]["Type"] == "MOCK"
        elif props["AuthorizationType"] == "COGNITO_USER_POOLS":
            assert props["AuthorizerId"] == {"Ref": authorizer_id}
        else:
            public.add((verb, path))
    # Exactly these: liveness, the OpenAPI document, and read-only share links.
    assert public == {("GET", "/health"), ("GET", "/openapi.json")} | SHARE_METHODS
    routes = {(verb, path) for verb, path, _ in _methods(synthesized)}
    assert {
        ("ANY", "/{proxy+}"),
        ("POST", "/melodies"),
        ("ANY", "/melodies/{id}"),
        ("ANY", "/melodies/{id}/{proxy+}"),
        ("POST", "/training-jobs"),
        ("ANY", "/training-jobs/{id}"),
        ("ANY", "/training-jobs/{id}/{proxy+}"),
        ("ANY", "/training-jobs/{id}/samples"),
        ("GET", "/training-jobs/{id}/chart.png"),
        ("GET", "/training-jobs/{id}/samples/{epoch}"),
        ("GET", "/compositions/{id}/audio"),
        ("GET", "/compositions/{id}/pianoroll.png"),
        ("GET", "/melodies/{id}/audio"),
    } <= routes


@pytest.mark.parametrize(
    ("method", "path", "function"),
    [
        ("GET", "/compositions/cmp-1/audio", "MediaFunction"),
        ("GET", "/compositions/cmp-1/pianoroll.png", "MediaFunction"),
        ("GET", "/melodies/sample-ode-to-joy/audio", "MediaFunction"),
        ("GET", "/compositions/cmp-1", "ApiFunction"),
        ("DELETE", "/compositions/cmp-1", "ApiFunction"),
        ("GET", "/compositions/cmp-1/midi", "ApiFunction"),
        ("POST", "/compositions/cmp-1/share", "ApiFunction"),
        ("GET", "/melodies/mel-1/midi", "ApiFunction"),
        ("POST", "/compositions", "ApiFunction"),
        ("POST", "/training-jobs/tj-1/stop", "ApiFunction"),
        ("GET", "/training-jobs/tj-1", "ApiFunction"),
        ("GET", "/training-jobs/tj-1/samples", "ApiFunction"),
        ("GET", "/training-jobs/tj-1/samples/3", "MediaFunction"),
        ("GET", "/training-jobs/tj-1/chart.png", "MediaFunction"),
        ("GET", "/datasets", "ApiFunction"),
        ("GET", "/shared/tok-1", "ApiFunction"),
        ("GET", "/shared/tok-1/midi", "ApiFunction"),
        ("GET", "/shared/tok-1/pianoroll.png", "MediaFunction"),
        ("GET", "/shared/tok-1/audio", "MediaFunction"),
        ("POST", "/compositions/cmp-1/audio", None),  # the resource exists without that method: no route
    ],
)
def test_media_routes_go_to_the_media_function_and_the_rest_to_the_api(
    synthesized: Synthesized, method: str, path: str, function: str | None
) -> None:
    assert RouteTable.from_template(synthesized.raw).function_for(method, path) == function


def test_only_the_api_and_media_functions_serve_http(synthesized: Synthesized) -> None:
    assert RouteTable.from_template(synthesized.raw).functions() == {"ApiFunction", "MediaFunction"}


def test_bodies_are_validated_against_models_generated_from_the_wire_schemas(synthesized: Synthesized) -> None:
    models = {m["Properties"]["Name"]: m for m in synthesized.of_type("AWS::ApiGateway::Model").values()}
    melody = models["MelodyIn"]["Properties"]["Schema"]
    assert melody == gateway_schema(MelodyMidiIn, MelodyNotesIn, MelodyFromCompositionIn, title="MelodyIn")
    midi = next(s for s in melody["anyOf"] if "midi" in s["properties"])
    assert midi["properties"]["midi"]["maxLength"] == MelodyMidiIn.model_fields["midi"].metadata[-1].max_length
    [validator] = synthesized.of_type("AWS::ApiGateway::RequestValidator").values()
    assert validator["Properties"]["ValidateRequestBody"] is True
    posts = {path: props for verb, path, props in _methods(synthesized) if verb == "POST"}
    for path, model in (
        ("/melodies", "MelodyIn"),
        ("/compositions", "CompositionIn"),
        ("/training-jobs", "TrainingJobIn"),
    ):
        [(content_type, ref)] = posts[path]["RequestModels"].items()
        assert content_type == "application/json"
        assert synthesized.resources[ref["Ref"]]["Properties"]["Name"] == model
        assert "RequestValidatorId" in posts[path]


def test_gateway_schema_speaks_draft4_and_accepts_both_field_spellings() -> None:
    schema = gateway_schema(TrainingJobIn, title="TrainingJobIn")
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text and '"required"' not in text
    # Hyperparameters depend on modelType (the function checks them): here a bounded object of scalars.
    knobs = schema["properties"]["hyperparameters"]
    assert knobs["type"] == "object" and knobs["maxProperties"] == 32
    assert {"type": "string", "maxLength": 64} in knobs["additionalProperties"]["anyOf"]
    assert schema["properties"]["model_type"] == schema["properties"]["modelType"]
    hp = gateway_schema(Hyperparameters, title="Hyperparameters")["properties"]
    # pydantic's numeric exclusiveMinimum (2020-12) becomes draft 4's boolean form.
    assert hp["learningRate"]["minimum"] == 0 and hp["learningRate"]["exclusiveMinimum"] is True
    assert hp["learning_rate"] == hp["learningRate"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["dataset"]["properties"]["tags"]["maxItems"] == 10


def test_stage_throttles_logs_access_and_traces(synthesized: Synthesized) -> None:
    [stage] = synthesized.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in props["MethodSettings"]}
    shares = {("/" + path.replace("/", "~1"), verb) for verb, path in SHARE_METHODS}
    assert set(settings) == {("/*", "*")} | shares
    stage_wide = settings[("/*", "*")]
    assert stage_wide["ThrottlingRateLimit"] == CONTEXT["throttleRate"]
    assert stage_wide["ThrottlingBurstLimit"] == CONTEXT["throttleBurst"]
    # The public share links are throttled on their own, tighter than the signed-in routes.
    for share in (settings[key] for key in shares):
        assert 0 < share["ThrottlingRateLimit"] < stage_wide["ThrottlingRateLimit"]
        assert 0 < share["ThrottlingBurstLimit"] < stage_wide["ThrottlingBurstLimit"]
    for method in settings.values():
        assert method["LoggingLevel"] == "ERROR" and method["DataTraceEnabled"] is False
    assert props["TracingEnabled"] is True
    log_group = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert synthesized.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]
    synthesized.template.has_resource_properties(
        "AWS::ApiGateway::RestApi",
        {"EndpointConfiguration": {"Types": ["REGIONAL"]}, "BinaryMediaTypes": Match.array_with(["audio/midi"])},
    )


def test_cors_allows_only_the_studio_origin(synthesized: Synthesized) -> None:
    origin = CONTEXT["consoleOrigin"] or studio_origin(synthesized)
    for verb, _, props in _methods(synthesized):
        if verb == "OPTIONS":
            headers = props["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
            assert flat(headers["method.response.header.Access-Control-Allow-Origin"]) == f"'{origin}'"


def test_gateway_errors_use_the_api_error_shape(synthesized: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    assert responses["BAD_REQUEST_BODY"]["StatusCode"] == "422"
    assert responses["THROTTLED"]["StatusCode"] == "429"
    for response in responses.values():
        template = response["ResponseTemplates"]["application/json"]
        assert template.startswith('{"error": {"code": "')
        assert flat(response["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]) == (
            f"'{CONTEXT['consoleOrigin'] or studio_origin(synthesized)}'"
        )
    literal = responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"]
    assert json.loads(literal)["error"]["code"] == "UNAUTHORIZED"


def test_console_client_is_public_without_secret_and_pool_is_hardened(synthesized: Synthesized) -> None:
    [client] = synthesized.of_type("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert set(props["ExplicitAuthFlows"]) == {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    [pool] = synthesized.of_type("AWS::Cognito::UserPool").values()
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12 and all(
        policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )
    assert pool["Properties"]["MfaConfiguration"] in {"OPTIONAL", "ON"}


def test_outputs_give_what_a_client_needs(synthesized: Synthesized) -> None:
    outputs = synthesized.raw["Outputs"]
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId"} <= set(outputs)
    [pool] = synthesized.of_type("AWS::Cognito::UserPool")
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool}
