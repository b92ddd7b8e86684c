// Sign-in with Cognito's hosted UI: the OAuth 2.0 authorization-code flow with PKCE (RFC 7636), no
// client secret and no SDK. The verifier stays in sessionStorage for the one round trip; the ID
// token is kept for the tab's session and sent as the API's Authorization header.
import type { StudioConfig } from "./api";
import { idToken, setIdToken } from "./auth";

type AuthConfig = NonNullable<StudioConfig["auth"]>;
const VERIFIER_KEY = "composer.pkce.verifier";
const STATE_KEY = "composer.pkce.state";

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function redirectUri(auth: AuthConfig): string {
  return auth.redirectUri ?? `${location.origin}/`;
}

export function claims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "="));
  return JSON.parse(json) as Record<string, unknown>;
}

export async function signIn(auth: AuthConfig): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  sessionStorage.setItem(STATE_KEY, state);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: redirectUri(auth),
    scope: "openid email",
    code_challenge_method: "S256",
    code_challenge: await challengeFor(verifier),
    state,
  });
  location.assign(`${auth.domain.replace(/\/$/, "")}/oauth2/authorize?${query}`);
}

/** Finish a redirect back from the hosted UI, or reuse a live token; the signed-in user's name, or null. */
export async function completeSignIn(auth: AuthConfig): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (code) {
    const expected = sessionStorage.getItem(STATE_KEY);
    const verifier = sessionStorage.getItem(VERIFIER_KEY);
    sessionStorage.removeItem(STATE_KEY);
    sessionStorage.removeItem(VERIFIER_KEY);
    history.replaceState(null, "", location.pathname);
    if (!verifier || params.get("state") !== expected) throw new Error("The sign-in answer did not match this tab's request; sign in again.");
    const response = await fetch(`${auth.domain.replace(/\/$/, "")}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", client_id: auth.clientId, code, redirect_uri: redirectUri(auth), code_verifier: verifier }),
    });
    if (!response.ok) throw new Error(`Sign-in failed: the token endpoint answered ${response.status}.`);
    const tokens = (await response.json()) as { id_token?: string };
    if (!tokens.id_token) throw new Error("Sign-in failed: no ID token in the answer.");
    setIdToken(tokens.id_token);
  }
  const token = idToken();
  if (!token) return null;
  const c = claims(token);
  if (typeof c.exp === "number" && c.exp * 1000 < Date.now()) {
    setIdToken(null);
    return null;
  }
  return String(c.email ?? c["cognito:username"] ?? c.sub ?? "signed in");
}

export function signOut(auth: AuthConfig): void {
  setIdToken(null);
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri(auth) });
  location.assign(`${auth.domain.replace(/\/$/, "")}/logout?${query}`);
}
