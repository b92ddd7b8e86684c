"""The web studio on AWS: the built ``studio/dist/`` in a private bucket behind CloudFront (origin
access control, HTTPS only, security headers), its ``config.json`` naming the API and the Cognito
hosted UI, and the user pool's hosted-UI domain.

URLs mirror the local runtime (``local/studio_files.py``): the page at ``/``, everything else under
``/studio/`` (``/studio/app.js``, ``/studio/config.json``), and a path under ``/studio/`` whose last
segment has no extension is a client-side route that gets the page. The bucket holds ``dist/`` as
built (``app.js`` at its root) less what only local development uses (the source map, the browser
tests' axe-core copy); a CloudFront Function maps the ``/studio/`` URLs onto those keys.

Two steps, because the API needs the site's URL (CORS origin, sign-in callback) and the site's
``config.json`` needs the API's URL: ``StudioSite`` makes the bucket and distribution first, and
``deploy`` adds the content once the API exists, so no construct depends on one that depends on it.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations, Aws, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from cdk.nag import acknowledge

STUDIO_DIST = Path(__file__).resolve().parents[1] / "studio" / "dist"
CONFIG_FILE = "config.json"
PAGE = "index.html"
# Built for local development only: the bundle's source map and the axe-core copy the browser tests inject.
LOCAL_ONLY = ["*.map", "test"]
# The id CDK gives the one Lambda function behind every BucketDeployment of a stack.
DEPLOYMENT_HANDLER_ID = "Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C"

# cloudfront-js-2.0: "/studio/app.js" -> "/app.js"; "/studio", "/studio/" and "/studio/<route>" -> the page.
_STUDIO_PATHS = """
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/studio" || uri.indexOf("/studio/") === 0) {
    var rest = uri.substring(8);
    var last = rest.substring(rest.lastIndexOf("/") + 1);
    request.uri = last.indexOf(".") === -1 ? "/index.html" : "/" + rest;
  }
  return request;
}
"""


class StudioSite(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, access_logs: s3.IBucket, dist: Path = STUDIO_DIST
    ) -> None:
        super().__init__(scope, construct_id)
        self.dist = dist
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="studio-bucket/",
            removal_policy=RemovalPolicy.RETAIN,  # a non-empty bucket would stop `cdk destroy`
        )
        paths = cloudfront.Function(
            self,
            "Paths",
            code=cloudfront.FunctionCode.from_inline(_STUDIO_PATHS),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Studio URLs under /studio/ onto the built files; client routes onto the page.",
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Composer web studio",
            default_root_object=PAGE,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=paths, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix="studio-cdn/",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The studio is served on the distribution's own cloudfront.net name, whose default "
            "certificate CloudFront allows down to TLSv1; a custom domain with its own certificate "
            "is the owner's choice and lifts the minimum to TLSv1.2.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "The distribution serves static, public files of the studio only (no forms, no data); "
            "the API behind it is throttled and signed-in, so a WAF web ACL would add a monthly "
            "cost without protecting anything.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The studio is meant for anyone anywhere; there is no country the files must be "
            "withheld from, so no geo restriction is set.",
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"

    def deploy(self, *, api_url: str, user_pool: cognito.UserPool, client: cognito.UserPoolClient, prefix: str) -> None:
        """The hosted-UI domain and the bucket's content: ``dist/`` and the ``config.json`` the page reads."""
        self.domain = user_pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix or _default_prefix())
        )
        config = {
            "apiBaseUrl": api_url,
            "auth": {
                "domain": self.domain.base_url(),
                "clientId": client.user_pool_client_id,
                "userPoolId": user_pool.user_pool_id,
                "region": Aws.REGION,
                "redirectUri": f"{self.url}/",
            },
        }
        sources = [s3deploy.Source.json_data(CONFIG_FILE, config)]
        if (self.dist / PAGE).is_file():
            sources.insert(0, s3deploy.Source.asset(str(self.dist), exclude=LOCAL_ONLY))
        else:
            # An error annotation stops `cdk synth` and `cdk deploy` with this message, so no empty site
            # is ever deployed; an in-process synthesis (tests, the local runtime) still gets its template.
            Annotations.of(self).add_error(
                f"{self.dist} has no {PAGE}: build the studio with `make studio` before `cdk synth` or `cdk deploy`."
            )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Content",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
        )
        self._acknowledge_deployment_handler()

    def _acknowledge_deployment_handler(self) -> None:
        handler = Stack.of(self).node.try_find_child(DEPLOYMENT_HANDLER_ID)
        if handler is None:
            return
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's BucketDeployment handler writes only its own logs with this managed policy; its "
            "data permissions are the grants on the asset and studio buckets.",
        )
        site = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        for finding in (
            *(f"Action::s3:{verb}*" for verb in ("GetBucket", "GetObject", "List", "Abort", "DeleteObject")),
            f"Resource::<{site}.Arn>/*",
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
            "Resource::*",
        ):
            acknowledge(
                handler,
                f"AwsSolutions-IAM5[{finding}]",
                "CDK's BucketDeployment handler (its generated policy) copies every object of the asset "
                "zip into the studio bucket, pruning old files, and invalidates the distribution "
                "(CloudFront invalidations take no resource-level permission).",
            )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            "The BucketDeployment handler's runtime is chosen by the pinned aws-cdk-lib release, "
            "not by this project; it runs only while a deploy copies the studio.",
        )


def _default_prefix() -> str:
    """Hosted-UI prefixes are global per region; the account id makes this one unique to the owner."""
    return Fn.join("-", ["composer-studio", Aws.ACCOUNT_ID])
