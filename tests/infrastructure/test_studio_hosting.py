"""The studio on AWS: a private bucket only the distribution may read, CloudFront serving it over
HTTPS with the page at ``/``, the deployed ``config.json`` naming the API and the sign-in, the API's
CORS origin and the app client's hosted-UI sign-in pointing at the distribution, and ``StudioUrl``."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from cdk.studio import CONFIG_FILE, STUDIO_DIST
from tests.infrastructure.conftest import Synthesized
from tests.infrastructure.helpers import as_list, flat, refs_in, studio_origin

pytestmark = pytest.mark.xdist_group("cdk-synth")


def _cdn(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    [(logical, resource)] = synth.of_type("AWS::CloudFront::Distribution").items()
    return logical, resource["Properties"]["DistributionConfig"]


def _site_bucket(synth: Synthesized) -> str:
    _, config = _cdn(synth)
    [origin] = config["Origins"]
    [bucket] = refs_in(origin["DomainName"])
    return bucket


def _deployment(synth: Synthesized) -> dict[str, Any]:
    [resource] = synth.of_type("Custom::CDKBucketDeployment").values()
    props: dict[str, Any] = resource["Properties"]
    return props


def test_the_site_bucket_is_private_and_only_the_distribution_reads_it(synthesized: Synthesized) -> None:
    bucket = _site_bucket(synthesized)
    props = synthesized.resources[bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "studio-bucket/"
    assert "WebsiteConfiguration" not in props
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    cdn, _ = _cdn(synthesized)
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:GetObject"]
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert flat(source).endswith(f":distribution/<{cdn}>")
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_the_distribution_is_https_only_with_the_page_at_the_root(synthesized: Synthesized) -> None:
    _, config = _cdn(synthesized)
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert behavior["ResponseHeadersPolicyId"]  # the managed security-headers policy
    [origin] = config["Origins"]
    assert refs_in(origin["OriginAccessControlId"]) and origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    [association] = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    [function] = refs_in(association["FunctionARN"])
    code = synthesized.resources[function]["Properties"]["FunctionCode"]
    assert '"/studio/"' in code and "/index.html" in code


def test_config_json_names_the_api_and_the_sign_in(synthesized: Synthesized) -> None:
    deployment = _deployment(synthesized)
    assert deployment["DestinationBucketName"] == {"Ref": _site_bucket(synthesized)}
    cdn, _ = _cdn(synthesized)
    assert deployment["DistributionId"] == {"Ref": cdn}
    # Source.json_data: the file in the cloud assembly holds markers the handler swaps for deploy-time values.
    markers = {k: flat(v) for source in deployment["SourceMarkers"] for k, v in source.items()}
    config = None
    for key in deployment["SourceObjectKeys"]:
        zipped = synthesized.asset_dir({"S3Key": key})
        candidate = zipped / CONFIG_FILE if zipped.is_dir() else None
        if candidate is not None and candidate.is_file():
            config = candidate.read_text()
    assert config is not None, "config.json is not among the deployed sources"
    for marker, value in markers.items():
        config = config.replace(marker, value)
    deployed = json.loads(config)
    [api] = synthesized.of_type("AWS::ApiGateway::RestApi")
    [pool] = synthesized.of_type("AWS::Cognito::UserPool")
    [client] = synthesized.of_type("AWS::Cognito::UserPoolClient")
    [domain] = synthesized.of_type("AWS::Cognito::UserPoolDomain")
    assert deployed["apiBaseUrl"].startswith(f"https://<{api}>.execute-api.")
    assert deployed["auth"]["userPoolId"] == f"<{pool}>"
    assert deployed["auth"]["clientId"] == f"<{client}>"
    assert deployed["auth"]["domain"].startswith(f"https://<{domain}>.auth.")
    assert deployed["auth"]["redirectUri"] == f"{studio_origin(synthesized)}/"


def test_the_built_studio_is_deployed_when_present(synthesized: Synthesized) -> None:
    sources = [synthesized.asset_dir({"S3Key": key}) for key in _deployment(synthesized)["SourceObjectKeys"]]
    has_page = [s for s in sources if (s / "index.html").is_file()]
    assert len(has_page) == (1 if (STUDIO_DIST / "index.html").is_file() else 0)


def test_the_deployed_studio_leaves_out_the_source_map_and_the_test_files(synthesized: Synthesized) -> None:
    """The local build has them (so leaving them out is what is tested); the site's asset has the app
    without them, and the app links no map it would not find."""
    assert (STUDIO_DIST / "app.js.map").is_file() and (STUDIO_DIST / "test" / "axe.min.js").is_file(), (
        "build the studio first: make studio"
    )
    sources = [synthesized.asset_dir({"S3Key": key}) for key in _deployment(synthesized)["SourceObjectKeys"]]
    [site] = [s for s in sources if (s / "index.html").is_file()]
    deployed = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {"index.html", "app.js", "app.css", "samples/manifest.json"} <= deployed
    assert [p for p in deployed if p.endswith(".map") or p.startswith("test/")] == []
    assert b"sourceMappingURL" not in (site / "app.js").read_bytes()


def test_the_api_allows_only_the_studio_origin(synthesized: Synthesized) -> None:
    origin = studio_origin(synthesized)
    env = synthesized.of_type("AWS::Lambda::Function")
    origins = {
        flat(f["Properties"]["Environment"]["Variables"]["CORS_ALLOW_ORIGIN"])
        for f in env.values()
        if "CORS_ALLOW_ORIGIN" in (f["Properties"].get("Environment") or {}).get("Variables", {})
    }
    assert origins == {origin}


def test_the_app_client_signs_in_with_the_code_grant_back_to_the_studio(synthesized: Synthesized) -> None:
    [client] = synthesized.of_type("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["AllowedOAuthFlows"] == ["code"] and props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["GenerateSecret"] is False  # a public client: the page proves itself with PKCE
    assert {"openid", "email"} <= set(props["AllowedOAuthScopes"])
    studio = f"{studio_origin(synthesized)}/"
    assert [flat(u) for u in props["CallbackURLs"]] == [studio]
    assert [flat(u) for u in props["LogoutURLs"]] == [studio]
    [domain] = synthesized.of_type("AWS::Cognito::UserPoolDomain").values()
    assert refs_in(domain["Properties"]["UserPoolId"]) == refs_in(props["UserPoolId"])


def test_the_studio_url_is_an_output(synthesized: Synthesized) -> None:
    output = synthesized.raw["Outputs"]["StudioUrl"]
    assert flat(output["Value"]) == studio_origin(synthesized)


def test_the_viewer_request_function_maps_studio_urls_as_the_local_runtime_does(synthesized: Synthesized) -> None:
    """The deployed function's own code, run in Node: files under /studio/ map onto the bucket's keys,
    client routes (no extension) onto the page, anything else passes through."""
    [function] = synthesized.of_type("AWS::CloudFront::Function").values()
    code = function["Properties"]["FunctionCode"]
    cases = {
        "/": "/",
        "/studio": "/index.html",
        "/studio/": "/index.html",
        "/studio/compositions/abc": "/index.html",
        "/studio/app.js": "/app.js",
        "/studio/config.json": "/config.json",
        "/studio/samples/manifest.json": "/samples/manifest.json",
        "/favicon.ico": "/favicon.ico",
    }
    probe = (
        code
        + f"\nconst cases = {json.dumps(list(cases))};\n"
        + ("console.log(JSON.stringify(cases.map((uri) => handler({ request: { uri } }).uri)));")
    )
    done = subprocess.run(["node", "-e", probe], capture_output=True, text=True, check=True, timeout=30)
    assert dict(zip(cases, json.loads(done.stdout.strip().splitlines()[-1]), strict=True)) == cases
