// The studio's entry: config, who the caller is, the navigation and the routes.
import { loadConfig } from "./api";
import { DEFAULT_USER, localUser, setLocalUser, useSignIn } from "./auth";
import { h, say } from "./dom";
import { compositionPage } from "./pages/composition";
import { generatePage } from "./pages/generate";
import { jobPage } from "./pages/job";
import { libraryPage } from "./pages/library";
import { recordPage } from "./pages/record";
import { sharedPage } from "./pages/shared";
import { trainPage } from "./pages/train";
import { completeSignIn, signIn, signOut } from "./pkce";
import { interceptLinks, route, show } from "./router";

route("/studio/", "Studio", recordPage);
route("/studio/generate", "Generate", generatePage);
route("/studio/compositions/:id", "Composition", compositionPage);
route("/studio/library", "Library", libraryPage);
route("/studio/train", "Train", trainPage);
route("/studio/jobs/:id", "Training job", jobPage);
route("/studio/shared/:token", "Shared", sharedPage);

const NAV: [string, string][] = [
  ["/studio/", "Studio"],
  ["/studio/generate", "Generate"],
  ["/studio/train", "Train"],
  ["/studio/library", "Library"],
];

function drawNav(): void {
  const nav = document.getElementById("nav") as HTMLElement;
  nav.replaceChildren(h("ul", {}, ...NAV.map(([href, label]) => h("li", {}, h("a", { href }, label)))));
}

function drawLocalUser(): void {
  const who = document.getElementById("who") as HTMLElement;
  const input = h("input", { type: "text", id: "user", value: localUser(), size: 12, pattern: "[A-Za-z0-9][A-Za-z0-9._@+\\-]*", maxlength: 128 });
  input.addEventListener("change", () => {
    setLocalUser(input.value.trim() || DEFAULT_USER);
    show();
  });
  who.replaceChildren(h("label", { for: "user" }, "User "), input);
}

async function start(): Promise<void> {
  const config = await loadConfig();
  drawNav();
  interceptLinks();
  if (config.auth) {
    useSignIn();
    const who = document.getElementById("who") as HTMLElement;
    const user = await completeSignIn(config.auth);
    if (!user) {
      who.replaceChildren(h("button", { type: "button", onclick: () => void signIn(config.auth!) }, "Sign in"));
      (document.getElementById("main") as HTMLElement).replaceChildren(h("h1", {}, "Composer studio"), h("p", {}, "Sign in to play, compose and train."));
      return;
    }
    who.replaceChildren(h("span", {}, `${user} `), h("button", { type: "button", onclick: () => signOut(config.auth!) }, "Sign out"));
  } else {
    drawLocalUser();
  }
  show();
  // The first page is drawn and its controls answer: what the load benchmark measures up to.
  performance.mark("studio-interactive");
}

start().catch((error) => say(`The studio could not start: ${error instanceof Error ? error.message : String(error)}`, "error"));
