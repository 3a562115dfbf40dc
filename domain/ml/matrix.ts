/**
 * Dense row-major feature matrix. One Float64Array instead of number[][] so 1M x 14 rows stay ~110 MB and can be
 * shared with worker threads without copying row objects.
 */
export interface DenseMatrix {
  readonly rowCount: number;
  readonly columnCount: number;
  /** Row-major: value (row i, column j) is values[i * columnCount + j]. */
  readonly values: Float64Array;
}

export function createMatrix(rowCount: number, columnCount: number, values?: Float64Array): DenseMatrix {
  if (!Number.isInteger(rowCount) || rowCount < 0) throw new RangeError(`rowCount must be a non-negative integer`);
  if (!Number.isInteger(columnCount) || columnCount < 1) throw new RangeError(`columnCount must be a positive integer`);
  const data = values ?? new Float64Array(rowCount * columnCount);
  if (data.length !== rowCount * columnCount) {
    throw new RangeError(`matrix needs ${rowCount * columnCount} values, got ${data.length}`);
  }
  return { rowCount, columnCount, values: data };
}

/** Builds a matrix from plain rows (all of the same length). */
export function matrixFromRows(rows: readonly ArrayLike<number>[], columnCount?: number): DenseMatrix {
  const width = columnCount ?? rows[0]?.length;
  if (width === undefined) throw new RangeError('cannot infer the column count of an empty row list');
  const m = createMatrix(rows.length, width);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new RangeError(`row ${i} has ${row.length} values, expected ${width}`);
    m.values.set(row, i * width);
  });
  return m;
}

/** A view (no copy) of row i. */
export function matrixRow(m: DenseMatrix, i: number): Float64Array {
  return m.values.subarray(i * m.columnCount, (i + 1) * m.columnCount);
}

export function matrixToRows(m: DenseMatrix): number[][] {
  const rows: number[][] = new Array(m.rowCount);
  for (let i = 0; i < m.rowCount; i++) rows[i] = Array.from(matrixRow(m, i));
  return rows;
}

/** Copies the given rows, in the given order. */
export function selectRows(m: DenseMatrix, indices: ArrayLike<number>): DenseMatrix {
  const out = createMatrix(indices.length, m.columnCount);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    out.values.set(matrixRow(m, i), k * m.columnCount);
  }
  return out;
}

/** Copies the given entries of a label vector, in the given order. */
export function selectLabels(y: ArrayLike<number>, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = y[indices[k] as number] as number;
  return out;
}

/** Labels must be 0/1 and match the row count; returns them as a Uint8Array. */
export function checkBinaryLabels(y: ArrayLike<number>, rowCount: number): Uint8Array {
  if (y.length !== rowCount) throw new RangeError(`got ${y.length} labels for ${rowCount} rows`);
  const out = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) throw new RangeError(`label ${i} is ${v}; labels must be 0 (completed) or 1 (failed)`);
    out[i] = v;
  }
  return out;
}

/** Rejects NaN/Infinity early: the forest's binning and both algorithms assume finite inputs. */
export function assertFiniteMatrix(m: DenseMatrix): void {
  const v = m.values;
  for (let k = 0; k < v.length; k++) {
    if (!Number.isFinite(v[k] as number)) {
      const row = Math.floor(k / m.columnCount);
      throw new RangeError(`non-finite value ${v[k]} at row ${row}, column ${k - row * m.columnCount}`);
    }
  }
}
