"""Many users at once through the local HTTP API: every request is answered as the user who sent
it. (The Powertools resolver keeps the current event on the app object, as one Lambda execution
environment serves one request at a time; a local server that ran the handler for two requests at
once would answer one user with another's identity. The soak found this; this test keeps it fixed.)
"""

from __future__ import annotations

import concurrent.futures

import httpx

from cdk.api import BINARY_MEDIA_TYPES
from lambdas.api.handler import lambda_handler
from local.api_server import ApiServer

USERS = [f"user-{i:02d}" for i in range(8)]
PER_USER = 12


def test_concurrent_requests_of_many_users_never_cross(cloud):  # noqa: F811
    with (
        ApiServer(lambda_handler, port=0, binary_media_types=BINARY_MEDIA_TYPES) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):

        def upload(user: str, n: int) -> tuple[str, int, str]:
            body = {"name": f"{user} tune {n}", "notes": [{"pitch": 60 + n % 12, "start": 0, "duration": 1}]}
            reply = client.post("/melodies", json=body, headers={"Authorization": f"Bearer {user}"})
            assert reply.status_code == 201, reply.text
            assert reply.json()["name"] == f"{user} tune {n}"
            mine = client.get(f"/melodies/{reply.json()['id']}", headers={"Authorization": f"Bearer {user}"})
            return user, mine.status_code, reply.json()["id"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda a: upload(*a), [(u, n) for n in range(PER_USER) for u in USERS]))

        assert all(status == 200 for _, status, _ in results), [r for r in results if r[1] != 200][:5]
        for user in USERS:
            listed = client.get(
                "/melodies", params={"limit": "100"}, headers={"Authorization": f"Bearer {user}"}
            ).json()
            own = sorted(m["name"] for m in listed["items"] if not m["builtin"])
            assert own == sorted(f"{user} tune {n}" for n in range(PER_USER))
            assert sorted(m["id"] for m in listed["items"] if not m["builtin"]) == sorted(
                i for u, _, i in results if u == user
            )
