// Bundles the studio into studio/dist/ with esbuild: one script, one stylesheet, the page, and the
// axe-core copy the browser tests inject (kept out of the app bundle). `node studio/build.mjs`.
// The source map is written beside app.js but not linked from it: the local runtime links it with a
// `SourceMap` header, and the deployed site (cdk/studio.py) leaves it and test/ out, so the public
// site neither ships the sources nor points at a file it does not have.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  minify: true,
  sourcemap: "external",
  format: "esm",
  target: ["es2022"],
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
copyFileSync(join(here, "style.css"), join(out, "app.css"));
copyFileSync(join(here, "index.html"), join(out, "index.html"));
writeFileSync(join(out, "favicon.svg"), readFileSync(join(here, "favicon.svg")));
const require = createRequire(import.meta.url);
mkdirSync(join(out, "test"), { recursive: true });
copyFileSync(require.resolve("axe-core/axe.min.js"), join(out, "test", "axe.min.js"));
