// loopwind jsx runtime: evaluated first in every bundle's V8 context, inside the helper process
// (_jsxd.py), never in the caller's process. It provides
//   - "react", "react/jsx-runtime", "react/jsx-dev-runtime": elements as plain objects, hooks refused;
//   - a CommonJS loader for the bundle's transpiled modules (relative imports only);
//   - __lw_render(json): one render = fresh module instances + one call of the default export, whose
//     element tree is expanded (components called) and returned as JSON for the Python side, which turns
//     it into the markup the html engine feeds Takumi (loopwind/engine/jsx/convert.py).
// Then it locks the realm down: host extras removed, clock and Math.random pinned (determinism), every
// reachable object frozen. Together with fresh module instances per render, nothing one render writes can
// be seen by the next one, although the context is reused.
(function () {
  "use strict";
  const G = globalThis;
  const { freeze, keys, create, getPrototypeOf, getOwnPropertyDescriptors, getOwnPropertyDescriptor, defineProperty } = Object;
  const ownKeys = Reflect.ownKeys;
  const isArray = Array.isArray;
  const stringify = JSON.stringify;
  const parseJSON = JSON.parse;
  const Str = String;

  // ---- errors the Python side maps to engine errors (code -> class in jsx/host.py)
  class LwError extends Error {
    constructor(code, message, details) {
      super(message);
      this.code = code;
      this.details = details || {};
    }
  }
  const fail = (code, message, details) => {
    throw new LwError(code, message, details);
  };

  // ---- React: elements are {$$typeof, type, props, key}; Satori-style plain {type, props} objects work too
  const ELEMENT = Symbol.for("react.element");
  const FRAGMENT = Symbol.for("react.fragment");
  function jsx(type, config, maybeKey) {
    const props = {};
    let key = maybeKey === undefined ? null : Str(maybeKey);
    if (config != null) {
      for (const k of keys(config)) {
        if (k === "key") key = Str(config.key);
        else if (k !== "ref" && k !== "__self" && k !== "__source") props[k] = config[k];
      }
    }
    if (type && type.defaultProps) {
      for (const k of keys(type.defaultProps)) if (props[k] === undefined) props[k] = type.defaultProps[k];
    }
    return { $$typeof: ELEMENT, type, key, props };
  }
  function createElement(type, config, ...children) {
    const el = jsx(type, config, config != null && config.key !== undefined ? config.key : undefined);
    if (children.length === 1) el.props.children = children[0];
    else if (children.length > 1) el.props.children = children;
    return el;
  }
  const isValidElement = (v) => v !== null && typeof v === "object" && v.$$typeof === ELEMENT;
  function cloneElement(el, config, ...children) {
    const merged = Object.assign({}, el.props, config || {});
    if (children.length) merged.children = children.length === 1 ? children[0] : children;
    return jsx(el.type, merged, config && config.key !== undefined ? config.key : el.key);
  }
  const flat = (children) => {
    const out = [];
    const walk = (c) => {
      if (isArray(c)) c.forEach(walk);
      else if (c !== null && c !== undefined && typeof c !== "boolean") out.push(c);
    };
    walk(children);
    return out;
  };
  const Children = {
    toArray: flat,
    map: (c, fn) => (c == null ? c : flat(c).map(fn)),
    forEach: (c, fn) => {
      flat(c).forEach(fn);
    },
    count: (c) => flat(c).length,
    only: (c) => {
      if (!isValidElement(c)) fail("template_runtime_error", "React.Children.only expected one element child.");
      return c;
    },
  };
  const refuse = (name) => () =>
    fail(
      "hooks_not_supported",
      `${name} is not supported: a template is a pure function of its props (as in Satori), so hooks, ` +
        "state, effects and context are refused. Compute values from props and the helpers instead.",
      { hook: name },
    );
  const HOOKS = [
    "useState", "useEffect", "useLayoutEffect", "useInsertionEffect", "useContext", "useReducer", "useRef",
    "useMemo", "useCallback", "useId", "useTransition", "useDeferredValue", "useSyncExternalStore",
    "useImperativeHandle", "useDebugValue", "useOptimistic", "useActionState", "use", "createContext",
    "createRef", "startTransition", "lazy",
  ];
  const React = {
    createElement, cloneElement, isValidElement, Children, Fragment: FRAGMENT, StrictMode: FRAGMENT,
    memo: (c) => c,
    forwardRef: (render) => (props) => render(props, null),
    version: "18.3.1-loopwind",
  };
  for (const h of HOOKS) React[h] = refuse(h);
  React.default = React;
  const jsxRuntime = { jsx, jsxs: jsx, jsxDEV: jsx, Fragment: FRAGMENT };
  const BUILTINS = { react: React, "react/jsx-runtime": jsxRuntime, "react/jsx-dev-runtime": jsxRuntime };

  // ---- deterministic clock and random numbers (same bundle + props -> same bytes)
  const FIXED_TIME = Date.UTC(2000, 0, 1);
  const RealDate = Date;
  function LwDate(...args) {
    if (!new.target) return new RealDate(FIXED_TIME).toString();
    return args.length ? new RealDate(...args) : new RealDate(FIXED_TIME);
  }
  LwDate.prototype = RealDate.prototype;
  LwDate.now = () => FIXED_TIME;
  LwDate.UTC = RealDate.UTC;
  LwDate.parse = RealDate.parse;
  defineProperty(RealDate.prototype, "constructor", { value: LwDate, writable: true, configurable: true });
  RealDate.now = LwDate.now;
  const dtf = getOwnPropertyDescriptor(Intl.DateTimeFormat.prototype, "format");
  defineProperty(Intl.DateTimeFormat.prototype, "format", {
    configurable: true,
    get() {
      const f = dtf.get.call(this);
      return (d) => f(d === undefined ? FIXED_TIME : d);
    },
  });
  const dtfParts = Intl.DateTimeFormat.prototype.formatToParts;
  Intl.DateTimeFormat.prototype.formatToParts = function (d) {
    return dtfParts.call(this, d === undefined ? FIXED_TIME : d);
  };
  let seed = 0;
  const random = () => {
    // mulberry32, reset before every render
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  Math.random = random;

  // ---- the bundle's modules: factories defined once (by _jsxd.py), instantiated afresh per render
  const factories = create(null);
  const jsonModules = create(null);
  let sealed = false;
  let entry = null;
  const EXTENSIONS = ["", ".tsx", ".ts", ".jsx", ".js", ".json", "/index.tsx", "/index.ts", "/index.jsx", "/index.js"];

  function resolvePath(from, spec) {
    const parts = from.split("/").slice(0, -1);
    for (const p of spec.split("/")) {
      if (p === "" || p === ".") continue;
      if (p === "..") {
        if (!parts.length) return null;
        parts.pop();
      } else parts.push(p);
    }
    const base = parts.join("/");
    for (const ext of EXTENSIONS) {
      const candidate = base + ext;
      if (factories[candidate] || jsonModules[candidate] !== undefined) return candidate;
    }
    return null;
  }

  function instantiate(path, cache) {
    if (cache[path]) return cache[path].exports;
    const module = { exports: {} };
    cache[path] = module;
    if (jsonModules[path] !== undefined) {
      module.exports = parseJSON(jsonModules[path]);
      return module.exports;
    }
    const require = (spec) => {
      spec = Str(spec);
      if (BUILTINS[spec]) return BUILTINS[spec];
      if (spec.startsWith("./") || spec.startsWith("../")) {
        const target = resolvePath(path, spec);
        if (target === null)
          fail("module_not_found", `${path}: cannot find ${JSON.stringify(spec)} in the bundle.`, { file: path, module: spec });
        return instantiate(target, cache);
      }
      fail(
        "module_not_allowed",
        `${path}: import of ${JSON.stringify(spec)} is not allowed; only relative imports of bundle files ` +
          'and "react" resolve in a template.',
        { file: path, module: spec },
      );
    };
    factories[path].call(undefined, module.exports, require, module);
    return module.exports;
  }

  function define(path, factory) {
    if (sealed) fail("template_security_error", "Modules can only be defined while the bundle loads.");
    factories[path] = factory;
  }

  function load(json) {
    if (sealed) fail("template_security_error", "The bundle is already loaded.");
    sealed = true;
    const spec = parseJSON(json);
    for (const p of keys(spec.json)) jsonModules[p] = spec.json[p];
    entry = spec.entry;
    const exports = instantiate(entry, create(null));
    const meta = exports && exports.meta;
    let metaJSON = null;
    if (meta !== undefined && meta !== null) {
      if (typeof meta !== "object" || isArray(meta)) fail("invalid_meta", `${entry}: export const meta must be an object.`, { file: entry });
      metaJSON = stringify(meta);
    }
    return stringify({ meta: metaJSON === null ? null : parseJSON(metaJSON) });
  }

  // ---- helpers (the component's second argument)
  function classes(...args) {
    const out = [];
    const add = (v) => {
      if (!v) return;
      if (typeof v === "string" || typeof v === "number") out.push(...Str(v).split(/\s+/).filter(Boolean));
      else if (isArray(v)) v.forEach(add);
      else if (typeof v === "object") for (const k of keys(v)) if (v[k]) out.push(...k.split(/\s+/).filter(Boolean));
    };
    args.forEach(add);
    // later classes win in Takumi, so a repeated class only needs its last occurrence
    const seen = new Set();
    const kept = [];
    for (let i = out.length - 1; i >= 0; i--) if (!seen.has(out[i])) seen.add(out[i]), kept.push(out[i]);
    return kept.reverse().join(" ");
  }
  const MARK = "\ue000lw";
  function makeHelpers(req, state) {
    const token = (kind, args) => {
      state.requests.push([kind, args]);
      return `${MARK}${state.requests.length - 1}\ue001`;
    };
    const text = (v, helper) => {
      if (v === null || v === undefined) return "";
      if (typeof v === "object" || typeof v === "function") fail("helper_error", `${helper}() takes text.`, { helper });
      return Str(v);
    };
    const options = (o, helper) => {
      if (o === undefined || o === null) return {};
      if (typeof o !== "object") fail("helper_error", `${helper}(): the options must be an object.`, { helper });
      return parseJSON(stringify(o));
    };
    const assetPath = (p) => Str(p).replace(/^\.\//, "");
    const h = {
      tw: classes,
      qr: (value, opts) => token("qr", [text(value, "qr"), options(opts, "qr")]),
      image: (ref) => {
        if (ref === null || ref === undefined) return null;
        const name = Str(ref);
        if (Object.prototype.hasOwnProperty.call(req.imageProps, name)) return req.imageProps[name];
        if (req.images.includes(name)) return name;
        if (req.images.includes(assetPath(name))) return assetPath(name);
        fail("asset_not_found", `image(${JSON.stringify(name)}): no image prop or bundle image has that name.`, { file: name, helper: "image" });
      },
      path: (p) => {
        const name = assetPath(p);
        if (req.assets.includes(name)) return name;
        fail("asset_not_found", `path(${JSON.stringify(Str(p))}): no such image in the bundle.`, { file: name, helper: "path" });
      },
      fitText: (value, opts) => token("fit", [text(value, "fitText"), options(opts, "fitText")]),
      clampText: (value, opts) => token("clamp", [text(value, "clampText"), options(opts, "clampText")]),
    };
    for (const k of ["width", "height", "frame", "totalFrames", "fps", "time", "progress"]) h[k] = req.helpers[k];
    return freeze(h);
  }

  // ---- expanding the returned tree into [tag, attrs, children] arrays and text strings
  const TAG = /^[A-Za-z][A-Za-z0-9:._-]*$/;
  const ATTR = /^[A-Za-z_:][A-Za-z0-9_:.-]*$/;
  const isThenable = (v) => v !== null && (typeof v === "object" || typeof v === "function") && typeof v.then === "function";
  const asyncError = () =>
    fail(
      "template_async",
      "The component returned a Promise: async components are not supported; a template renders synchronously " +
        "from its props (fetch nothing, await nothing).",
    );

  function normStyle(style) {
    const out = create(null);
    for (const k of keys(style)) {
      const v = style[k];
      if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) out[k] = v;
    }
    return out;
  }

  function expand(node, out, depth, st) {
    if (node === null || node === undefined || typeof node === "boolean") return;
    const t = typeof node;
    if (t === "string") return text(node, out, st);
    if (t === "number" || t === "bigint") return text(Str(node), out, st);
    if (t === "function")
      fail("invalid_child", "A function is not a valid JSX child: call it, or render it as <Component />.");
    if (t === "symbol") fail("invalid_child", "A symbol is not a valid JSX child.");
    if (isArray(node)) {
      for (let i = 0; i < node.length; i++) expand(node[i], out, depth, st);
      return;
    }
    if (isThenable(node)) asyncError();
    const type = node.type;
    if (type === undefined) {
      if (typeof node[Symbol.iterator] === "function") {
        for (const c of node) expand(c, out, depth, st);
        return;
      }
      fail(
        "invalid_child",
        `Objects are not valid as a JSX child (found an object with keys {${keys(node).slice(0, 6).join(", ")}}).`,
      );
    }
    const props = node.props === null || node.props === undefined ? {} : node.props;
    if (typeof type === "function") {
      if (type.prototype && typeof type.prototype.render === "function")
        fail("invalid_element", "Class components are not supported: write the component as a function.");
      if (++st.calls > st.maxNodes) fail("markup_too_large", `More than ${st.maxNodes} components were rendered.`, { limit: st.maxNodes });
      const result = type(props, st.helpers);
      if (isThenable(result)) asyncError();
      return expand(result, out, depth, st);
    }
    if (type === FRAGMENT) return expand(props.children, out, depth, st);
    if (typeof type !== "string" || !TAG.test(type))
      fail("invalid_element", `${typeof type === "string" ? JSON.stringify(type) : typeof type} is not a valid element type.`);
    if (depth >= st.maxDepth)
      fail("markup_too_deep", `Elements are nested more than ${st.maxDepth} deep.`, { limit: st.maxDepth });
    if (++st.nodes > st.maxNodes) fail("markup_too_large", `The template rendered more than ${st.maxNodes} elements.`, { limit: st.maxNodes });
    const attrs = create(null);
    for (const k of keys(props)) {
      if (k === "children" || k === "key" || k === "ref") continue;
      const v = props[k];
      if (k === "dangerouslySetInnerHTML")
        fail("invalid_element", "dangerouslySetInnerHTML is not supported: render elements, text is always escaped.");
      if (v === null || v === undefined || v === false || typeof v === "function" || !ATTR.test(k)) continue;
      if (k === "style") {
        if (typeof v === "object") attrs.style = normStyle(v);
        else if (typeof v === "string") attrs.style = v;
      } else if (k === "tw" || k === "className" || k === "class") {
        attrs[k] = classes(v);
      } else if (typeof v === "string" || v === true || (typeof v === "number" && Number.isFinite(v))) {
        attrs[k] = v;
      }
    }
    const children = [];
    expand(props.children, children, depth + 1, st);
    out.push([type, attrs, children]);
  }

  function text(s, out, st) {
    st.chars += s.length;
    if (st.chars > st.maxChars) fail("markup_too_large", `The template rendered more than ${st.maxChars} characters.`, { limit: st.maxChars });
    out.push(s);
  }

  // ---- errors thrown by the template, as a message for its author (not our stack)
  function locate(stack) {
    const m = /\(?([^\s()]+):(\d+):(\d+)\)?/.exec(
      (Str(stack).split("\n").find((l) => /^\s+at /.test(l) && !/lw-runtime\.js/.test(l) && /:\d+:\d+/.test(l))) || "",
    );
    if (!m || !factories[m[1]]) return null;
    return { file: m[1], line: Number(m[2]) - 1 };
  }
  function describe(e) {
    if (e instanceof LwError) return { code: e.code, message: e.message, details: e.details };
    let name = "Error";
    let message = "";
    let where = null;
    try {
      if (e !== null && (typeof e === "object" || typeof e === "function")) {
        if (typeof e.name === "string") name = e.name;
        message = typeof e.message === "string" ? e.message : "";
        if (typeof e.stack === "string") where = locate(e.stack);
      } else {
        name = "thrown value";
        message = Str(e);
      }
    } catch (_) {
      message = "(the thrown value could not be read)";
    }
    message = message.slice(0, 2000);
    let code = "template_runtime_error";
    if (name === "RangeError" && /call stack/i.test(message)) code = "template_recursion";
    else if (name === "EvalError" || /code generation from strings/i.test(message)) code = "template_security_error";
    else if (/object is not extensible|read[- ]only|frozen|Cannot (assign|add|redefine|delete)/i.test(message)) code = "template_security_error";
    const prefix = where ? `${where.file}:${where.line}: ` : "";
    return { code, message: `${prefix}${name}: ${message}`, details: where ? { file: where.file, line: where.line } : {} };
  }

  let rendering = false;
  function renderOne(req) {
    try {
      seed = 0x2545f491;
      const st = {
        nodes: 0, calls: 0, chars: 0, requests: [],
        maxNodes: req.limits.nodes, maxDepth: req.limits.depth, maxChars: req.limits.chars,
      };
      st.helpers = makeHelpers(req, st);
      const exports = instantiate(entry, create(null));
      let Template = exports && exports.default;
      if (typeof Template !== "function" && typeof exports === "function") Template = exports;
      if (typeof Template !== "function")
        fail("no_default_export", `${entry} has no default export component (export default function Template(props, helpers) {…}).`, { file: entry });
      const result = Template(req.props, st.helpers);
      if (isThenable(result)) asyncError();
      if (result === null || result === undefined || typeof result !== "object" || (result.type === undefined && !isArray(result)))
        fail(
          "invalid_return",
          `${entry}: the component must return JSX (an element), not ${result === null ? "null" : isArray(result) ? "an array" : typeof result}.`,
          { file: entry },
        );
      const tree = [];
      expand(result, tree, 0, st);
      return { ok: true, tree, requests: st.requests };
    } catch (e) {
      let d;
      try {
        d = describe(e);
      } catch (_) {
        d = { code: "template_runtime_error", message: "The template failed.", details: {} };
      }
      return { ok: false, code: d.code, message: d.message, details: d.details };
    }
  }
  // One call renders one image, or several video frames (each its own render: fresh module instances),
  // stopping at the first that fails.
  function render(json) {
    if (rendering) fail("template_security_error", "A render cannot start another render.");
    rendering = true;
    try {
      const out = [];
      for (const req of parseJSON(json)) {
        const result = renderOne(req);
        out.push(result);
        if (!result.ok) break;
      }
      return stringify(out);
    } finally {
      rendering = false;
    }
  }
  function loadEntry(json) {
    try {
      return load(json);
    } catch (e) {
      const d = describe(e);
      return stringify({ error: d });
    }
  }

  // ---- lockdown
  for (const name of ["setTimeout", "clearTimeout", "__timer_manager"]) {
    try {
      G[name] = undefined; // var-declared by the host: not deletable, so emptied
    } catch (_) {}
  }
  for (const name of [
    "SharedArrayBuffer", "Atomics", "WebAssembly", "FinalizationRegistry", "WeakRef", "ArrayBuffer", "DataView",
    "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
    "Float16Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
  ]) {
    delete G[name]; // no binary buffers outside the heap limit, no GC-timed callbacks, no shared memory
  }
  for (const name of ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "input", "$_", "lastMatch", "$&",
    "lastParen", "$+", "leftContext", "$`", "rightContext", "$'"]) {
    delete RegExp[name]; // legacy statics would carry the last match (maybe another render's props) over
  }
  G.Date = LwDate;
  const api = { __lw_define: define, __lw_load: loadEntry, __lw_render: render };
  for (const k of keys(api)) defineProperty(G, k, { value: api[k], writable: false, enumerable: false, configurable: false });

  const roots = [G, React, jsxRuntime, LwDate];
  const anonymous = [
    function* () {}, async function () {}, async function* () {}, (function* () {})(), (async function* () {})(),
    [][Symbol.iterator](), ""[Symbol.iterator](), new Map()[Symbol.iterator](), new Set()[Symbol.iterator](),
    /x/[Symbol.matchAll](""), getOwnPropertyDescriptor(function () { return arguments; }(), "callee"),
  ];
  for (const a of anonymous) roots.push(a, getPrototypeOf(a));
  if (typeof Iterator === "function" && typeof Iterator.from === "function") {
    roots.push(getPrototypeOf(Iterator.from({ next() { return { done: true }; } })));
    roots.push(getPrototypeOf([].values().map((x) => x)));
  }
  if (Intl.Segmenter) {
    const segments = new Intl.Segmenter().segment("");
    roots.push(getPrototypeOf(segments), getPrototypeOf(segments[Symbol.iterator]()));
  }
  // The host's timer class is a script-scope binding: freeze it so it cannot carry state either.
  try {
    // eslint-disable-next-line no-undef
    roots.push(__TimerManager);
  } catch (_) {}
  const seen = new Set();
  const stack = roots;
  while (stack.length) {
    const o = stack.pop();
    if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) continue;
    seen.add(o);
    freeze(o);
    stack.push(getPrototypeOf(o));
    const descs = getOwnPropertyDescriptors(o);
    for (const k of ownKeys(descs)) {
      const d = descs[k];
      if ("value" in d) stack.push(d.value);
      else stack.push(d.get, d.set);
    }
  }
})();
//# sourceURL=lw-runtime.js
