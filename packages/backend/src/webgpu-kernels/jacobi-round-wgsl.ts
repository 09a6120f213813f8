/**
 * WGSL functions of one Jacobi round: the round-robin schedule, the rotation that zeroes each pair's
 * off-diagonal entry, and the update of the off-diagonal 2x2 blocks. They expect the constants `N`, `M`
 * and the index helpers `aIndex`, `sIndex`, `tauIndex` of the `JacobiEigenProgram` shader.
 */

/** Largest pair count whose rotations are cached in workgroup memory (16 bytes each, within 16 KiB). */
export const MAX_CACHED_PAIRS = 768;

/**
 * WGSL accessors of the current round's rotations (`s`, `tau = s / (1 + c)`, the index pair): a workgroup
 * memory cache when it fits, else the scratch rows of the output buffer and a recomputed schedule.
 */
function rotationStorage(pairs: number, cached: boolean): string {
  if (cached) {
    return `
var<workgroup> cachedS : array<f32, ${pairs}>;
var<workgroup> cachedTau : array<f32, ${pairs}>;
var<workgroup> cachedPairs : array<vec2<i32>, ${pairs}>;
fn storeRotation(base : i32, k : i32, pq : vec2<i32>, s : f32, tau : f32) {
  cachedS[k] = s;
  cachedTau[k] = tau;
  cachedPairs[k] = pq;
}
fn loadS(base : i32, k : i32) -> f32 { return cachedS[k]; }
fn loadTau(base : i32, k : i32) -> f32 { return cachedTau[k]; }
fn loadPair(r : i32, k : i32) -> vec2<i32> { return cachedPairs[k]; }`;
  }
  return `
fn storeRotation(base : i32, k : i32, pq : vec2<i32>, s : f32, tau : f32) {
  result[sIndex(base, k)] = s;
  result[tauIndex(base, k)] = tau;
}
fn loadS(base : i32, k : i32) -> f32 { return result[sIndex(base, k)]; }
fn loadTau(base : i32, k : i32) -> f32 { return result[tauIndex(base, k)]; }
fn loadPair(r : i32, k : i32) -> vec2<i32> { return pairOf(r, k); }`;
}

/**
 * The WGSL source of the round functions.
 *
 * @param pairs - Rotations per round, `m / 2`.
 * @param cached - Whether the round's rotations live in workgroup memory (else in the scratch buffer).
 * @returns WGSL declarations: `pairOf`, `storeRotation`, `loadS`, `loadTau`, `loadPair`, `loadA`, `storeA`,
 *   `rotationParameters`, `rotateBlock`, `blockOf`.
 */
export function jacobiRoundFunctions(pairs: number, cached: boolean): string {
  return /* wgsl */ `
// Rotations whose off-diagonal entry is below 2^-24 sqrt(|a_pp a_qq|) are skipped.
const SKIP_RATIO : f32 = 5.9604645e-8;

// Round-robin (circle) schedule: in round r, pair k joins players (r + k) and (r - k) modulo M - 1,
// and pair 0 joins r with the fixed player M - 1. Over M - 1 rounds every pair meets exactly once.
fn pairOf(r : i32, k : i32) -> vec2<i32> {
  var a : i32;
  var b : i32;
  if (k == 0) {
    a = r;
    b = M - 1;
  } else {
    a = (r + k) % (M - 1);
    b = (r - k + M - 1) % (M - 1);
  }
  return vec2<i32>(min(a, b), max(a, b));
}
${rotationStorage(pairs, cached)}

fn loadA(base : i32, i : i32, j : i32) -> f32 {
  if (i < N && j < N) { return result[aIndex(base, i, j)]; }
  return 0.0;
}

fn storeA(base : i32, i : i32, j : i32, value : f32) {
  if (i < N && j < N) { result[aIndex(base, i, j)] = value; }
}

// Rotation of pair k (round r) that zeroes A[p, q]; writes the new 2x2 diagonal block directly.
fn rotationParameters(base : i32, r : i32, k : i32) {
  let pq = pairOf(r, k);
  var s = 0.0;
  var tau = 0.0;
  if (pq.y < N) {
    let app = result[aIndex(base, pq.x, pq.x)];
    let aqq = result[aIndex(base, pq.y, pq.y)];
    let apq = result[aIndex(base, pq.x, pq.y)];
    // Rotations below float32 resolution are skipped (threshold Jacobi): they would change the
    // diagonal by less than its rounding error, and skipping them spares their row updates.
    if (abs(apq) > SKIP_RATIO * sqrt(abs(app)) * sqrt(abs(aqq)) && apq != 0.0) {
      let theta = (aqq - app) / (2.0 * apq);
      var t : f32;
      if (abs(theta) > 1e15) {
        t = 0.5 / theta;
      } else {
        t = select(-1.0, 1.0, theta >= 0.0) / (abs(theta) + sqrt(1.0 + theta * theta));
      }
      let c = 1.0 / sqrt(1.0 + t * t);
      s = t * c;
      tau = s / (1.0 + c);
      result[aIndex(base, pq.x, pq.x)] = app - t * apq;
      result[aIndex(base, pq.y, pq.y)] = aqq + t * apq;
      result[aIndex(base, pq.x, pq.y)] = 0.0;
      result[aIndex(base, pq.y, pq.x)] = 0.0;
    }
  }
  storeRotation(base, k, pq, s, tau);
}

// A <- J_k^T A J_l on the off-diagonal 2x2 block (pair k rows, pair l columns) and its mirror.
fn rotateBlock(base : i32, r : i32, k : i32, l : i32) {
  let sk = loadS(base, k);
  let sl = loadS(base, l);
  if (sk == 0.0 && sl == 0.0) { return; }
  let rows = loadPair(r, k);
  let cols = loadPair(r, l);
  let tk = loadTau(base, k);
  let tl = loadTau(base, l);
  let a11 = loadA(base, rows.x, cols.x);
  let a12 = loadA(base, rows.x, cols.y);
  let a21 = loadA(base, rows.y, cols.x);
  let a22 = loadA(base, rows.y, cols.y);
  let b11 = a11 - sk * (a21 + tk * a11);
  let b12 = a12 - sk * (a22 + tk * a12);
  let b21 = a21 + sk * (a11 - tk * a21);
  let b22 = a22 + sk * (a12 - tk * a22);
  let n11 = b11 - sl * (b12 + tl * b11);
  let n12 = b12 + sl * (b11 - tl * b12);
  let n21 = b21 - sl * (b22 + tl * b21);
  let n22 = b22 + sl * (b21 - tl * b22);
  storeA(base, rows.x, cols.x, n11);
  storeA(base, rows.x, cols.y, n12);
  storeA(base, rows.y, cols.x, n21);
  storeA(base, rows.y, cols.y, n22);
  storeA(base, cols.x, rows.x, n11);
  storeA(base, cols.y, rows.x, n12);
  storeA(base, cols.x, rows.y, n21);
  storeA(base, cols.y, rows.y, n22);
}

// Strictly lower-triangular pair index w -> (k, l) with l < k.
fn blockOf(w : i32) -> vec2<i32> {
  var k = i32((1.0 + sqrt(1.0 + 8.0 * f32(w))) * 0.5);
  if (k * (k - 1) / 2 > w) { k = k - 1; }
  if ((k + 1) * k / 2 <= w) { k = k + 1; }
  return vec2<i32>(k, w - k * (k - 1) / 2);
}
`;
}
