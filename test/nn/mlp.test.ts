import { describe, expect, it } from 'vitest';
import { measureAllocation } from '../../bench/lib/alloc.js';
import { StateError, ValidationError } from '../../src/errors.js';
import {
  type HiddenActivation,
  type LayerInitContext,
  Mlp,
  type OutputActivation,
} from '../../src/nn/mlp.js';
import { Arena, type Backend } from '../../src/nn/tensor.js';
import { Generator } from '../../src/rng/index.js';

const BACKENDS: Backend[] = ['wasm', 'ref'];

/** Float64 forward of the same network, straight from the definition (torch Sequential). */
function forward64(
  weights: Float64Array[],
  biases: Float64Array[],
  sizes: readonly number[],
  act: HiddenActivation,
  outAct: OutputActivation,
  x: Float64Array,
  batch: number,
): Float64Array {
  let a = x;
  for (let l = 0; l < sizes.length - 1; l++) {
    const nin = sizes[l];
    const nout = sizes[l + 1];
    const y = new Float64Array(batch * nout);
    const f = l === sizes.length - 2 ? outAct : act;
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < nout; o++) {
        let z = biases[l][o];
        for (let i = 0; i < nin; i++) z += a[b * nin + i] * weights[l][o * nin + i];
        y[b * nout + o] = f === 'tanh' ? Math.tanh(z) : f === 'relu' ? Math.max(z, 0) : z;
      }
    }
    a = y;
  }
  return a;
}

function randomArray(rng: Generator, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.random() * 2 - 1) * scale;
  return out;
}

/** Central differences of L = Σ c·f(x) in float64 with respect to every weight, bias and input. */
function numericGradients(
  net: Mlp,
  x: Float32Array,
  c: Float32Array,
  batch: number,
): { params: Float64Array[]; input: Float64Array } {
  const weights = net
    .params()
    .filter((_, i) => i % 2 === 0)
    .map((p) => Float64Array.from(p.data));
  const biases = net
    .params()
    .filter((_, i) => i % 2 === 1)
    .map((p) => Float64Array.from(p.data));
  const x64 = Float64Array.from(x.subarray(0, batch * net.inFeatures));
  const loss = () => {
    const y = forward64(weights, biases, net.sizes, net.activation, net.outputActivation, x64, batch);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i] * y[i];
    return s;
  };
  const h = 1e-6;
  const diff = (arr: Float64Array): Float64Array => {
    const g = new Float64Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      arr[i] = v + h;
      const up = loss();
      arr[i] = v - h;
      const down = loss();
      arr[i] = v;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  };
  const params: Float64Array[] = [];
  for (let l = 0; l < weights.length; l++) params.push(diff(weights[l]), diff(biases[l]));
  return { params, input: diff(x64) };
}

function expectGradClose(actual: Float32Array, expected: Float64Array, label: string): void {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < expected.length; i++) {
    const tol = 2e-4 * Math.abs(expected[i]) + 2e-5 * scale + 1e-6;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      expect.fail(`${label}[${i}]: analytic ${actual[i]} vs numeric ${expected[i]} (tolerance ${tol})`);
    }
  }
}

const CASES: { sizes: number[]; act: HiddenActivation; out: OutputActivation; batch: number }[] = [
  { sizes: [4, 9, 7, 2], act: 'tanh', out: 'identity', batch: 5 },
  { sizes: [3, 13, 1], act: 'relu', out: 'identity', batch: 1 },
  { sizes: [5, 8, 8, 3], act: 'relu', out: 'tanh', batch: 9 },
  { sizes: [6, 2], act: 'tanh', out: 'identity', batch: 4 },
  { sizes: [7, 17, 11, 5, 4], act: 'tanh', out: 'tanh', batch: 13 },
];

describe('Mlp forward and backward', () => {
  for (const backend of BACKENDS) {
    for (const { sizes, act, out, batch } of CASES) {
      it(`${backend}: [${sizes}] ${act}/${out}, batch ${batch}: forward matches float64, gradients match central differences`, () => {
        const rng = new Generator(sizes.length * 1000 + batch);
        const net = new Mlp({
          sizes,
          activation: act,
          outputActivation: out,
          arena: new Arena({ backend }),
          rng,
        });
        const x = randomArray(rng, batch * sizes[0]);
        const y = net.forward(x, batch);
        expect(y.length).toBe(batch * net.outFeatures);
        const weights = net
          .params()
          .filter((_, i) => i % 2 === 0)
          .map((p) => Float64Array.from(p.data));
        const biases = net
          .params()
          .filter((_, i) => i % 2 === 1)
          .map((p) => Float64Array.from(p.data));
        const y64 = forward64(weights, biases, sizes, act, out, Float64Array.from(x), batch);
        for (let i = 0; i < y64.length; i++) expect(Math.abs(y[i] - y64[i])).toBeLessThan(1e-5);

        const c = randomArray(rng, batch * net.outFeatures);
        net.zeroGrad();
        const dx = net.backwardInput(c, batch, true);
        const numeric = numericGradients(net, x, c, batch);
        net.params().forEach((p, i) => {
          expectGradClose(p.grad, numeric.params[i], p.name);
        });
        expectGradClose(dx, numeric.input, 'input');
      });
    }
  }

  it('both backends give the same network outputs and gradients', () => {
    const sizes = [11, 64, 64, 3];
    const nets = BACKENDS.map(
      (backend) =>
        new Mlp({
          sizes,
          activation: 'tanh',
          arena: new Arena({ backend }),
          rng: new Generator(5),
          batchCapacity: 37,
        }),
    );
    const rng = new Generator(6);
    const x = randomArray(rng, 37 * 11);
    const g = randomArray(rng, 37 * 3);
    const [a, b] = nets.map((n) => Float32Array.from(n.forward(x, 37)));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(2e-6);
    for (const n of nets) n.backward(g, 37);
    const [pa, pb] = nets.map((n) => n.params());
    for (let k = 0; k < pa.length; k++) {
      for (let i = 0; i < pa[k].size; i++) {
        expect(Math.abs(pa[k].grad[i] - pb[k].grad[i])).toBeLessThan(1e-5 * (1 + Math.abs(pb[k].grad[i])));
      }
    }
  });
});

describe('Mlp behaviour', () => {
  const make = (opts: Partial<ConstructorParameters<typeof Mlp>[0]> = {}) =>
    new Mlp({ sizes: [3, 5, 2], activation: 'tanh', rng: new Generator(1), ...opts });

  it('names parameters like torch Sequential, with a prefix or explicit layer names', () => {
    expect(
      make()
        .params()
        .map((p) => p.name),
    ).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(
      make({ prefix: 'q_net.q_net' })
        .params()
        .map((p) => p.name),
    ).toEqual(['q_net.q_net.0.weight', 'q_net.q_net.0.bias', 'q_net.q_net.2.weight', 'q_net.q_net.2.bias']);
    const ppo = make({ layerNames: ['mlp_extractor.policy_net.0', 'action_net'] });
    expect(ppo.params().map((p) => [p.name, p.shape])).toEqual([
      ['mlp_extractor.policy_net.0.weight', [5, 3]],
      ['mlp_extractor.policy_net.0.bias', [5]],
      ['action_net.weight', [2, 5]],
      ['action_net.bias', [2]],
    ]);
    expect(ppo.numParams).toBe(15 + 5 + 10 + 2);
    expect(() => make({ layerNames: ['a'] })).toThrow(ValidationError);
  });

  it('initialises through the given function, torch default from rng, or leaves zeros', () => {
    const seen: string[] = [];
    const net = make({
      init: (layer: LayerInitContext) => {
        seen.push(`${layer.index}:${layer.name}:${layer.inFeatures}->${layer.outFeatures}:${layer.isOutput}`);
        layer.weight.fill(layer.index + 1);
        layer.bias.fill(-1);
        expect(layer.weight.length).toBe(layer.inFeatures * layer.outFeatures);
      },
    });
    expect(seen).toEqual(['0:0:3->5:false', '1:2:5->2:true']);
    expect(net.weight(1).data.every((v) => v === 2)).toBe(true);
    expect(net.bias(0).data.every((v) => v === -1)).toBe(true);
    // torch's nn.Linear default: U(−1/√fan_in, 1/√fan_in) for weight and bias.
    const dflt = make({ sizes: [16, 4] });
    expect(dflt.weight(0).data.every((v) => Math.abs(v) <= 0.25)).toBe(true);
    expect(dflt.weight(0).data.some((v) => v !== 0)).toBe(true);
    expect(
      make({ init: 'none', rng: undefined })
        .params()
        .every((p) => p.data.every((v) => v === 0)),
    ).toBe(true);
    expect(() => make({ rng: undefined })).toThrow(/init/);
  });

  it('validates its options', () => {
    expect(() => make({ sizes: [3] })).toThrow(ValidationError);
    expect(() => make({ sizes: [3, 0, 2] })).toThrow(ValidationError);
    expect(() => make({ activation: 'sigmoid' as HiddenActivation })).toThrow(ValidationError);
    expect(() => make({ outputActivation: 'relu' as OutputActivation })).toThrow(ValidationError);
    expect(() => make({ batchCapacity: 0 })).toThrow(ValidationError);
    expect(() => make().forward(new Float32Array(3), 2)).toThrow(/x has 3 elements/);
    expect(() => make().forward(new Float32Array(3), 0)).toThrow(ValidationError);
  });

  it('accumulates gradients across backward calls until zeroGrad', () => {
    const net = make();
    const x = Float32Array.of(0.1, -0.2, 0.3, 0.4, 0.5, -0.6);
    const g = Float32Array.of(1, -1, 0.5, 2);
    net.forward(x, 2);
    net.backward(g, 2);
    const once = net.params().map((p) => Float32Array.from(p.grad));
    net.backward(g, 2);
    net.params().forEach((p, k) => {
      for (let i = 0; i < p.size; i++) expect(p.grad[i]).toBeCloseTo(2 * once[k][i], 6);
    });
    net.zeroGrad();
    expect(net.params().every((p) => p.grad.every((v) => v === 0))).toBe(true);
    // backwardInput leaves parameter gradients alone unless asked.
    net.backwardInput(g, 2);
    expect(net.params().every((p) => p.grad.every((v) => v === 0))).toBe(true);
  });

  it('backward needs the batch of the preceding forward', () => {
    const net = make();
    expect(() => net.backward(new Float32Array(2), 1)).toThrow(StateError);
    net.forward(new Float32Array(6), 2);
    expect(() => net.backward(new Float32Array(2), 1)).toThrow(/differs/);
  });

  it('predict uses its own buffers: a pending backward is unaffected', () => {
    const rng = new Generator(3);
    const x = randomArray(rng, 4 * 3);
    const g = randomArray(rng, 4 * 2);
    const a = make();
    const b = make();
    a.forward(x, 4);
    a.backward(g, 4);
    b.forward(x, 4);
    const single = b.predict(randomArray(rng, 3), 1);
    expect(single.length).toBe(2);
    b.backward(g, 4);
    a.params().forEach((p, k) => {
      expect(Array.from(b.params()[k].grad)).toEqual(Array.from(p.grad));
    });
    // predict and forward agree on the same rows.
    const yf = Float32Array.from(a.forward(x, 4));
    const yp = a.predict(x, 4);
    expect(Array.from(yp)).toEqual(Array.from(yf));
  });

  it('grows its batch capacity on demand and keeps its weights', () => {
    const net = make({ batchCapacity: 2 });
    const before = net.params().map((p) => Float32Array.from(p.data));
    const x = randomArray(new Generator(4), 300 * 3);
    const y = net.forward(x, 300);
    expect(net.batchCapacity).toBeGreaterThanOrEqual(300);
    expect(y.length).toBe(600);
    net.params().forEach((p, k) => {
      expect(Array.from(p.data)).toEqual(Array.from(before[k]));
    });
    const y1 = net.predict(x.subarray(3 * 299), 1);
    expect(y1[0]).toBeCloseTo(y[598], 6);
    expect(y1[1]).toBeCloseTo(y[599], 6);
  });

  it('inputView and outputGradView are filled in place without copies', () => {
    const net = make();
    const x = Float32Array.of(0.5, -1, 2);
    const reference = Float32Array.from(net.forward(x, 1));
    const view = net.inputView(1);
    view.set(x);
    expect(Array.from(net.forward(view, 1))).toEqual(Array.from(reference));
    const dOut = net.outputGradView(1);
    dOut.set([1, 0]);
    net.backward(dOut, 1);
    const viaView = net.params().map((p) => Float32Array.from(p.grad));
    net.zeroGrad();
    net.backward(Float32Array.of(1, 0), 1);
    net.params().forEach((p, k) => {
      expect(Array.from(p.grad)).toEqual(Array.from(viaView[k]));
    });
  });

  it('chains networks in one arena: the gradient of Q(s, μ(s)) reaches the actor', () => {
    // DDPG's actor update: L = −mean Q(s, μ(s)). The critic's input gradient wrt the action
    // columns is fed to the actor's backward; compared with central differences of L in float64.
    const arena = new Arena();
    const rng = new Generator(8);
    const obsDim = 3;
    const actDim = 2;
    const batch = 6;
    const actor = new Mlp({
      sizes: [obsDim, 16, 16, actDim],
      activation: 'relu',
      outputActivation: 'tanh',
      arena,
      rng,
    });
    const critic = new Mlp({ sizes: [obsDim + actDim, 16, 16, 1], activation: 'relu', arena, rng });
    const obs = randomArray(rng, batch * obsDim);
    const mu = actor.forward(obs, batch);
    const input = critic.inputView(batch);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < obsDim; j++) input[b * (obsDim + actDim) + j] = obs[b * obsDim + j];
      for (let j = 0; j < actDim; j++) input[b * (obsDim + actDim) + obsDim + j] = mu[b * actDim + j];
    }
    critic.forward(input, batch);
    const dQ = new Float32Array(batch).fill(-1 / batch);
    const dIn = critic.backwardInput(dQ, batch);
    const dMu = new Float32Array(batch * actDim);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < actDim; j++) dMu[b * actDim + j] = dIn[b * (obsDim + actDim) + obsDim + j];
    }
    actor.zeroGrad();
    actor.backward(dMu, batch);
    expect(critic.params().every((p) => p.grad.every((v) => v === 0))).toBe(true);

    const split = (net: Mlp) => ({
      w: net
        .params()
        .filter((_, i) => i % 2 === 0)
        .map((p) => Float64Array.from(p.data)),
      b: net
        .params()
        .filter((_, i) => i % 2 === 1)
        .map((p) => Float64Array.from(p.data)),
    });
    const A = split(actor);
    const C = split(critic);
    const loss = () => {
      const m = forward64(A.w, A.b, actor.sizes, 'relu', 'tanh', Float64Array.from(obs), batch);
      const cin = new Float64Array(batch * (obsDim + actDim));
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < obsDim; j++) cin[b * (obsDim + actDim) + j] = obs[b * obsDim + j];
        for (let j = 0; j < actDim; j++) cin[b * (obsDim + actDim) + obsDim + j] = m[b * actDim + j];
      }
      const q = forward64(C.w, C.b, critic.sizes, 'relu', 'identity', cin, batch);
      return -q.reduce((s, v) => s + v, 0) / batch;
    };
    const h = 1e-6;
    actor.params().forEach((p, k) => {
      const arr = k % 2 === 0 ? A.w[k / 2] : A.b[(k - 1) / 2];
      const numeric = new Float64Array(arr.length);
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i];
        arr[i] = v + h;
        const up = loss();
        arr[i] = v - h;
        const down = loss();
        arr[i] = v;
        numeric[i] = (up - down) / (2 * h);
      }
      expectGradClose(p.grad, numeric, p.name);
    });
  });

  it('allocates nothing per forward/backward/predict once warm', async () => {
    // The Mlp logic is shared; the SIMD backend is the one used in training (and the fast one).
    for (const backend of ['wasm'] as const) {
      const net = new Mlp({
        sizes: [4, 16, 16, 2],
        activation: 'tanh',
        rng: new Generator(9),
        batchCapacity: 8,
        arena: new Arena({ backend }),
      });
      const x = randomArray(new Generator(10), 8 * 4);
      const g = randomArray(new Generator(11), 8 * 2);
      const obs = x.subarray(0, 4);
      const run = (count: number) => {
        for (let i = 0; i < count; i++) {
          net.forward(x, 8);
          net.backward(g, 8);
          net.predict(obs, 1);
        }
      };
      // Warm up first, and measure a long run, so that one-off compilation (JIT metadata, a few
      // hundred kB) stays far below the smallest per-call allocation (a subarray is 96 bytes).
      // A per-call allocation shows in every window; a late tier-up lands in one of them, so
      // the smallest of three windows is the figure.
      run(20_000);
      const windows: number[] = [];
      for (let w = 0; w < 3; w++) {
        const m = await measureAllocation(run, 40_000);
        if (m.exact) windows.push(m.bytesPerOp);
      }
      if (windows.length > 0) expect(Math.min(...windows), backend).toBeLessThan(8);
    }
  });
});
