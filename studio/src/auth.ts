// Who the caller is. Locally there is no sign-in: a user picker sends `Bearer <name>`, which the
// local runtime takes as that user. On AWS the page signs in with Cognito's hosted UI (see pkce.ts)
// and sends the ID token.
const USER_KEY = "composer.user";
const TOKEN_KEY = "composer.idToken";

export const DEFAULT_USER = "local-user";

export function localUser(): string {
  return localStorage.getItem(USER_KEY) || DEFAULT_USER;
}

export function setLocalUser(name: string): void {
  localStorage.setItem(USER_KEY, name);
}

export function idToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setIdToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let signedIn = false;

/** Switch to the deployed mode (called once the config names a user pool). */
export function useSignIn(): void {
  signedIn = true;
}

export function authorization(): string | null {
  if (signedIn) {
    const token = idToken();
    return token ? token : null;
  }
  return `Bearer ${localUser()}`;
}
