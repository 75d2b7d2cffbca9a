// TS/JSX -> CommonJS with the vendored Sucrase (loopwind/engine/vendor/), in the helper process's
// transpiler context. Template code never runs here: sources are only parsed and rewritten.
//
// The output is then checked token by token (Sucrase's own tokenizer) before the runtime may evaluate it:
// - every require("…") (static imports, export-from and dynamic import() all become one) must name "react",
//   "react/jsx-runtime", "react/jsx-dev-runtime" or a bundle file by relative path;
// - no HTML-like comments (`<!--`, `-->`): V8 evaluates the module inside a classic script, where those start
//   comments, but Sucrase tokenizes them as operators, so they could hide a brace from one of the two and
//   let code escape the module's function wrapper.
(function () {
  "use strict";
  const TT = sucrase.TokenType;
  const BUILTIN = new Set(["react", "react/jsx-runtime", "react/jsx-dev-runtime"]);
  const EXT = ["", ".tsx", ".ts", ".jsx", ".js", ".json", "/index.tsx", "/index.ts", "/index.jsx", "/index.js"];

  function lineOf(code, pos) {
    let line = 1;
    for (let i = 0; i < pos; i++) if (code.charCodeAt(i) === 10) line++;
    return line;
  }

  function resolves(from, spec, files) {
    const parts = from.split("/").slice(0, -1);
    for (const p of spec.split("/")) {
      if (p === "" || p === ".") continue;
      if (p === "..") {
        if (!parts.length) return false;
        parts.pop();
      } else parts.push(p);
    }
    const base = parts.join("/");
    return EXT.some((ext) => Object.prototype.hasOwnProperty.call(files, base + ext));
  }

  function stringValue(literal) {
    const body = literal.slice(1, -1);
    if (!body.includes("\\")) return body;
    return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e) => {
      if (e[0] === "u") return String.fromCodePoint(parseInt(e[1] === "{" ? e.slice(2, -1) : e.slice(1), 16));
      if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
      return { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", v: "\v", 0: "\0" }[e] || e;
    });
  }

  function problem(code, message, file, line, column) {
    return { ok: false, code, message, details: { file, line, column } };
  }

  function check(path, code, files) {
    const tokens = sucrase.parse(code, false, false, false).tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.type === TT.lessThan && code.startsWith("<!--", t.start))
        return problem("syntax_error", `${path}:${lineOf(code, t.start)}: "<!--" is not allowed in a template (write "< !--").`, path, lineOf(code, t.start));
      if ((t.type === TT.preIncDec || t.type === TT.postIncDec) && code.startsWith("-->", t.start))
        return problem("syntax_error", `${path}:${lineOf(code, t.start)}: "-->" is not allowed in a template (write "-- >").`, path, lineOf(code, t.start));
      const member = i > 0 && (tokens[i - 1].type === TT.dot || tokens[i - 1].type === TT.questionDot);
      if (t.type === TT.name && !member && code.slice(t.start, t.end) === "require" && tokens[i + 1] && tokens[i + 1].type === TT.parenL) {
        const arg = tokens[i + 2];
        const line = lineOf(code, t.start);
        if (!arg || arg.type !== TT.string || !tokens[i + 3] || tokens[i + 3].type !== TT.parenR) continue; // checked when it runs
        const spec = stringValue(code.slice(arg.start, arg.end));
        if (BUILTIN.has(spec)) continue;
        if (spec.startsWith("./") || spec.startsWith("../")) {
          if (resolves(path, spec, files)) continue;
          return {
            ok: false, code: "module_not_found",
            message: `${path}:${line}: cannot find ${JSON.stringify(spec)} in the bundle.`,
            details: { file: path, line, module: spec },
          };
        }
        return {
          ok: false, code: "module_not_allowed",
          message: `${path}:${line}: import of ${JSON.stringify(spec)} is not allowed; only relative imports of ` +
            'bundle files and "react" resolve in a template.',
          details: { file: path, line, module: spec },
        };
      }
    }
    return null;
  }

  function transpile(json) {
    const { files, modules } = JSON.parse(json);
    const out = {};
    for (const path of modules) {
      const ext = path.split(".").pop().toLowerCase();
      const transforms = ext === "ts" ? ["typescript", "imports"] : ext === "tsx" ? ["typescript", "jsx", "imports"] : ["jsx", "imports"];
      let code;
      try {
        code = sucrase.transform(files[path], {
          transforms, jsxRuntime: "automatic", production: true, filePath: path, disableESTransforms: true,
        }).code;
      } catch (e) {
        const loc = e && e.loc ? e.loc : {};
        const message = String((e && e.message) || e).replace(/^Error transforming [^:]*: /, "").replace(/ \(\d+:\d+\)$/, "");
        const where = loc.line ? `:${loc.line}:${loc.column}` : "";
        return JSON.stringify(problem("syntax_error", `${path}${where}: ${message}`, path, loc.line, loc.column));
      }
      const bad = check(path, code, files);
      if (bad) return JSON.stringify(bad);
      out[path] = code;
    }
    return JSON.stringify({ ok: true, modules: out });
  }
  globalThis.__lw_transpile = transpile;
})();
