/**
 * A trained decision tree as three flat arrays (no node objects), which keeps 100 deep trees compact in memory
 * and in JSON.
 *
 * Node k is a leaf when feature[k] === -1; then split[k] is its failure probability (class-weighted fraction of
 * the bootstrap rows that reached it). Otherwise a row goes to children[k] when row[feature[k]] <= split[k] and
 * to children[k] + 1 when not (children are always allocated as a pair).
 */
export interface FlatTree {
  feature: Int32Array;
  split: Float64Array;
  children: Int32Array;
}

export interface FlatTreeJson {
  feature: number[];
  split: number[];
  children: number[];
}

export const LEAF = -1;

export function predictTree(tree: FlatTree, row: ArrayLike<number>): number {
  const { feature, split, children } = tree;
  let node = 0;
  let f = feature[0] as number;
  while (f !== LEAF) {
    node = (children[node] as number) + ((row[f] as number) <= (split[node] as number) ? 0 : 1);
    f = feature[node] as number;
  }
  return split[node] as number;
}

/** Same as predictTree for row i of a row-major matrix, without creating a view per row. */
export function predictTreeAt(tree: FlatTree, values: Float64Array, rowOffset: number): number {
  const { feature, split, children } = tree;
  let node = 0;
  let f = feature[0] as number;
  while (f !== LEAF) {
    node = (children[node] as number) + ((values[rowOffset + f] as number) <= (split[node] as number) ? 0 : 1);
    f = feature[node] as number;
  }
  return split[node] as number;
}

export function treeToJson(tree: FlatTree): FlatTreeJson {
  return { feature: Array.from(tree.feature), split: Array.from(tree.split), children: Array.from(tree.children) };
}

const isProbability = (v: number): boolean => v >= 0 && v <= 1;

/**
 * Rebuilds a tree and checks it is well formed: children point forward (so prediction always terminates),
 * features are in range and leaves hold probabilities (or, for other tree models such as boosting's log-odds
 * steps, what `isLeafValue` accepts).
 */
export function treeFromJson(json: FlatTreeJson, featureCount: number, where: string, isLeafValue: (v: number) => boolean = isProbability): FlatTree {
  const n = json.feature.length;
  if (n === 0 || json.split.length !== n || json.children.length !== n) {
    throw new Error(`${where}: node arrays are empty or differ in length`);
  }
  const tree: FlatTree = {
    feature: Int32Array.from(json.feature),
    split: Float64Array.from(json.split),
    children: Int32Array.from(json.children),
  };
  for (let k = 0; k < n; k++) {
    const f = tree.feature[k] as number;
    const s = tree.split[k] as number;
    if (f === LEAF) {
      if (!isLeafValue(s)) throw new Error(`${where}: leaf ${k} has ${isLeafValue === isProbability ? 'probability' : 'value'} ${s}`);
      continue;
    }
    const c = tree.children[k] as number;
    if (!Number.isInteger(f) || f < 0 || f >= featureCount) throw new Error(`${where}: node ${k} splits on feature ${f}`);
    if (!Number.isFinite(s)) throw new Error(`${where}: node ${k} has threshold ${s}`);
    if (!(c > k && c + 1 < n)) throw new Error(`${where}: node ${k} has children ${c} outside the tree`);
  }
  return tree;
}
