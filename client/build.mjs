// Bundles the browser client into reactive_blocks/static/: app.js, app.css
// and the KaTeX fonts under fonts/. The output depends only on the sources
// and the locked packages, so rebuilding gives byte-identical files.
//
//   node client/build.mjs                 writes reactive_blocks/static/
//   node client/build.mjs --outdir DIR    writes DIR instead

import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const clientDir = path.dirname(fileURLToPath(import.meta.url));

function outdirFromArgs(argv) {
  const at = argv.indexOf("--outdir");
  if (at < 0) return path.join(clientDir, "..", "reactive_blocks", "static");
  if (!argv[at + 1]) throw new Error("--outdir needs a directory, e.g. --outdir /tmp/static");
  return path.resolve(argv[at + 1]);
}

// Every browser that runs this bundle reads woff2, so KaTeX's woff and ttf
// fallbacks would only add 40 font files nobody downloads.
const woff2Only = {
  name: "katex-woff2-only",
  setup(build) {
    build.onLoad({ filter: /katex[\\/]dist[\\/]katex\.css$/ }, async (args) => {
      const css = await readFile(args.path, "utf8");
      const contents = css.replace(
        /,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g,
        "",
      );
      return { contents, loader: "css", resolveDir: path.dirname(args.path) };
    });
  },
};

const outdir = outdirFromArgs(process.argv.slice(2));
await Promise.all(
  ["app.js", "app.css", "fonts"].map((name) =>
    rm(path.join(outdir, name), { recursive: true, force: true }),
  ),
);

await esbuild.build({
  absWorkingDir: clientDir,
  entryPoints: { app: "src/main.ts" },
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  sourcemap: false,
  legalComments: "eof",
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
  assetNames: "fonts/[name]",
  plugins: [woff2Only],
  logLevel: "warning",
});
