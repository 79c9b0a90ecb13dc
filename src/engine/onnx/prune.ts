import type { Graph } from './graph.js';

/**
 * Removes nodes whose outputs no graph output needs, then initializers nothing reads. Tracing the
 * whole BERT definition records, for example, the pooler even when the chosen pooling is `mean`,
 * and a pre-transposed weight leaves its original unused; neither belongs in the model file.
 * Graph inputs are kept (callers feed them by name).
 */
export function pruneGraph(graph: Graph): Graph {
  const needed = new Set(graph.outputs.map((o) => o.name));
  const kept: Graph['nodes'] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input !== '') needed.add(input);
  }
  kept.reverse();
  const initializers = new Map([...graph.initializers].filter(([name]) => needed.has(name)));
  const pruned: Graph = { ...graph, nodes: kept, initializers };
  if (graph.valueInfo) pruned.valueInfo = graph.valueInfo.filter((v) => needed.has(v.name));
  return pruned;
}
