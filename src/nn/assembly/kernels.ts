// Dense-network kernels for tars-eval, compiled by AssemblyScript to WebAssembly with SIMD
// (scripts/build-wasm.mjs). Every tensor is float32, row-major, and lives in the linear memory
// that the TypeScript side owns and imports; all pointers are byte offsets into it. Nothing
// here allocates: the module has no heap of its own, and the caller's arena starts at
// `heapBase()`.
//
// The plain-TypeScript twin of every exported kernel is src/nn/kernels-ref.ts; the tests
// compare the two on random shapes, and the reference is the runtime fallback.
//
// Activation codes shared with src/nn/kernels.ts: 0 identity, 1 tanh, 2 relu.

const ACT_IDENTITY: i32 = 0;
const ACT_TANH: i32 = 1;
const ACT_RELU: i32 = 2;

// GEMM initialisation modes: what the accumulators start from.
const INIT_ZERO: i32 = 0;
const INIT_ACCUMULATE: i32 = 1;
const INIT_BIAS: i32 = 2;

// Up to this batch size the forward product runs in dot-product form on W's rows directly:
// the register-blocked form must first transpose W and pack x, which costs as much as the
// product itself at batch 1. Measured on 64×64, 256×256 and 400×300 layers: the dot form is
// 1.5-5× faster below batch 4 and still ahead at 8; the two are even from 16 on.
const DOT_MAX_BATCH: i32 = 8;

/**
 * The smallest batch from which a forward product gives every row the same bits whatever the
 * batch (the dot form below it sums in another order).
 */
export function uniform_batch_from(): i32 {
  return DOT_MAX_BATCH + 1;
}

export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------
// tanh on four lanes: a rational minimax approximation, tanh(x) ≈ x·P(x²)/Q(x²) with P of
// degree 5 and Q of degree 4 in x² (P(0) = Q(0) = 1). Coefficients fitted for this file by
// Lawson-weighted linearised least squares (Loeb's iteration for the denominator) on 3000
// Chebyshev nodes of [0, 9.02] (beyond 9.02 tanh rounds to 1 in float32) against mpmath's tanh:
// relative error of the exact rational 1.4e-9; evaluated in float32 (Horner) within 5.1 ulp
// of the result (about 3e-7 absolute), checked on a dense grid. |x| is clamped at 8.5, where
// the float32 evaluation gives 1.0000001, and the result is capped at 1: from 8.5 on it is
// exactly ±1 (tanh(8.5) is 1 − 8.3e-8, one ulp away). That is ~25 vector operations, against
// about twice as many for an exp-based formula with ~1 ulp error, and tanh after every hidden
// layer is a sizeable part of a PPO/A2C training step. Exactly odd (symmetric clamp and cap);
// NaN stays NaN (pmin/pmax return their first operand when unordered).

const TANH_CLAMP: f32 = 8.5;
const TANH_P1: f32 = 0.13681530952453613;
const TANH_P2: f32 = 0.0038703272584825754;
const TANH_P3: f32 = 2.8046235456713475e-5;
const TANH_P4: f32 = 3.06720053799836e-8;
const TANH_P5: f32 = -1.2262338713875387e-11;
const TANH_Q1: f32 = 0.47014865279197693;
const TANH_Q2: f32 = 0.027253223583102226;
const TANH_Q3: f32 = 0.000394210044760257;
const TANH_Q4: f32 = 1.2899922694487032e-6;

// The constants live in a static table and are broadcast from memory at each use: where V8
// cannot keep a v128.const in a register it rebuilds it from general registers (three
// instructions), while a broadcast load from memory is one.
const TANH_K = memory.data<f32>([
  TANH_CLAMP, -TANH_CLAMP, 1.0, TANH_P1, TANH_P2, TANH_P3, TANH_P4, TANH_P5, TANH_Q1, TANH_Q2, TANH_Q3, TANH_Q4,
]);

// Small vector helpers, inlined into the kernels. (Static methods rather than free functions
// so that the file stays valid TypeScript syntax for the repository's tooling.)
class Lanes {
  @inline static k4(i: usize): v128 {
    return v128.load32_splat(TANH_K + (i << 2));
  }

  @inline static tanh4(x: v128): v128 {
    const c = f32x4.pmax(f32x4.pmin(x, Lanes.k4(0)), Lanes.k4(1));
    const s = f32x4.mul(c, c);
    let p = Lanes.k4(7);
    p = f32x4.add(f32x4.mul(p, s), Lanes.k4(6));
    p = f32x4.add(f32x4.mul(p, s), Lanes.k4(5));
    p = f32x4.add(f32x4.mul(p, s), Lanes.k4(4));
    p = f32x4.add(f32x4.mul(p, s), Lanes.k4(3));
    p = f32x4.add(f32x4.mul(p, s), Lanes.k4(2));
    let q = Lanes.k4(11);
    q = f32x4.add(f32x4.mul(q, s), Lanes.k4(10));
    q = f32x4.add(f32x4.mul(q, s), Lanes.k4(9));
    q = f32x4.add(f32x4.mul(q, s), Lanes.k4(8));
    q = f32x4.add(f32x4.mul(q, s), Lanes.k4(2));
    const y = f32x4.div(f32x4.mul(c, p), q);
    // Cap at ±1 (the rational slightly exceeds 1 near the clamp).
    return f32x4.pmax(f32x4.pmin(y, Lanes.k4(2)), f32x4.neg(Lanes.k4(2)));
  }

  @inline static act4(v: v128, act: i32): v128 {
    if (act == ACT_TANH) return Lanes.tanh4(v);
    // pmax (0 only where v < 0) keeps NaN lanes NaN, as torch.relu does, in one maxps.
    if (act == ACT_RELU) return f32x4.pmax(v, f32x4.splat(0.0));
    return v;
  }

  @inline static act1(v: f32, act: i32): f32 {
    if (act == ACT_TANH) return f32x4.extract_lane(Lanes.tanh4(f32x4.splat(v)), 0);
    if (act == ACT_RELU) return v < 0 ? 0 : v; // as pmax in act4: NaN stays NaN
    return v;
  }

  @inline static initRow(c: usize, bias: usize, mode: i32, off: usize): v128 {
    if (mode == INIT_ACCUMULATE) return v128.load(c + off);
    if (mode == INIT_BIAS) return v128.load(bias + off);
    return f32x4.splat(0.0);
  }

  @inline static hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
    // Lane r of the result is the sum of the four lanes of the r-th argument.
    const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
    const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
    return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
  }

  /** Stores the transpose of the 4×4 tile at s (rows rs bytes apart) at d (rows ds bytes apart). */
  @inline static transpose4x4(s: usize, rs: usize, d: usize, ds: usize): void {
    const x0 = v128.load(s);
    const x1 = v128.load(s + rs);
    const x2 = v128.load(s + 2 * rs);
    const x3 = v128.load(s + 3 * rs);
    const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
    const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
    const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
    v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
    v128.store(d + ds, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
    v128.store(d + 2 * ds, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
    v128.store(d + 3 * ds, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
  }

  @inline static hsum1(a: v128): f32 {
    const t = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
  }
}

/** In place: x[j] = act(x[j]) for j < n. */
export function activation_forward(x: usize, n: i32, act: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = x + (<usize>j << 2);
    v128.store(p, Lanes.act4(v128.load(p), act));
  }
  for (; j < n; j++) {
    const p = x + (<usize>j << 2);
    store<f32>(p, Lanes.act1(load<f32>(p), act));
  }
}

/**
 * In place: dy[j] *= act'(z[j]) written through the activation's output y = act(z):
 * tanh' = 1 - y^2; relu' = 1 where y > 0, else 0 (PyTorch's threshold_backward).
 */
export function activation_backward(y: usize, dy: usize, n: i32, act: i32): void {
  if (act == ACT_TANH) {
    const one = f32x4.splat(1.0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const yv = v128.load(y + o);
      v128.store(dy + o, f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(yv, yv))));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const yv = load<f32>(y + o);
      store<f32>(dy + o, load<f32>(dy + o) * (1 - yv * yv));
    }
  } else if (act == ACT_RELU) {
    const zero = f32x4.splat(0.0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dy + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(y + o), zero)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      if (!(load<f32>(y + o) > 0)) store<f32>(dy + o, 0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// GEMM: C[m, n] (=|+=) sum_k A(m, k) * B[k, n], then optional bias and activation.
// B and C are row-major with leading dimensions ldb and ldc (bytes here); A is read one scalar
// at a time with arbitrary strides (row stride sa, column stride sk), which covers the three
// products of a dense layer without transposing activations:
//   forward  Y  = X  · Wᵀ : A = X  (sa = in,  sk = 1),   B = Wᵀ (transposed copy of W; the
//                          sparse form below packs its panels from W itself instead)
//   backward dX = dY · W  : A = dY (sa = out, sk = 1),   B = W
//   backward dW += dYᵀ· X : A = dYᵀ (sa = 1,  sk = out), B = X, accumulating
// The register block is 4 rows × 8 columns (eight f32x4 accumulators); each k step loads two
// vectors of B, broadcasts four scalars of A and issues 8 multiplies and 8 adds.

// The 4-row blocks read A from a packed copy ([block][k][4]: the four scalars of one k step
// side by side), so one pointer with constant offsets addresses all four broadcasts (one
// pointer increment per k step instead of four; measured 10-20% faster on the 64×64 and
// 400×300 layers). Unrolling the k loop was slower: V8 then hoists the second step's loads and
// spills accumulators to the stack.
class Dense {
  // Inlined into gemm's loop: a call per block cost 10-18% on the 256×64→64 and 64×256→256
  // products (k = 64 and 256 steps per call).
  @inline static block4x8(
    ap: usize, b: usize, ldb: usize, c: usize, ldc: usize,
    k: i32, bias: usize, mode: i32, act: i32,
  ): void {
    const c1 = c + ldc;
    const c2 = c1 + ldc;
    const c3 = c2 + ldc;
    let r00 = Lanes.initRow(c, bias, mode, 0);
    let r01 = Lanes.initRow(c, bias, mode, 16);
    let r10 = Lanes.initRow(c1, bias, mode, 0);
    let r11 = Lanes.initRow(c1, bias, mode, 16);
    let r20 = Lanes.initRow(c2, bias, mode, 0);
    let r21 = Lanes.initRow(c2, bias, mode, 16);
    let r30 = Lanes.initRow(c3, bias, mode, 0);
    let r31 = Lanes.initRow(c3, bias, mode, 16);
    let pa = ap;
    let pb = b;
    const end = ap + (<usize>k << 4);
    while (pa < end) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let s = v128.load32_splat(pa);
      r00 = f32x4.add(r00, f32x4.mul(s, b0));
      r01 = f32x4.add(r01, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 4);
      r10 = f32x4.add(r10, f32x4.mul(s, b0));
      r11 = f32x4.add(r11, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 8);
      r20 = f32x4.add(r20, f32x4.mul(s, b0));
      r21 = f32x4.add(r21, f32x4.mul(s, b1));
      s = v128.load32_splat(pa, 12);
      r30 = f32x4.add(r30, f32x4.mul(s, b0));
      r31 = f32x4.add(r31, f32x4.mul(s, b1));
      pa += 16;
      pb += ldb;
    }
    v128.store(c, Lanes.act4(r00, act));
    v128.store(c, Lanes.act4(r01, act), 16);
    v128.store(c1, Lanes.act4(r10, act));
    v128.store(c1, Lanes.act4(r11, act), 16);
    v128.store(c2, Lanes.act4(r20, act));
    v128.store(c2, Lanes.act4(r21, act), 16);
    v128.store(c3, Lanes.act4(r30, act));
    v128.store(c3, Lanes.act4(r31, act), 16);
  }
}

function block1x8(
  a: usize, sk: usize, b: usize, ldb: usize, c: usize,
  k: i32, bias: usize, mode: i32, act: i32,
): void {
  let r0 = Lanes.initRow(c, bias, mode, 0);
  let r1 = Lanes.initRow(c, bias, mode, 16);
  let pa = a;
  let pb = b;
  for (let kk = 0; kk < k; kk++) {
    const s = v128.load32_splat(pa);
    r0 = f32x4.add(r0, f32x4.mul(s, v128.load(pb)));
    r1 = f32x4.add(r1, f32x4.mul(s, v128.load(pb, 16)));
    pa += sk;
    pb += ldb;
  }
  v128.store(c, Lanes.act4(r0, act));
  v128.store(c, Lanes.act4(r1, act), 16);
}

function block4x4(
  ap: usize, b: usize, ldb: usize, c: usize, ldc: usize,
  k: i32, bias: usize, mode: i32, act: i32,
): void {
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  let r0 = Lanes.initRow(c, bias, mode, 0);
  let r1 = Lanes.initRow(c1, bias, mode, 0);
  let r2 = Lanes.initRow(c2, bias, mode, 0);
  let r3 = Lanes.initRow(c3, bias, mode, 0);
  let pa = ap;
  let pb = b;
  const end = ap + (<usize>k << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    r0 = f32x4.add(r0, f32x4.mul(v128.load32_splat(pa), b0));
    r1 = f32x4.add(r1, f32x4.mul(v128.load32_splat(pa, 4), b0));
    r2 = f32x4.add(r2, f32x4.mul(v128.load32_splat(pa, 8), b0));
    r3 = f32x4.add(r3, f32x4.mul(v128.load32_splat(pa, 12), b0));
    pa += 16;
    pb += ldb;
  }
  v128.store(c, Lanes.act4(r0, act));
  v128.store(c1, Lanes.act4(r1, act));
  v128.store(c2, Lanes.act4(r2, act));
  v128.store(c3, Lanes.act4(r3, act));
}

/**
 * Copies the full 4-row blocks of A (rows i < m & ~3; strides sa, sk in bytes) to dst as
 * [block][k][4]: the layout block4x8/block4x4 read.
 */
function packA(a: usize, sa: usize, sk: usize, m: i32, k: i32, dst: usize): void {
  const blockBytes = <usize>k << 4;
  for (let i = 0; i + 4 <= m; i += 4) {
    const src = a + <usize>i * sa;
    const d = dst + (<usize>(i >> 2)) * blockBytes;
    if (sk == 4) {
      // Rows contiguous along k: transpose 4×4 tiles through registers.
      let kk = 0;
      for (; kk + 4 <= k; kk += 4) {
        const o = <usize>kk << 2;
        const x0 = v128.load(src + o);
        const x1 = v128.load(src + sa + o);
        const x2 = v128.load(src + 2 * sa + o);
        const x3 = v128.load(src + 3 * sa + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const q = d + (<usize>kk << 4);
        v128.store(q, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(q, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
        v128.store(q, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
        v128.store(q, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
      }
      for (; kk < k; kk++) {
        const o = <usize>kk << 2;
        const q = d + (<usize>kk << 4);
        store<f32>(q, load<f32>(src + o));
        store<f32>(q, load<f32>(src + sa + o), 4);
        store<f32>(q, load<f32>(src + 2 * sa + o), 8);
        store<f32>(q, load<f32>(src + 3 * sa + o), 12);
      }
    } else if (sa == 4) {
      // The four rows are adjacent elements (A = dYᵀ): one vector per k step.
      for (let kk = 0; kk < k; kk++) v128.store(d + (<usize>kk << 4), v128.load(src + <usize>kk * sk));
    } else {
      for (let kk = 0; kk < k; kk++) {
        const p = src + <usize>kk * sk;
        const q = d + (<usize>kk << 4);
        store<f32>(q, load<f32>(p));
        store<f32>(q, load<f32>(p + sa), 4);
        store<f32>(q, load<f32>(p + 2 * sa), 8);
        store<f32>(q, load<f32>(p + 3 * sa), 12);
      }
    }
  }
}

function block1x4(
  a: usize, sk: usize, b: usize, ldb: usize, c: usize,
  k: i32, bias: usize, mode: i32, act: i32,
): void {
  let r0 = Lanes.initRow(c, bias, mode, 0);
  let pa = a;
  let pb = b;
  for (let kk = 0; kk < k; kk++) {
    r0 = f32x4.add(r0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
    pa += sk;
    pb += ldb;
  }
  v128.store(c, Lanes.act4(r0, act));
}

/** One output element: the column tail (n not a multiple of 4). */
function element(
  a: usize, sk: usize, b: usize, ldb: usize, c: usize,
  k: i32, bias: usize, mode: i32, act: i32,
): void {
  let acc: f32 = 0;
  if (mode == INIT_ACCUMULATE) acc = load<f32>(c);
  else if (mode == INIT_BIAS) acc = load<f32>(bias);
  let pa = a;
  let pb = b;
  for (let kk = 0; kk < k; kk++) {
    acc += load<f32>(pa) * load<f32>(pb);
    pa += sk;
    pb += ldb;
  }
  store<f32>(c, Lanes.act1(acc, act));
}

// ---------------------------------------------------------------------------------------
// Sparse-A form. After a ReLU about half of a layer's activations are exactly zero, and so are
// the matching entries of the gradient that flows back through it: the forward product of the
// next layer (A = X), its dX (A = dY) and its dW (A = dYᵀ) all read an A that is half zeros.
// A zero term adds nothing to an accumulator (s·b = ±0 for finite b), so the product can run
// over the nonzero entries of each row of A alone, in the same k order, and give the dense
// form's result: the same float operations in the same order, minus the additions of zero.
//
// Each row of A is first compressed to a list of (byte offset of B's row k, A(i, k)) pairs
// (branch-free: every entry is written, the count only advances past nonzeros). The product
// then keeps one row × 32 columns of C in eight accumulators and, per nonzero, broadcasts the
// value and issues 8 multiplies and 8 adds against 8 vectors of B's row (copied into a panel
// first, see PANEL_BYTES). Without the 4-row reuse of each B vector it runs at about 8-10
// GMAC/s per nonzero on 64×256×256 and 256×400×300, against 11-14 for the dense block, so it
// pays below a density of about 0.6-0.7. In DDPG's [400, 300] ReLU networks A is 30-52% nonzero.

// The sparse form is used when n (the columns of C) is at least this...
const SPARSE_MIN_N: i32 = 32;
// ...and at most this share of A is nonzero, in the first rows probed and then in all of A.
const SPARSE_MAX_DENSITY: f32 = 0.6;
const SPARSE_PROBE_ROWS: i32 = 4;

/** Nonzero entries in rows [0, rows) of A (strides in bytes). */
function countNonzero(a: usize, sa: usize, sk: usize, rows: i32, k: i32): i32 {
  let nz = 0;
  for (let i = 0; i < rows; i++) {
    let p = a + <usize>i * sa;
    for (let kk = 0; kk < k; kk++) {
      nz += i32(load<f32>(p) != 0);
      p += sk;
    }
  }
  return nz;
}

/**
 * Compresses every row of A into lists + i·k·8 bytes: (i32 byte offset kk·ldb, f32 A(i, kk))
 * for the nonzero A(i, kk), in increasing kk; counts[i] receives their number. Returns the
 * total. NaN counts as nonzero (it must reach the result).
 */
function compressRows(a: usize, sa: usize, sk: usize, m: i32, k: i32, ldb: usize, lists: usize, counts: usize): i32 {
  let total = 0;
  const rowBytes = <usize>k << 3;
  for (let i = 0; i < m; i++) {
    let p = a + <usize>i * sa;
    let q = lists + <usize>i * rowBytes;
    const start = q;
    let off: usize = 0;
    let kk = 0;
    if (sk == 4) {
      // A contiguous row: four entries per step, each written in place and kept (the write
      // position advanced) when nonzero. The offsets travel in a vector beside the values.
      const four = <i32>(ldb << 2);
      const first = <i32>ldb;
      let offs = i32x4(0, first, 2 * first, 3 * first);
      const zero = f32x4.splat(0);
      for (; kk + 4 <= k; kk += 4) {
        const v = v128.load(p);
        const bits = i32x4.bitmask(f32x4.ne(v, zero));
        const lo = v128.shuffle<i32>(offs, v, 0, 4, 1, 5);
        const hi = v128.shuffle<i32>(offs, v, 2, 6, 3, 7);
        v128.store64_lane(q, lo, 0);
        q += <usize>(bits & 1) << 3;
        v128.store64_lane(q, lo, 1);
        q += <usize>((bits >> 1) & 1) << 3;
        v128.store64_lane(q, hi, 0);
        q += <usize>((bits >> 2) & 1) << 3;
        v128.store64_lane(q, hi, 1);
        q += <usize>(bits >> 3) << 3;
        offs = i32x4.add(offs, i32x4.splat(four));
        p += 16;
      }
      off = <usize>kk * ldb;
    }
    for (; kk < k; kk++) {
      const v = load<f32>(p);
      store<i32>(q, <i32>off);
      store<f32>(q, v, 4);
      q += select<usize>(8, 0, v != 0);
      p += sk;
      off += ldb;
    }
    const n = <i32>((q - start) >> 3);
    store<i32>(counts + (<usize>i << 2), n);
    total += n;
  }
  return total;
}

// The row kernels below only accumulate into one row of C (gemmSparse first sets it to 0 or
// the bias, or leaves it, and applies the activation after), and are called through the
// function table, one call per row. In any larger function (inlined into gemmSparse, with the
// initial modes and the activation inside, or looping over the rows itself) V8 hoisted the
// inner loop's loads of B above its arithmetic and spilled an accumulator to the stack, a
// store and a reload on every nonzero (measured: about 6 against 10 GMAC/s per nonzero).
type SparseRowKernel = (list: usize, cnt: i32, b: usize, c: usize) => void;

/** C[0..32) += sum over the list of value · panel row. */
function sparseRow32(list: usize, cnt: i32, b: usize, c: usize): void {
  let r0 = v128.load(c);
  let r1 = v128.load(c, 16);
  let r2 = v128.load(c, 32);
  let r3 = v128.load(c, 48);
  let r4 = v128.load(c, 64);
  let r5 = v128.load(c, 80);
  let r6 = v128.load(c, 96);
  let r7 = v128.load(c, 112);
  let p = list;
  const end = list + (<usize>cnt << 3);
  while (p < end) {
    const pb = b + <usize>load<i32>(p);
    const s = v128.load32_splat(p, 4);
    r0 = f32x4.add(r0, f32x4.mul(s, v128.load(pb)));
    r1 = f32x4.add(r1, f32x4.mul(s, v128.load(pb, 16)));
    r2 = f32x4.add(r2, f32x4.mul(s, v128.load(pb, 32)));
    r3 = f32x4.add(r3, f32x4.mul(s, v128.load(pb, 48)));
    r4 = f32x4.add(r4, f32x4.mul(s, v128.load(pb, 64)));
    r5 = f32x4.add(r5, f32x4.mul(s, v128.load(pb, 80)));
    r6 = f32x4.add(r6, f32x4.mul(s, v128.load(pb, 96)));
    r7 = f32x4.add(r7, f32x4.mul(s, v128.load(pb, 112)));
    p += 8;
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
  v128.store(c, r2, 32);
  v128.store(c, r3, 48);
  v128.store(c, r4, 64);
  v128.store(c, r5, 80);
  v128.store(c, r6, 96);
  v128.store(c, r7, 112);
}

/** As sparseRow32 for 16 columns (a tail of at most 16, zero-padded). */
function sparseRow16(list: usize, cnt: i32, b: usize, c: usize): void {
  let r0 = v128.load(c);
  let r1 = v128.load(c, 16);
  let r2 = v128.load(c, 32);
  let r3 = v128.load(c, 48);
  let p = list;
  const end = list + (<usize>cnt << 3);
  while (p < end) {
    const pb = b + <usize>load<i32>(p);
    const s = v128.load32_splat(p, 4);
    r0 = f32x4.add(r0, f32x4.mul(s, v128.load(pb)));
    r1 = f32x4.add(r1, f32x4.mul(s, v128.load(pb, 16)));
    r2 = f32x4.add(r2, f32x4.mul(s, v128.load(pb, 32)));
    r3 = f32x4.add(r3, f32x4.mul(s, v128.load(pb, 48)));
    p += 8;
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
  v128.store(c, r2, 32);
  v128.store(c, r3, 48);
}

// Each column block of B is first copied into a contiguous panel of PANEL_BYTES-long rows, and
// the lists address that panel. B's own rows are often 2^j bytes apart (a 256-wide layer: 1 KiB),
// and then the rows a list gathers fall into a few sets of the L1 cache (8 of 64 on a 32 KiB,
// 8-way L1 at a 1 KiB stride) and evict one another. In the panel consecutive rows take
// consecutive sets. Measured with the row kernel alone on 64×256×256 at half density: 6.3 GMAC/s
// per nonzero from B in place, 10.7 from the panel; the copy is k·n floats against m·k·n·density
// multiply-adds.
// The last block (fewer than 32 columns) is zero-padded to 16 or 32 columns and computed into
// a separate m × 32 buffer: the padding costs at most 15 columns of work, where a 4-column or
// 1-column kernel would have a single chain of dependent additions.
const PANEL_BYTES: usize = 128;

/**
 * Copies columns [0, cols) of B's k rows (stride ldbB bytes) into the panel (stride
 * PANEL_BYTES), zero from cols to width (16 or 32). With bT, b holds Bᵀ: panel row kk takes
 * b[jj, kk] from rows ldbB bytes apart (a forward product's W), 4×4 tiles through registers.
 */
function packPanel(b: usize, ldbB: usize, bT: bool, k: i32, cols: i32, width: i32, panel: usize): void {
  if (cols == 32 && !bT) {
    let src = b;
    let dst = panel;
    for (let kk = 0; kk < k; kk++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32);
      v128.store(dst, v128.load(src, 48), 48);
      v128.store(dst, v128.load(src, 64), 64);
      v128.store(dst, v128.load(src, 80), 80);
      v128.store(dst, v128.load(src, 96), 96);
      v128.store(dst, v128.load(src, 112), 112);
      src += ldbB;
      dst += PANEL_BYTES;
    }
    return;
  }
  let k0 = 0;
  if (cols == 32) {
    // bT: whole 4×4 tiles, then the last k % 4 rows one float at a time.
    k0 = k & ~3;
    for (let jj = 0; jj < 32; jj += 4) {
      const src = b + <usize>jj * ldbB;
      const dst = panel + (<usize>jj << 2);
      for (let kk = 0; kk < k0; kk += 4) {
        Lanes.transpose4x4(src + (<usize>kk << 2), ldbB, dst + <usize>kk * PANEL_BYTES, PANEL_BYTES);
      }
    }
  }
  for (let kk = k0; kk < k; kk++) {
    const dst = panel + <usize>kk * PANEL_BYTES;
    for (let jj = 0; jj < width; jj++) {
      let v: f32 = 0;
      if (jj < cols) v = bT ? load<f32>(b + <usize>jj * ldbB + (<usize>kk << 2)) : load<f32>(b + <usize>kk * ldbB + (<usize>jj << 2));
      store<f32>(dst + (<usize>jj << 2), v);
    }
  }
}

/**
 * Sets rows [0, m) × columns [0, width) of D (stride lddB bytes) to the initial value of C's
 * columns [0, cols): 0, the bias, or C itself (which D may be); zero from cols to width.
 */
function initBlock(d: usize, lddB: usize, c: usize, ldcB: usize, bias: usize, mode: i32, m: i32, cols: i32, width: i32): void {
  if (mode == INIT_ACCUMULATE && d == c) return;
  for (let i = 0; i < m; i++) {
    const di = d + <usize>i * lddB;
    const ci = c + <usize>i * ldcB;
    if (cols == width) {
      for (let o: usize = 0; o < (<usize>width << 2); o += 16) v128.store(di + o, Lanes.initRow(ci, bias, mode, o));
      continue;
    }
    for (let jj = 0; jj < width; jj++) {
      const o = <usize>jj << 2;
      let v: f32 = 0;
      if (jj < cols) v = mode == INIT_ACCUMULATE ? load<f32>(ci + o) : mode == INIT_BIAS ? load<f32>(bias + o) : 0;
      store<f32>(di + o, v);
    }
  }
}

/** C[i, j] = act(D[i, j]) for i < m, j < cols (D may be C). */
function finishBlock(d: usize, lddB: usize, c: usize, ldcB: usize, act: i32, m: i32, cols: i32): void {
  if (act == ACT_IDENTITY && d == c) return;
  for (let i = 0; i < m; i++) {
    const di = d + <usize>i * lddB;
    const ci = c + <usize>i * ldcB;
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(ci + (<usize>j << 2), Lanes.act4(v128.load(di + (<usize>j << 2)), act));
    for (; j < cols; j++) store<f32>(ci + (<usize>j << 2), Lanes.act1(load<f32>(di + (<usize>j << 2)), act));
  }
}

/**
 * The product over the compressed rows (see compressRows, whose offsets are multiples of
 * PANEL_BYTES); column blocks outermost, each packed into `panel` first (from Bᵀ when bT).
 * `tail` is scratch for m × 32 floats, where the last, narrower block is computed.
 */
function gemmSparse(
  lists: usize, counts: usize, panel: usize, tail: usize, b: usize, ldbB: usize, bT: bool, c: usize, ldcB: usize,
  m: i32, n: i32, k: i32, bias: usize, mode: i32, act: i32,
): void {
  const rowBytes = <usize>k << 3;
  for (let j = 0; j < n; j += 32) {
    const cols = min(32, n - j);
    const width = cols > 16 ? 32 : 16;
    const kernel: SparseRowKernel = width == 32 ? sparseRow32 : sparseRow16;
    const jo = <usize>j << 2;
    packPanel(bT ? b + <usize>j * ldbB : b + jo, ldbB, bT, k, cols, width, panel);
    const cj = c + jo;
    // A full block accumulates in C itself; the tail in its own buffer, 128-byte rows.
    const d = cols == 32 ? cj : tail;
    const lddB = cols == 32 ? ldcB : PANEL_BYTES;
    initBlock(d, lddB, cj, ldcB, bias + jo, mode, m, cols, width);
    for (let i = 0; i < m; i++) {
      const cnt = load<i32>(counts + (<usize>i << 2));
      kernel(lists + <usize>i * rowBytes, cnt, panel, d + <usize>i * lddB);
    }
    finishBlock(d, lddB, cj, ldcB, act, m, cols);
  }
}

/**
 * Floats of scratch gemm needs for an m × k A: the larger of the packed blocks (dense form)
 * and, for the sparse form, the B panel, the tail block, and the compressed rows with their counts.
 */
function gemmScratchFloats(m: i32, k: i32): i32 {
  const panelFloats = <i32>(PANEL_BYTES >> 2);
  return max((m & ~3) * k, (k + m) * panelFloats + 2 * m * k + m);
}

/**
 * The sparse form of gemm when A is sparse enough (see SPARSE_MAX_DENSITY): compresses A's rows
 * and runs gemmSparse, returning true; otherwise returns false having written nothing but
 * scratch. With bT, B is given transposed: b holds Bᵀ [n, k] with row stride ldbB (a forward
 * product's W itself), which the panels are packed from.
 */
function trySparse(
  a: usize, sa: usize, sk: usize, b: usize, ldbB: usize, bT: bool, c: usize, ldcB: usize,
  m: i32, n: i32, k: i32, bias: usize, mode: i32, act: i32, pack: usize,
): bool {
  if (n < SPARSE_MIN_N || k <= 0) return false;
  const probe = min(m, SPARSE_PROBE_ROWS);
  if (<f32>countNonzero(a, sa, sk, probe, k) > <f32>(probe * k) * SPARSE_MAX_DENSITY) return false;
  const panel = pack; // 64-byte aligned, as the arena aligns every tensor
  const tail = panel + <usize>k * PANEL_BYTES;
  const lists = tail + <usize>m * PANEL_BYTES;
  const counts = lists + ((<usize>m * <usize>k) << 3);
  const nz = compressRows(a, sa, sk, m, k, PANEL_BYTES, lists, counts);
  if (<f32>nz > <f32>m * <f32>k * SPARSE_MAX_DENSITY) return false;
  gemmSparse(lists, counts, panel, tail, b, ldbB, bT, c, ldcB, m, n, k, bias, mode, act);
  return true;
}

/**
 * C[m, n] = act(init + sum_k A(i, k) B[k, j]); strides in elements. A(i, k) = a[i*sam + k*sak];
 * init is 0 (mode 0), C itself (mode 1, accumulate) or bias[j] (mode 2). `pack` is scratch for
 * gemmScratchFloats(m, k) floats (A's 4-row blocks packed, or B's panel and A's rows compressed),
 * 64-byte aligned.
 */
export function gemm(
  a: usize, sam: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, bias: usize, mode: i32, act: i32, pack: usize,
): void {
  const sa = <usize>sam << 2;
  const sk = <usize>sak << 2;
  const ldbB = <usize>ldb << 2;
  const ldcB = <usize>ldc << 2;
  if (trySparse(a, sa, sk, b, ldbB, false, c, ldcB, m, n, k, bias, mode, act, pack)) return;
  const blockBytes = <usize>k << 4;
  if (m >= 4) packA(a, sa, sk, m, k, pack);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const jo = <usize>j << 2;
    const bj = b + jo;
    const cj = c + jo;
    const biasj = bias + jo;
    // The activation is a constant in each copy of the loop, so no block tests it. (Written out:
    // the same loop as an inlined helper called three times compiled to slower code, 16.5 → 13
    // GMAC/s at k = 4.)
    let i = 0;
    if (act == ACT_TANH) {
      for (; i + 4 <= m; i += 4) {
        Dense.block4x8(pack + <usize>(i >> 2) * blockBytes, bj, ldbB, cj + <usize>i * ldcB, ldcB, k, biasj, mode, ACT_TANH);
      }
    } else if (act == ACT_RELU) {
      for (; i + 4 <= m; i += 4) {
        Dense.block4x8(pack + <usize>(i >> 2) * blockBytes, bj, ldbB, cj + <usize>i * ldcB, ldcB, k, biasj, mode, ACT_RELU);
      }
    } else {
      for (; i + 4 <= m; i += 4) {
        Dense.block4x8(pack + <usize>(i >> 2) * blockBytes, bj, ldbB, cj + <usize>i * ldcB, ldcB, k, biasj, mode, ACT_IDENTITY);
      }
    }
    for (; i < m; i++) {
      block1x8(a + <usize>i * sa, sk, bj, ldbB, cj + <usize>i * ldcB, k, biasj, mode, act);
    }
  }
  if (j + 4 <= n) {
    const jo = <usize>j << 2;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      block4x4(pack + <usize>(i >> 2) * blockBytes, b + jo, ldbB, c + jo + <usize>i * ldcB, ldcB, k, bias + jo, mode, act);
    }
    for (; i < m; i++) {
      block1x4(a + <usize>i * sa, sk, b + jo, ldbB, c + jo + <usize>i * ldcB, k, bias + jo, mode, act);
    }
    j += 4;
  }
  for (; j < n; j++) {
    const jo = <usize>j << 2;
    for (let i = 0; i < m; i++) {
      element(a + <usize>i * sa, sk, b + jo, ldbB, c + jo + <usize>i * ldcB, k, bias + jo, mode, act);
    }
  }
}

/** dst[c, r] = src[r, c] for a rows × cols row-major src; 4×4 tiles through registers. */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  const rs = <usize>cols << 2; // src row stride
  const ds = <usize>rows << 2; // dst row stride
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      Lanes.transpose4x4(src + <usize>r * rs + (<usize>c << 2), rs, dst + <usize>c * ds + (<usize>r << 2), ds);
    }
    for (; c < cols; c++) {
      for (let rr = r; rr < r + 4; rr++) {
        store<f32>(dst + <usize>c * ds + (<usize>rr << 2), load<f32>(src + <usize>rr * rs + (<usize>c << 2)));
      }
    }
  }
  for (; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + <usize>c * ds + (<usize>r << 2), load<f32>(src + <usize>r * rs + (<usize>c << 2)));
    }
  }
}

/**
 * Forward product in dot-product form, y[b, o] = act(bias[o] + sum_i x[b, i] w[o, i]),
 * vectorised along i over four rows of W at once; for small batches and narrow outputs.
 */
function forwardDot(x: usize, w: usize, bias: usize, y: usize, batch: i32, nin: i32, nout: i32, act: i32): void {
  const xs = <usize>nin << 2;
  const ys = <usize>nout << 2;
  const vin = nin & ~3;
  let bb = 0;
  // Two batch rows at a time share the loads of W's four rows (eight independent sums); each
  // output is summed exactly as in the one-row loop below.
  if (nin == vin) {
    for (; bb + 2 <= batch; bb += 2) {
      const xr = x + <usize>bb * xs;
      const xq = xr + xs;
      const yr = y + <usize>bb * ys;
      const yq = yr + ys;
      let o = 0;
      for (; o + 4 <= nout; o += 4) {
        const w0 = w + <usize>o * xs;
        const w1 = w0 + xs;
        const w2 = w1 + xs;
        const w3 = w2 + xs;
        let s0 = f32x4.splat(0.0);
        let s1 = f32x4.splat(0.0);
        let s2 = f32x4.splat(0.0);
        let s3 = f32x4.splat(0.0);
        let t0 = f32x4.splat(0.0);
        let t1 = f32x4.splat(0.0);
        let t2 = f32x4.splat(0.0);
        let t3 = f32x4.splat(0.0);
        for (let i = 0; i < vin; i += 4) {
          const io = <usize>i << 2;
          const xv = v128.load(xr + io);
          const xu = v128.load(xq + io);
          const v0 = v128.load(w0 + io);
          const v1 = v128.load(w1 + io);
          const v2 = v128.load(w2 + io);
          const v3 = v128.load(w3 + io);
          s0 = f32x4.add(s0, f32x4.mul(v0, xv));
          s1 = f32x4.add(s1, f32x4.mul(v1, xv));
          s2 = f32x4.add(s2, f32x4.mul(v2, xv));
          s3 = f32x4.add(s3, f32x4.mul(v3, xv));
          t0 = f32x4.add(t0, f32x4.mul(v0, xu));
          t1 = f32x4.add(t1, f32x4.mul(v1, xu));
          t2 = f32x4.add(t2, f32x4.mul(v2, xu));
          t3 = f32x4.add(t3, f32x4.mul(v3, xu));
        }
        let acc = Lanes.hsum4(s0, s1, s2, s3);
        let acu = Lanes.hsum4(t0, t1, t2, t3);
        if (bias != 0) {
          const bv = v128.load(bias + (<usize>o << 2));
          acc = f32x4.add(acc, bv);
          acu = f32x4.add(acu, bv);
        }
        v128.store(yr + (<usize>o << 2), Lanes.act4(acc, act));
        v128.store(yq + (<usize>o << 2), Lanes.act4(acu, act));
      }
      for (; o < nout; o++) {
        const wr = w + <usize>o * xs;
        let s = f32x4.splat(0.0);
        let t = f32x4.splat(0.0);
        for (let i = 0; i < vin; i += 4) {
          const io = <usize>i << 2;
          const wv = v128.load(wr + io);
          s = f32x4.add(s, f32x4.mul(wv, v128.load(xr + io)));
          t = f32x4.add(t, f32x4.mul(wv, v128.load(xq + io)));
        }
        let acc = Lanes.hsum1(s);
        let acu = Lanes.hsum1(t);
        if (bias != 0) {
          const bo = load<f32>(bias + (<usize>o << 2));
          acc += bo;
          acu += bo;
        }
        store<f32>(yr + (<usize>o << 2), Lanes.act1(acc, act));
        store<f32>(yq + (<usize>o << 2), Lanes.act1(acu, act));
      }
    }
  }
  for (; bb < batch; bb++) {
    const xr = x + <usize>bb * xs;
    const yr = y + <usize>bb * ys;
    let o = 0;
    for (; o + 4 <= nout; o += 4) {
      const w0 = w + <usize>o * xs;
      const w1 = w0 + xs;
      const w2 = w1 + xs;
      const w3 = w2 + xs;
      let s0 = f32x4.splat(0.0);
      let s1 = f32x4.splat(0.0);
      let s2 = f32x4.splat(0.0);
      let s3 = f32x4.splat(0.0);
      let i = 0;
      for (; i < vin; i += 4) {
        const io = <usize>i << 2;
        const xv = v128.load(xr + io);
        s0 = f32x4.add(s0, f32x4.mul(v128.load(w0 + io), xv));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(w1 + io), xv));
        s2 = f32x4.add(s2, f32x4.mul(v128.load(w2 + io), xv));
        s3 = f32x4.add(s3, f32x4.mul(v128.load(w3 + io), xv));
      }
      let acc = Lanes.hsum4(s0, s1, s2, s3);
      for (; i < nin; i++) {
        const io = <usize>i << 2;
        let col = f32x4.splat(load<f32>(w0 + io));
        col = f32x4.replace_lane(col, 1, load<f32>(w1 + io));
        col = f32x4.replace_lane(col, 2, load<f32>(w2 + io));
        col = f32x4.replace_lane(col, 3, load<f32>(w3 + io));
        acc = f32x4.add(acc, f32x4.mul(col, v128.load32_splat(xr + io)));
      }
      if (bias != 0) acc = f32x4.add(acc, v128.load(bias + (<usize>o << 2)));
      v128.store(yr + (<usize>o << 2), Lanes.act4(acc, act));
    }
    for (; o < nout; o++) {
      const wr = w + <usize>o * xs;
      let s = f32x4.splat(0.0);
      let i = 0;
      for (; i < vin; i += 4) {
        const io = <usize>i << 2;
        s = f32x4.add(s, f32x4.mul(v128.load(wr + io), v128.load(xr + io)));
      }
      let acc = Lanes.hsum1(s);
      for (; i < nin; i++) {
        const io = <usize>i << 2;
        acc += load<f32>(wr + io) * load<f32>(xr + io);
      }
      if (bias != 0) acc += load<f32>(bias + (<usize>o << 2));
      store<f32>(yr + (<usize>o << 2), Lanes.act1(acc, act));
    }
  }
}

/** Up to this many inputs the forward product takes forwardNarrow. */
const NARROW_FORWARD_IN: i32 = 4;

/**
 * Forward product of a layer with 1 to 4 inputs (a first layer: the observations), for batches
 * above DOT_MAX_BATCH. The register-blocked form spends a whole 4×8 block call on 4 or fewer
 * multiply-adds per element (DDPG's 256×4→400: 3,200 calls). Here Wᵀ's k rows for 4 columns
 * stay in registers and every row of x streams past them: per element the bias (or 0) and then
 * the k products added in order, as in the blocked form, so the bits are the same. Not for
 * tanh: one vector per row leaves its long evaluation chain without the blocked form's eight
 * independent ones (measured 10% slower on 256×4→64), where ReLU or none costs nothing.
 */
function forwardNarrow(
  x: usize, w: usize, bias: usize, y: usize, batch: i32, nin: i32, nout: i32, act: i32, wt: usize,
): void {
  transpose(w, wt, nout, nin);
  if (nin == 1) NarrowLoop.run(x, wt, bias, y, batch, nout, act, 1);
  else if (nin == 2) NarrowLoop.run(x, wt, bias, y, batch, nout, act, 2);
  else if (nin == 3) NarrowLoop.run(x, wt, bias, y, batch, nout, act, 3);
  else NarrowLoop.run(x, wt, bias, y, batch, nout, act, 4);
}

/** The loops of forwardNarrow, inlined once per input count k. */
class NarrowLoop {
  @inline static run(x: usize, wt: usize, bias: usize, y: usize, batch: i32, nout: i32, act: i32, k: i32): void {
    const xs = <usize>k << 2;
    const ys = <usize>nout << 2;
    let j = 0;
    for (; j + 4 <= nout; j += 4) {
      const jo = <usize>j << 2;
      const init = bias != 0 ? v128.load(bias + jo) : f32x4.splat(0.0);
      const w0 = v128.load(wt + jo);
      const w1 = k > 1 ? v128.load(wt + ys + jo) : w0;
      const w2 = k > 2 ? v128.load(wt + 2 * ys + jo) : w0;
      const w3 = k > 3 ? v128.load(wt + 3 * ys + jo) : w0;
      let px = x;
      let py = y + jo;
      for (let r = 0; r < batch; r++) {
        let acc = f32x4.add(init, f32x4.mul(v128.load32_splat(px), w0));
        if (k > 1) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(px, 4), w1));
        if (k > 2) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(px, 8), w2));
        if (k > 3) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(px, 12), w3));
        v128.store(py, Lanes.act4(acc, act));
        px += xs;
        py += ys;
      }
    }
    for (; j < nout; j++) {
      const jo = <usize>j << 2;
      for (let r = 0; r < batch; r++) {
        const xr = x + <usize>r * xs;
        let acc: f32 = bias != 0 ? load<f32>(bias + jo) : 0;
        for (let i = 0; i < k; i++) acc += load<f32>(xr + (<usize>i << 2)) * load<f32>(wt + <usize>i * ys + jo);
        store<f32>(y + <usize>r * ys + jo, Lanes.act1(acc, act));
      }
    }
  }
}

/**
 * Floats at the start of the scratch that hold W or dW transposed (nout·nin, rounded up to 16
 * so that what follows stays 64-byte aligned).
 */
function transposedFloats(nin: i32, nout: i32): i32 {
  return (nout * nin + 15) & ~15;
}

/** Floats of scratch the layer kernels below need for this shape (the TypeScript side provides it). */
export function scratch_floats(batch: i32, nin: i32, nout: i32): i32 {
  const wt = transposedFloats(nin, nout); // forward: Wᵀ, then the packed x
  const forward = wt + gemmScratchFloats(batch, nin);
  const backInput = gemmScratchFloats(batch, nout);
  const backParams = max(gemmScratchFloats(nout, batch), wt + gemmScratchFloats(nin, batch));
  return max(forward, max(backInput, backParams));
}

/**
 * Dense layer forward, y[b, o] = act(sum_i x[b, i] w[o, i] + bias[o]) for b < batch, with w the
 * [out, in] weight of torch.nn.Linear. `scratch` holds scratch_floats(batch, nin, nout) floats.
 * bias may be 0 (none).
 */
export function linear_forward(
  x: usize, w: usize, bias: usize, y: usize, batch: i32, nin: i32, nout: i32, act: i32, scratch: usize,
): void {
  if (batch <= DOT_MAX_BATCH || nout < 8) {
    forwardDot(x, w, bias, y, batch, nin, nout, act);
    return;
  }
  if (nin <= NARROW_FORWARD_IN && act != ACT_TANH) {
    forwardNarrow(x, w, bias, y, batch, nin, nout, act, scratch);
    return;
  }
  const mode = bias != 0 ? INIT_BIAS : INIT_ZERO;
  const inB = <usize>nin << 2;
  const outB = <usize>nout << 2;
  const pack = scratch + (<usize>transposedFloats(nin, nout) << 2);
  // A sparse x needs no Wᵀ: its panels are packed from W's rows.
  if (trySparse(x, inB, 4, w, inB, true, y, outB, batch, nout, nin, bias, mode, act, pack)) return;
  const wt = scratch;
  transpose(w, wt, nout, nin);
  gemm(x, nin, 1, wt, nout, y, nout, batch, nout, nin, bias, mode, act, pack);
}

/** dx[b, i] = sum_o dy[b, o] w[o, i] (overwrites dx). */
export function linear_backward_input(
  dy: usize, w: usize, dx: usize, batch: i32, nin: i32, nout: i32, scratch: usize,
): void {
  gemm(dy, nout, 1, w, nin, dx, nin, batch, nin, nout, 0, INIT_ZERO, 0, scratch);
}

/** Below this many inputs dW is computed transposed (see linear_backward_params). */
const NARROW_IN: i32 = 8;

/**
 * dw[o, i] += sum_b dy[b, o] x[b, i]; db[o] += sum_b dy[b, o] when db is not 0.
 * A first layer has few inputs (3 or 4 observations): dW's rows are then 3 or 4 columns wide,
 * too narrow for the 8-column kernels, and would go through the single-column one, one chain of
 * dependent additions per element. There dWᵀ (nin × nout, wide) is accumulated instead: dw is
 * transposed into scratch, dWᵀ += xᵀ·dy runs there, and the result is transposed back. Each
 * element gets the same products added to the same start value in the same order of b.
 */
export function linear_backward_params(
  dy: usize, x: usize, dw: usize, db: usize, batch: i32, nin: i32, nout: i32, scratch: usize,
): void {
  if (nin < NARROW_IN && nout >= NARROW_IN) {
    const dwt = scratch;
    const pack = scratch + (<usize>transposedFloats(nin, nout) << 2);
    transpose(dw, dwt, nout, nin);
    gemm(x, 1, nin, dy, nout, dwt, nout, nin, nout, batch, 0, INIT_ACCUMULATE, 0, pack);
    transpose(dwt, dw, nin, nout);
  } else {
    gemm(dy, 1, nout, x, nin, dw, nin, nout, nin, batch, 0, INIT_ACCUMULATE, 0, scratch);
  }
  if (db != 0) column_sums(dy, db, batch, nout);
}

/** db[o] += sum_b dy[b, o]. */
export function column_sums(dy: usize, db: usize, batch: i32, nout: i32): void {
  const rs = <usize>nout << 2;
  let o = 0;
  for (; o + 4 <= nout; o += 4) {
    const oo = <usize>o << 2;
    let acc = v128.load(db + oo);
    let p = dy + oo;
    for (let bb = 0; bb < batch; bb++) {
      acc = f32x4.add(acc, v128.load(p));
      p += rs;
    }
    v128.store(db + oo, acc);
  }
  for (; o < nout; o++) {
    const oo = <usize>o << 2;
    let acc = load<f32>(db + oo);
    let p = dy + oo;
    for (let bb = 0; bb < batch; bb++) {
      acc += load<f32>(p);
      p += rs;
    }
    store<f32>(db + oo, acc);
  }
}

// ---------------------------------------------------------------------------------------
// Optimiser and parameter-vector kernels (elementwise, n floats).

/**
 * One Adam step in the operation order of PyTorch's single-tensor Adam:
 *   g += wd·p;  m = m + (1-β1)(g - m)  (lerp);  v = β2 v + (1-β2) g²;
 *   p -= stepSize · m / (sqrt(v) / sqrt(bc2) + eps),  stepSize = lr / bc1.
 * The step is bound by its divisions and square root. Once sqrt(bc2) rounds to 1 in float32
 * (β2 = 0.999: from step 16,600 on) the division by it is exact and left out.
 */
export function adam_step(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, stepSize: f32, bc2Sqrt: f32, eps: f32, wd: f32,
): void {
  if (bc2Sqrt == 1) AdamLoop.run(p, g, m, v, n, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, 1, eps, wd, false);
  else AdamLoop.run(p, g, m, v, n, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bc2Sqrt, eps, wd, true);
}

/** The loops of adam_step, inlined into it once with and once without the division by sqrt(bc2). */
class AdamLoop {
  @inline static run(
    p: usize, g: usize, m: usize, v: usize, n: i32,
    oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, stepSize: f32, bc2Sqrt: f32, eps: f32, wd: f32,
    divide: bool,
  ): void {
    const w1 = f32x4.splat(oneMinusBeta1);
    const b2 = f32x4.splat(beta2);
    const w2 = f32x4.splat(oneMinusBeta2);
    const st = f32x4.splat(stepSize);
    const bc = f32x4.splat(bc2Sqrt);
    const ep = f32x4.splat(eps);
    const wdv = f32x4.splat(wd);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const pv = v128.load(p + o);
      let gv = v128.load(g + o);
      if (wd != 0) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
      const mv0 = v128.load(m + o);
      const mv = f32x4.add(mv0, f32x4.mul(w1, f32x4.sub(gv, mv0)));
      const vv = f32x4.add(f32x4.mul(v128.load(v + o), b2), f32x4.mul(f32x4.mul(w2, gv), gv));
      const root = f32x4.sqrt(vv);
      const denom = f32x4.add(divide ? f32x4.div(root, bc) : root, ep);
      v128.store(m + o, mv);
      v128.store(v + o, vv);
      v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(st, mv), denom)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      const pv = load<f32>(p + o);
      let gv = load<f32>(g + o);
      if (wd != 0) gv += pv * wd;
      const mv0 = load<f32>(m + o);
      const mv = mv0 + oneMinusBeta1 * (gv - mv0);
      const vv = load<f32>(v + o) * beta2 + oneMinusBeta2 * gv * gv;
      const root = Mathf.sqrt(vv);
      const denom = (divide ? root / bc2Sqrt : root) + eps;
      store<f32>(m + o, mv);
      store<f32>(v + o, vv);
      store<f32>(p + o, pv - (stepSize * mv) / denom);
    }
  }
}

/**
 * One RMSprop step (PyTorch's RMSprop; with epsInside, SB3's RMSpropTFLike):
 *   g += wd·p;  sq = α sq + (1-α) g²;  centred: ga = α ga + (1-α) g, s = sq - ga²;
 *   avg = sqrt(s) + eps  (or sqrt(s + eps) when epsInside);
 *   momentum > 0: buf = μ buf + g/avg, p -= lr·buf;  else p -= lr·g/avg.
 * ga and buf may be 0 when unused.
 */
export function rmsprop_step(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f32, alpha: f32, oneMinusAlpha: f32, eps: f32, wd: f32, momentum: f32, centered: i32, epsInside: i32,
): void {
  const al = f32x4.splat(alpha);
  const oma = f32x4.splat(oneMinusAlpha);
  const ep = f32x4.splat(eps);
  const lrv = f32x4.splat(lr);
  const wdv = f32x4.splat(wd);
  const mu = f32x4.splat(momentum);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const pv = v128.load(p + o);
    let gv = v128.load(g + o);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
    const sv = f32x4.add(f32x4.mul(v128.load(sq + o), al), f32x4.mul(f32x4.mul(oma, gv), gv));
    v128.store(sq + o, sv);
    let s = sv;
    if (centered != 0) {
      const gav = f32x4.add(f32x4.mul(v128.load(ga + o), al), f32x4.mul(oma, gv));
      v128.store(ga + o, gav);
      s = f32x4.sub(sv, f32x4.mul(gav, gav));
    }
    const avg = epsInside != 0 ? f32x4.sqrt(f32x4.add(s, ep)) : f32x4.add(f32x4.sqrt(s), ep);
    if (momentum > 0) {
      const bv = f32x4.add(f32x4.mul(v128.load(buf + o), mu), f32x4.div(gv, avg));
      v128.store(buf + o, bv);
      v128.store(p + o, f32x4.sub(pv, f32x4.mul(bv, lrv)));
    } else {
      v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(lrv, gv), avg)));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const pv = load<f32>(p + o);
    let gv = load<f32>(g + o);
    if (wd != 0) gv += pv * wd;
    const sv = load<f32>(sq + o) * alpha + oneMinusAlpha * gv * gv;
    store<f32>(sq + o, sv);
    let s = sv;
    if (centered != 0) {
      const gav = load<f32>(ga + o) * alpha + oneMinusAlpha * gv;
      store<f32>(ga + o, gav);
      s = sv - gav * gav;
    }
    const avg = epsInside != 0 ? Mathf.sqrt(s + eps) : Mathf.sqrt(s) + eps;
    if (momentum > 0) {
      const bv = load<f32>(buf + o) * momentum + gv / avg;
      store<f32>(buf + o, bv);
      store<f32>(p + o, pv - bv * lr);
    } else {
      store<f32>(p + o, pv - (lr * gv) / avg);
    }
  }
}

/** sum_j x[j]^2, accumulated in float64. */
export function sum_squares(x: usize, n: i32): f64 {
  // Four independent f64 chains, 8 floats per step: the adds' latency, not their throughput,
  // bounded the two-chain loop.
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let a2 = f64x2.splat(0);
  let a3 = f64x2.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const p = x + (<usize>j << 2);
    const v = v128.load(p);
    const w = v128.load(p, 16);
    const v0 = f64x2.promote_low_f32x4(v);
    const v1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const w0 = f64x2.promote_low_f32x4(w);
    const w1 = f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 0, 1));
    a0 = f64x2.add(a0, f64x2.mul(v0, v0));
    a1 = f64x2.add(a1, f64x2.mul(v1, v1));
    a2 = f64x2.add(a2, f64x2.mul(w0, w0));
    a3 = f64x2.add(a3, f64x2.mul(w1, w1));
  }
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(x + (<usize>j << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    a0 = f64x2.add(a0, f64x2.mul(lo, lo));
    a1 = f64x2.add(a1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(f64x2.add(a0, a2), f64x2.add(a1, a3));
  let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; j < n; j++) {
    const v = <f64>load<f32>(x + (<usize>j << 2));
    acc += v * v;
  }
  return acc;
}

/** x[j] *= s. */
export function scale(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(x + o, load<f32>(x + o) * s);
  }
}

/** Polyak update in SB3's order: target = target·keep (keep = 1 - tau), then target += tau·source. */
export function polyak(target: usize, source: usize, n: i32, keep: f32, tau: f32): void {
  const kv = f32x4.splat(keep);
  const tv = f32x4.splat(tau);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(target + o, f32x4.add(f32x4.mul(v128.load(target + o), kv), f32x4.mul(v128.load(source + o), tv)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(target + o, load<f32>(target + o) * keep + load<f32>(source + o) * tau);
  }
}
