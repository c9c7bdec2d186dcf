import { Graphviz } from "@hpcc-js/wasm-graphviz";

/** An SVG and what Graphviz said while laying it out (it prints warnings such as "triangulation failed" itself). */
export interface LaidOut {
  readonly svg: string;
  readonly complaints: readonly string[];
}

let graphviz: Promise<Graphviz> | undefined;
let listening: string[] | undefined;

/**
 * Graphviz's module binds `console.error` once, when it loads: load it through a forwarder so each layout can
 * collect its own warnings instead of them landing on the run's stderr.
 */
function loaded(): Promise<Graphviz> {
  if (graphviz) return graphviz;
  // biome-ignore lint/suspicious/noConsole: Graphviz's module writes its warnings to console.error, nowhere else
  const original = console.error;
  console.error = (...args: unknown[]) => (listening ? void listening.push(args.join(" ")) : original(...args));
  graphviz = Graphviz.load().finally(() => {
    console.error = original;
  });
  return graphviz;
}

/** One `dot` layout as SVG, with Graphviz's warnings. */
export async function layoutSvg(dot: string): Promise<LaidOut> {
  const engine = await loaded();
  const complaints: string[] = [];
  listening = complaints;
  try {
    return { svg: engine.dot(dot, "svg"), complaints };
  } finally {
    listening = undefined;
  }
}

/**
 * Graphviz's `dot` layout as SVG, from Graphviz compiled to WebAssembly: no system package, same output everywhere.
 * Spline routing around labels sometimes fails ("triangulation failed", opposite labelled edges between two nodes);
 * curved edges need no routing, so that layout is the fallback.
 */
export async function renderSvg(dot: string): Promise<string> {
  return (await renderLaidOut(dot)).svg;
}

/** {@link renderSvg} with what Graphviz said about the layout it kept. */
export async function renderLaidOut(dot: string): Promise<LaidOut> {
  const first = await layoutSvg(dot);
  if (!first.complaints.length) return first;
  return layoutSvg(dot.replace(/\bsplines=true\b/, "splines=curved"));
}
