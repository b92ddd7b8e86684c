// Client-side routes under /studio/ (the page itself also answers at /): history API navigation.
export type Render = (main: HTMLElement, params: Record<string, string>, query: URLSearchParams) => void | (() => void);

interface Route {
  pattern: RegExp;
  keys: string[];
  render: Render;
  title: string;
}

const routes: Route[] = [];
let cleanup: (() => void) | void;

export function route(path: string, title: string, render: Render): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    "^" + path.replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return "([^/]+)";
    }) + "/?$",
  );
  routes.push({ pattern, keys, render, title });
}

export function navigate(href: string): void {
  history.pushState(null, "", href);
  show();
}

export function show(): void {
  const main = document.getElementById("main") as HTMLElement;
  const path = location.pathname === "/" ? "/studio/" : location.pathname;
  if (typeof cleanup === "function") cleanup();
  cleanup = undefined;
  for (const r of routes) {
    const match = r.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((key, i) => (params[key] = decodeURIComponent(match[i + 1])));
    document.title = `${r.title} · Composer studio`;
    main.replaceChildren();
    cleanup = r.render(main, params, new URLSearchParams(location.search));
    for (const link of document.querySelectorAll("#nav a")) {
      const here = (link as HTMLAnchorElement).pathname === path;
      if (here) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    return;
  }
  document.title = "Not found · Composer studio";
  main.replaceChildren(Object.assign(document.createElement("h1"), { textContent: "No such page" }));
}

/** Internal links navigate without a reload; the rest (downloads, other origins) behave as usual. */
export function interceptLinks(): void {
  document.addEventListener("click", (event) => {
    const link = (event.target as HTMLElement).closest("a");
    if (!link || link.target || link.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (link.origin !== location.origin || !link.pathname.startsWith("/studio/")) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  window.addEventListener("popstate", show);
}
